import Foundation
import HeroCore
import HeroServe
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `JobQueue` on its own: admission, slots in order, the wait's deadline, `Retry-After` from
/// the queue's state. Times are given, not measured.
@Suite struct JobQueueTests {
  static func options(jobs: Int, queue: Int, idle: Double = 30, request: Double = 600)
    -> ServeOptions
  {
    var o = ServeOptions()
    o.concurrentJobs = jobs
    o.queueLength = queue
    o.idleTimeoutSeconds = idle
    o.requestTimeoutSeconds = request
    return o
  }

  @Test func admissionCountsUploadsAndWaitingJobs() async throws {
    let queue = JobQueue(options: Self.options(jobs: 1, queue: 1))
    let a = try #require(await queue.admit(video: "a.mp4"))
    let b = try #require(await queue.admit(video: "b.mp4"))
    #expect(a.id != b.id)
    #expect(await queue.admit(video: "c.mp4") == nil)
    await queue.withdraw(a.id)
    #expect(await queue.job(a.id) == nil)
    let c = try #require(await queue.admit(video: "c.mp4"))
    #expect(await queue.admit(video: "d.mp4") == nil)
    await queue.queued(b.id)
    #expect(await queue.acquireSlot(for: b.id))
    await queue.finish(b.id, result: .success(IdentifiedClip(json: "{}", crops: [:])))
    #expect(await queue.job(b.id)?.state == .done)
    #expect(await queue.admit(video: "d.mp4") != nil)
    let counts = await queue.counts()
    #expect(counts.uploading == 2 && counts.finished == 1 && counts.running == 0)
    _ = c
  }

  @Test func slotsGoFirstComeFirstServed() async throws {
    let queue = JobQueue(options: Self.options(jobs: 1, queue: 2))
    var ids: [String] = []
    for name in ["a", "b", "c"] {
      let job = try #require(await queue.admit(video: name))
      await queue.queued(job.id)
      ids.append(job.id)
    }
    #expect(await queue.acquireSlot(for: ids[0]))
    let (idB, idC) = (ids[1], ids[2])
    let b = Task { await queue.acquireSlot(for: idB) }
    try await waitUntil { await queue.waitingCount == 1 }
    let c = Task { await queue.acquireSlot(for: idC) }
    try await waitUntil { await queue.waitingCount == 2 }
    #expect(await queue.job(ids[1])?.state == .queued)
    await queue.finish(ids[0], result: .failure(.internalError("x")))
    #expect(await b.value)
    #expect(await queue.job(ids[1])?.state == .running)
    #expect(await queue.job(ids[2])?.state == .queued)
    #expect(await queue.job(ids[0])?.error == "x")
    await queue.finish(ids[1], result: .success(IdentifiedClip(json: "{}", crops: [:])))
    #expect(await c.value)
    #expect(await queue.counts().running == 1)
  }

  @Test func aWaitEndsAtTheJobsDeadline() async throws {
    let queue = JobQueue(options: Self.options(jobs: 1, queue: 1))
    let a = try #require(await queue.admit(video: "a"))
    await queue.queued(a.id)
    #expect(await queue.acquireSlot(for: a.id))
    let b = try #require(await queue.admit(video: "b", deadline: .now + .milliseconds(200)))
    await queue.queued(b.id)
    // Returns (false) only because the deadline fell; a hang fails the suite's time limit.
    #expect(await queue.acquireSlot(for: b.id) == false)
    await queue.finish(
      b.id, result: .failure(.timedOut(video: "b", seconds: 0.2, waiting: true)), heldSlot: false)
    #expect(await queue.waitingCount == 0)
    #expect(await queue.job(b.id)?.state == .failed)
    // The run slot is still a's; the admission b held is free again.
    #expect(await queue.counts().running == 1)
    let c = try #require(await queue.admit(video: "c"))
    await queue.finish(a.id, result: .failure(.internalError("done")))
    await queue.queued(c.id)
    #expect(await queue.acquireSlot(for: c.id))
  }

  @Test func retryAfterComesFromTheQueuesState() async throws {
    let queue = JobQueue(options: Self.options(jobs: 1, queue: 1, idle: 30, request: 600))
    let now = ContinuousClock.now
    #expect(await queue.retryAfterSeconds(now: now) == 1)
    // A stalled upload leaves at its idle time-out: 30 s after its last byte, + 1.
    let a = try #require(await queue.admit(video: "a", now: now))
    #expect(await queue.earliestRelease(now: now) == now + .seconds(30))
    #expect(await queue.retryAfterSeconds(now: now) == 31)
    #expect(await queue.retryAfterSeconds(now: now + .seconds(10)) == 21)
    #expect(await queue.retryAfterSeconds(now: now + .milliseconds(29_500)) == 2)
    a.activity.touch(now + .seconds(5))
    #expect(await queue.retryAfterSeconds(now: now + .seconds(10)) == 26)
    // A shorter deadline wins.
    let b = try #require(await queue.admit(video: "b", now: now, deadline: now + .seconds(12)))
    #expect(await queue.retryAfterSeconds(now: now) == 13)
    await queue.withdraw(b.id)
    await queue.withdraw(a.id)
    // A running job: its expected run time (10 s before any job finished) from its start.
    let c = try #require(await queue.admit(video: "c", now: now))
    await queue.queued(c.id)
    #expect(await queue.acquireSlot(for: c.id))
    let since = try #require(await queue.job(c.id)?.runningSince)
    #expect(
      await queue.retryAfterSeconds(now: since) == Int(JobQueue.assumedRunSeconds) + 1)
    // Overdue: expected now, so 1 s.
    #expect(await queue.retryAfterSeconds(now: since + .seconds(25)) == 1)
    // A finished run of 2 s sets the expectation.
    await queue.finish(
      c.id, result: .success(IdentifiedClip(json: "{}", crops: [:])), now: since + .seconds(2))
    let d = try #require(await queue.admit(video: "d"))
    await queue.queued(d.id)
    #expect(await queue.acquireSlot(for: d.id))
    let dSince = try #require(await queue.job(d.id)?.runningSince)
    #expect(await queue.retryAfterSeconds(now: dSince) == 3)
  }

  @Test func errorsOfTheLimits() {
    #expect(ServeError.idleUpload(video: "a.mp4", seconds: 30).status == 408)
    #expect(ServeError.idleUpload(video: "a.mp4", seconds: 30).description.contains("30 s"))
    #expect(ServeError.slowUpload(video: "a.mp4", seconds: 1.5).status == 408)
    #expect(ServeError.slowUpload(video: "a.mp4", seconds: 1.5).description.contains("1.5 s"))
    #expect(ServeError.timedOut(video: "a.mp4", seconds: 600, waiting: true).status == 503)
    #expect(ServeError.incomplete(video: "a.mp4", received: 3, declared: 9).status == 400)
  }
}

/// Polls `condition` every 20 ms; throws only after `seconds` (a generous bound: a real hang).
func waitUntil(
  seconds: Double = 600, _ condition: () async throws -> Bool
) async throws {
  let end = ContinuousClock.now + .seconds(seconds)
  while try await !condition() {
    guard ContinuousClock.now < end else {
      throw ServeTestError("condition not met in \(seconds) s")
    }
    try await Task.sleep(for: .milliseconds(20))
  }
}

struct ServeTestError: Error, CustomStringConvertible {
  var description: String
  init(_ d: String) { description = d }
}

/// A stand-in for the pipeline: answers with the upload's size once `open`; until then it
/// waits, and throws once its job is cancelled.
final class GatedIdentifier: ClipIdentifier, @unchecked Sendable {
  private let lock = NSLock()
  private var isOpen: Bool
  private var calls = 0

  init(open: Bool) { isOpen = open }

  func open() {
    lock.lock()
    isOpen = true
    lock.unlock()
  }

  var started: Int {
    lock.lock()
    defer { lock.unlock() }
    return calls
  }

  private var opened: Bool {
    lock.lock()
    defer { lock.unlock() }
    return isOpen
  }

  func identify(
    path: String, video: String, cancellation: Cancellation,
    progress: @escaping @Sendable (IdentifyProgress) -> Void
  ) throws -> IdentifiedClip {
    lock.lock()
    calls += 1
    lock.unlock()
    let bytes = try Data(contentsOf: URL(fileURLWithPath: path)).count
    progress(IdentifyProgress(frames: 1, seconds: 0.5, duration: 1))
    while !opened {
      if cancellation.isCancelled { throw CancelledError() }
      usleep(5_000)
    }
    let json = try JSONSerialization.data(
      withJSONObject: ["bytes": bytes, "hero": "李白", "video": video], options: [.sortedKeys])
    return IdentifiedClip(json: String(decoding: json, as: UTF8.self), crops: [:])
  }
}

/// One HTTP/1.1 connection over a plain socket: what a test needs to send part of a body and
/// stall, then read the answer. Used by one task at a time; a read waits on a thread of its
/// own, never on the cooperative pool (two threads on two cores: a test blocked there would
/// starve the server it waits for).
final class RawConnection: @unchecked Sendable {
  let fd: Int32

  init(port: Int) throws {
    fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ServeTestError("socket") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let rc = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard rc == 0 else {
      close(fd)
      throw ServeTestError("connect: \(errno)")
    }
    // A read waits at most this long: only a real hang fails.
    var timeout = timeval(tv_sec: 600, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
  }

  deinit { close(fd) }

  func send(_ data: Data) throws {
    var offset = 0
    while offset < data.count {
      let n = data.withUnsafeBytes { bytes -> Int in
        guard let base = bytes.baseAddress else { return -1 }
        return Glibc.send(fd, base + offset, data.count - offset, Int32(MSG_NOSIGNAL))
      }
      guard n > 0 else { throw ServeTestError("send: \(errno)") }
      offset += n
    }
  }

  func send(_ text: String) throws { try send(Data(text.utf8)) }

  /// Sends a request head (and `body`, or `declared` for a body to be sent in part).
  func request(
    _ method: String, _ path: String, body: Data = Data(), declared: Int? = nil
  ) throws {
    try send(
      "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "Content-Length: \(declared ?? body.count)\r\n\r\n")
    if !body.isEmpty { try send(body) }
  }

  /// Reads one response, waiting off the cooperative pool.
  func response() async throws -> Answer { try await offPool { try self.readResponse() } }

  /// Reads one response: status, headers (lower-case names), body.
  func readResponse() throws -> Answer {
    var buffer = Data()
    var chunk = [UInt8](repeating: 0, count: 65_536)
    func more() throws {
      let n = recv(fd, &chunk, chunk.count, 0)
      guard n > 0 else { throw ServeTestError("recv: \(n) errno \(errno)") }
      buffer.append(contentsOf: chunk[0..<n])
    }
    let separator = Data("\r\n\r\n".utf8)
    while buffer.range(of: separator) == nil { try more() }
    guard let headEnd = buffer.range(of: separator) else { throw ServeTestError("no head") }
    let head = String(decoding: buffer[..<headEnd.lowerBound], as: UTF8.self)
    var lines = head.components(separatedBy: "\r\n")
    let statusLine = lines.removeFirst().split(separator: " ")
    let status = statusLine.count > 1 ? Int(statusLine[1]) ?? 0 : 0
    var headers: [String: String] = [:]
    for line in lines {
      guard let colon = line.firstIndex(of: ":") else { continue }
      headers[line[..<colon].lowercased()] = line[line.index(after: colon)...]
        .trimmingCharacters(in: .whitespaces)
    }
    let length = Int(headers["content-length"] ?? "0") ?? 0
    while buffer.count - headEnd.upperBound < length { try more() }
    let body = String(
      decoding: buffer[headEnd.upperBound..<(headEnd.upperBound + length)], as: UTF8.self)
    return Answer(status: status, headers: headers, body: body)
  }
}

/// An HTTP answer as read off the socket.
struct Answer: Sendable {
  var status: Int
  var headers: [String: String]
  var body: String

  /// The body as a JSON object (empty when it is not one).
  var json: [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
  }
}

/// Runs blocking `work` on a thread of its own.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
  try await withCheckedThrowingContinuation { continuation in
    Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
  }
}

/// A running server on a free port, stopped at the end of `body`.
func withServer(
  _ options: ServeOptions, identifier: any ClipIdentifier,
  _ body: (_ port: Int, _ server: HeroServer) async throws -> Void
) async throws {
  var options = options
  options.port = 0
  let server = try HeroServer(options: options, identifier: identifier, modelDescription: "test")
  let announced = Announced()
  let running = Task { try await server.run { announced.set($0) } }
  defer { running.cancel() }
  try await waitUntil { announced.url != nil }
  let url = try #require(announced.url)
  let port = try #require(Int(url.split(separator: ":").last?.filter(\.isNumber) ?? ""))
  try await body(port, server)
  running.cancel()
  _ = try? await running.value
  #expect(!FileManager.default.fileExists(atPath: server.workDirectory.path))
}

final class Announced: @unchecked Sendable {
  private let lock = NSLock()
  private var value: String?
  func set(_ v: String) {
    lock.lock()
    value = v
    lock.unlock()
  }
  var url: String? {
    lock.lock()
    defer { lock.unlock() }
    return value
  }
}

/// One request on a fresh connection, answered in full.
func exchange(
  _ port: Int, _ method: String, _ path: String, body: Data = Data()
) async throws -> Answer {
  let connection = try RawConnection(port: port)
  try connection.request(method, path, body: body)
  return try await connection.response()
}

func health(_ port: Int) async throws -> [String: Any] {
  try await exchange(port, "GET", "/healthz").json
}

/// Waits until `/healthz` reports every count in `counts` (``waitUntil(seconds:_:)``).
func waitForHealth(_ port: Int, _ counts: [String: Int]) async throws {
  try await waitUntil {
    let h = try await health(port)
    return counts.allSatisfy { h[$0.key] as? Int == $0.value }
  }
}

/// `count` uploads to `/identify` (`stall0.mp4`, `stall1.mp4`, ...) that each declare 100 000
/// bytes, send a tenth and stall; dropping a connection closes it.
func stalledUploads(_ port: Int, count: Int) throws -> [RawConnection] {
  try (0..<count).map { i in
    let c = try RawConnection(port: port)
    try c.request("POST", "/identify?name=stall\(i).mp4", declared: 100_000)
    try c.send(Data(repeating: 1, count: 10_000))
    return c
  }
}

/// The server end to end with a stand-in identifier: the job API, a full queue, stalled
/// uploads, the request time-out. Time-outs are short (1 to 5 s) and every wait for a
/// condition has a generous upper bound; no test asserts that something was quick.
@Suite(.serialized, .timeLimit(.minutes(20))) struct ServeLimitTests {
  static let clip = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7) })

  @Test func jobsThenPollingTheJob() async throws {
    var options = JobQueueTests.options(jobs: 1, queue: 1)
    options.idleTimeoutSeconds = 30
    try await withServer(options, identifier: GatedIdentifier(open: true)) { port, server in
      let posted = try await exchange(port, "POST", "/jobs?name=dir/clip1.mp4", body: Self.clip)
      #expect(posted.status == 202)
      let id = try #require(posted.json["id"] as? String)
      #expect(posted.json["poll"] as? String == "/jobs/\(id)")
      var state: [String: Any] = [:]
      try await waitUntil {
        state = try await exchange(port, "GET", "/jobs/\(id)").json
        return state["status"] as? String == "done"
      }
      let result = try #require(state["result"] as? [String: Any])
      #expect(result["video"] as? String == "clip1.mp4")
      #expect(result["hero"] as? String == "李白")
      #expect(result["bytes"] as? Int == Self.clip.count)
      #expect(state["video"] as? String == "clip1.mp4")
      #expect((state["progress"] as? [String: Any])?["frames"] as? Int == 1)
      let h = try await health(port)
      #expect(h["uploads_on_disk"] as? Int == 0 && h["running"] as? Int == 0)
      #expect(h["finished"] as? Int == 1)
      #expect(try await exchange(port, "GET", "/jobs/nonesuch").status == 404)
      let direct = try await exchange(port, "POST", "/identify?name=b.mp4", body: Self.clip)
      #expect(direct.status == 200 && direct.json["video"] as? String == "b.mp4")
      #expect(try await exchange(port, "POST", "/identify?name=e.mp4").status == 400)
      _ = server
    }
  }

  @Test func aFullQueueAnswers503WithRetryAfter() async throws {
    let identifier = GatedIdentifier(open: false)
    try await withServer(JobQueueTests.options(jobs: 1, queue: 1), identifier: identifier) {
      port, _ in
      let a = try await exchange(port, "POST", "/jobs?name=a.mp4", body: Self.clip)
      let b = try await exchange(port, "POST", "/jobs?name=b.mp4", body: Self.clip)
      #expect(a.status == 202 && b.status == 202)
      try await waitUntil { identifier.started == 1 }
      for _ in 0..<3 {
        let refused = try await exchange(port, "POST", "/identify?name=c.mp4", body: Self.clip)
        #expect(refused.status == 503)
        #expect((refused.json["error"] as? String)?.hasPrefix("busy") == true)
        let retry = try #require(refused.headers["retry-after"].flatMap { Int($0) })
        // a runs (expected 10 s before any job finished), b waits behind it.
        #expect(retry >= 1 && retry <= Int(JobQueue.assumedRunSeconds) + 1)
      }
      let h = try await health(port)
      #expect(h["running"] as? Int == 1 && h["queued"] as? Int == 1)
      identifier.open()
      try await waitForHealth(port, ["running": 0, "queued": 0])
      let c = try await exchange(port, "POST", "/identify?name=c.mp4", body: Self.clip)
      #expect(c.status == 200)
      #expect(try await health(port)["uploads_on_disk"] as? Int == 0)
    }
  }

  @Test func stalledUploadsHoldEveryAdmissionUntilTheyGo() async throws {
    // An idle time-out longer than the test: the refusal is certain, whatever the load.
    let options = JobQueueTests.options(jobs: 1, queue: 2, idle: 600, request: 6000)
    try await withServer(options, identifier: GatedIdentifier(open: true)) { port, server in
      var stalled = try stalledUploads(port, count: 3)
      try await waitForHealth(port, ["uploading": 3, "uploads_on_disk": 3])
      let refused = try await exchange(port, "POST", "/identify?name=polite.mp4", body: Self.clip)
      #expect(refused.status == 503 && refused.json["video"] as? String == "polite.mp4")
      let retry = try #require(refused.headers["retry-after"].flatMap { Int($0) })
      // Until the first stalled upload's idle time-out: 600 s from its last byte, + 1.
      #expect(retry >= 1 && retry <= 601)
      // Clients that go away free what they held (held open until here: the optimizer may
      // otherwise end the array's lifetime at its creation, closing them at once).
      withExtendedLifetime(stalled) {}
      stalled.removeAll()
      try await waitForHealth(port, ["uploading": 0, "uploads_on_disk": 0])
      let ok = try await exchange(port, "POST", "/identify?name=polite.mp4", body: Self.clip)
      #expect(ok.status == 200)
      #expect(
        try FileManager.default.contentsOfDirectory(atPath: server.workDirectory.path)
          .isEmpty)
    }
  }

  @Test func stalledUploadsTimeOutAndAPoliteClientGetsIn() async throws {
    let options = JobQueueTests.options(jobs: 1, queue: 2, idle: 1, request: 600)
    try await withServer(options, identifier: GatedIdentifier(open: true)) { port, server in
      // Every admission is taken by an upload that sends a tenth of its body and stalls.
      let stalled = try stalledUploads(port, count: 3)
      // All three were admitted (they may have timed out already on a slow machine).
      try await waitUntil { await server.queue.admittedTotal == 3 }
      // A polite client: follows Retry-After until it gets in.
      var answers: [Int] = []
      var retries: [Int] = []
      while answers.last != 200 {
        let r = try await exchange(port, "POST", "/identify?name=polite.mp4", body: Self.clip)
        answers.append(r.status)
        guard r.status == 503 else { break }
        let retry = try #require(r.headers["retry-after"].flatMap { Int($0) })
        retries.append(retry)
        #expect(answers.count < 30, "still refused after \(answers.count) tries: \(answers)")
        if answers.count >= 30 { break }
        try await Task.sleep(for: .seconds(retry))
      }
      #expect(answers.last == 200, "\(answers)")
      // A refusal while the stalled uploads held every admission: their idle time-out
      // (1 s from the last byte) + 1 at most. (On a slow machine they may be gone already.)
      #expect(retries.allSatisfy { $0 >= 1 && $0 <= 2 }, "\(retries)")
      for (i, c) in stalled.enumerated() {
        let r = try await c.response()
        #expect(r.status == 408, "stall\(i): \(r.status) \(r.body)")
        #expect(r.body.contains("stall\(i).mp4: no bytes received for 1 s"))
      }
      try await waitForHealth(port, ["uploading": 0, "uploads_on_disk": 0])
      let left = try FileManager.default.contentsOfDirectory(atPath: server.workDirectory.path)
      #expect(left.isEmpty, "\(left)")
    }
  }

  @Test func theRequestTimeOutAnswersAndFrees() async throws {
    let identifier = GatedIdentifier(open: false)
    let options = JobQueueTests.options(jobs: 1, queue: 2, idle: 60, request: 5)
    try await withServer(options, identifier: identifier) { port, server in
      // Still uploading at the deadline (idle would take 60 s): 408.
      let slow = try RawConnection(port: port)
      try slow.request("POST", "/identify?name=slow.mp4", declared: 100_000)
      try slow.send(Data(repeating: 1, count: 1_000))
      let r = try await slow.response()
      #expect(r.status == 408 && r.body.contains("request time-out of 5 s"), "\(r)")
      // Identified for longer than the deadline: 503 with Retry-After, the work cancelled.
      // (An upload not complete by the deadline, on a starved machine, gets 408: try again.)
      var stuck = try await exchange(port, "POST", "/identify?name=stuck.mp4", body: Self.clip)
      for _ in 0..<10 where stuck.status == 408 {
        stuck = try await exchange(port, "POST", "/identify?name=stuck.mp4", body: Self.clip)
      }
      #expect(stuck.status == 503, "\(stuck.body)")
      #expect((stuck.json["error"] as? String)?.contains("identification stopped") == true)
      #expect(stuck.headers["retry-after"].flatMap { Int($0) }.map { $0 >= 1 } == true)
      // A job of POST /jobs fails the same way.
      var job = try await exchange(port, "POST", "/jobs?name=job.mp4", body: Self.clip)
      for _ in 0..<10 where job.status == 408 {
        job = try await exchange(port, "POST", "/jobs?name=job.mp4", body: Self.clip)
      }
      let id = try #require(job.json["id"] as? String)
      var state: [String: Any] = [:]
      try await waitUntil {
        state = try await exchange(port, "GET", "/jobs/\(id)").json
        return state["status"] as? String == "failed"
      }
      #expect((state["error"] as? String)?.contains("request time-out of 5 s") == true)
      try await waitForHealth(port, ["running": 0, "uploading": 0, "uploads_on_disk": 0])
      #expect(
        try FileManager.default.contentsOfDirectory(atPath: server.workDirectory.path)
          .isEmpty)
    }
  }
}
