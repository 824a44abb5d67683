import HeroServe
import Testing

/// `hero-id serve`'s flags as server options: the usage check and the mapping.
@Suite struct ServeOptionsFlagsTests {
  func problem(
    port: Int = 8080, maxUploadMB: Int = 200, jobs: Int = 1, queue: Int = 4, idle: Double = 30,
    request: Double = 600
  ) -> String? {
    ServeOptions.usageProblem(
      port: port, maxUploadMB: maxUploadMB, jobs: jobs, queue: queue, idleTimeoutSeconds: idle,
      requestTimeoutSeconds: request)
  }

  @Test func theDefaultsAreFineAndEachBadValueIsNamed() {
    #expect(problem() == nil)
    #expect(problem(port: 0, queue: 0, idle: 86_400, request: 604_800) == nil)
    #expect(problem(port: 65_536) == "--port must be 0...65535")
    #expect(problem(port: -1) == "--port must be 0...65535")
    #expect(problem(maxUploadMB: 0) == "--max-upload-mb must be at least 1")
    #expect(problem(jobs: 0) == "--jobs must be at least 1")
    #expect(problem(queue: -1) == "--queue must be >= 0")
    #expect(
      problem(idle: 0) == "--idle-timeout must be more than 0 and at most 86400 seconds")
    #expect(
      problem(idle: 86_401) == "--idle-timeout must be more than 0 and at most 86400 seconds")
    #expect(
      problem(request: 604_801)
        == "--request-timeout must be more than 0 and at most 604800 seconds")
    #expect(
      problem(request: .nan) == "--request-timeout must be more than 0 and at most 604800 seconds")
    // The first bad flag, in the order of the flags, is the one named.
    #expect(problem(port: -1, jobs: 0) == "--port must be 0...65535")
  }

  @Test func theFlagsMapOntoTheOptions() {
    let o = ServeOptions(
      host: "0.0.0.0", port: 0, maxUploadMB: 3, jobs: 2, queue: 7, idleTimeoutSeconds: 5,
      requestTimeoutSeconds: 50)
    #expect(o.host == "0.0.0.0" && o.port == 0)
    #expect(o.maxUploadBytes == 3 * 1024 * 1024)
    #expect(o.concurrentJobs == 2 && o.queueLength == 7)
    #expect(o.idleTimeoutSeconds == 5 && o.requestTimeoutSeconds == 50)
    #expect(o.keepFinished == ServeOptions().keepFinished)
    // The flags' defaults give the server's defaults.
    let d = ServeOptions(
      host: "127.0.0.1", port: 8080, maxUploadMB: 200, jobs: 1, queue: 4, idleTimeoutSeconds: 30,
      requestTimeoutSeconds: 600)
    let plain = ServeOptions()
    #expect(d.host == plain.host && d.port == plain.port)
    #expect(d.maxUploadBytes == plain.maxUploadBytes && d.concurrentJobs == plain.concurrentJobs)
    #expect(d.queueLength == plain.queueLength && d.keepFinished == plain.keepFinished)
    #expect(d.idleTimeoutSeconds == plain.idleTimeoutSeconds)
    #expect(d.requestTimeoutSeconds == plain.requestTimeoutSeconds)
  }
}
