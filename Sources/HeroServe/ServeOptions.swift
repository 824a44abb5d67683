/// How `hero-id serve` listens and how much it accepts.
public struct ServeOptions: Sendable {
  /// Address to bind; loopback by default, so nothing outside the machine can reach it.
  public var host = "127.0.0.1"
  /// Port; 0 picks a free one (the bound address is announced on start).
  public var port = 8080
  /// Largest upload accepted, bytes; larger ones get 413.
  public var maxUploadBytes = 200 * 1024 * 1024
  /// Clips identified at once.
  public var concurrentJobs = 1
  /// Clips that may wait for a free slot; beyond running + waiting, uploads get 503 "busy".
  public var queueLength = 4
  /// Finished jobs remembered for `GET /jobs/ID` (oldest forgotten first).
  public var keepFinished = 100
  /// An upload that sends no byte for this long gets 408; its admission and file are freed.
  public var idleTimeoutSeconds = 30.0
  /// A request's whole life (upload, wait for a slot, identification): past it, an upload
  /// still arriving gets 408, a clip not yet identified 503; what it held is freed.
  public var requestTimeoutSeconds = 600.0

  public init() {}
}
