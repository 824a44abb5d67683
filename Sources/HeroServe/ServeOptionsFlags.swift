extension ServeOptions {
  /// The options `hero-id serve`'s flags give: the upload limit in MB (of 2^20 bytes), `jobs`
  /// clips identified at once, `queue` waiting; the rest as named.
  public init(
    host: String, port: Int, maxUploadMB: Int, jobs: Int, queue: Int, idleTimeoutSeconds: Double,
    requestTimeoutSeconds: Double
  ) {
    self.init()
    self.host = host
    self.port = port
    maxUploadBytes = maxUploadMB * 1024 * 1024
    concurrentJobs = jobs
    queueLength = queue
    self.idleTimeoutSeconds = idleTimeoutSeconds
    self.requestTimeoutSeconds = requestTimeoutSeconds
  }

  /// What is wrong with `serve`'s flag values, in the flags' words (bad usage, exit 2), or nil.
  /// Checked before ``init(host:port:maxUploadMB:jobs:queue:idleTimeoutSeconds:requestTimeoutSeconds:)``.
  public static func usageProblem(
    port: Int, maxUploadMB: Int, jobs: Int, queue: Int, idleTimeoutSeconds: Double,
    requestTimeoutSeconds: Double
  ) -> String? {
    guard (0...65535).contains(port) else { return "--port must be 0...65535" }
    guard maxUploadMB >= 1 else { return "--max-upload-mb must be at least 1" }
    guard jobs >= 1 else { return "--jobs must be at least 1" }
    guard queue >= 0 else { return "--queue must be >= 0" }
    guard idleTimeoutSeconds > 0, idleTimeoutSeconds <= 86_400 else {
      return "--idle-timeout must be more than 0 and at most 86400 seconds"
    }
    guard requestTimeoutSeconds > 0, requestTimeoutSeconds <= 86_400 * 7 else {
      return "--request-timeout must be more than 0 and at most 604800 seconds"
    }
    return nil
  }
}
