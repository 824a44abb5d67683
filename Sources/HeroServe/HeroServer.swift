import Foundation
import HeroReport
import Hummingbird
import Logging
import NIOCore

/// The local web page and JSON API of `hero-id serve` (Hummingbird 2).
///
/// Routes:
/// - `GET /`: the page (upload clips, watch progress, see answers and timelines);
/// - `POST /identify?name=FILE` with the clip as the raw body: waits, then answers with the
///   contract's `identify --json` object (200), or `{"video", "error"}` with 400 (empty
///   upload), 413 (too large), 422 (not a readable video) or 503 (busy);
/// - `POST /jobs?name=FILE`: the same upload, answered at once with `{"id", "status"}` (202);
/// - `GET /jobs/ID`: status, progress (frames read, seconds, duration) and, when done, the
///   result object; `GET /jobs/ID/view`: the clip's HTML fragment (answer, timeline, crops),
///   the report's own `clip` template;
/// - `GET /healthz`: `{"status": "ok", "running", "queued", "uploading", "uploads_on_disk"}`.
///
/// Uploads are written only into the server's own temporary folder, under names the server
/// makes (the client's file name is only a label, reduced to its last path component), and
/// each is deleted as soon as its clip is identified; the folder goes when the server stops.
public final class HeroServer: Sendable {
  public let options: ServeOptions
  let identifier: any ClipIdentifier
  let queue: JobQueue
  /// The server's temporary folder (uploads live here while they are identified).
  public let workDirectory: URL
  let pageHTML: String
  let modelDescription: String

  /// A server for `identifier`; creates its temporary folder (mode 0700).
  public init(options: ServeOptions, identifier: any ClipIdentifier, modelDescription: String)
    throws
  {
    self.options = options
    self.identifier = identifier
    self.modelDescription = modelDescription
    queue = JobQueue(options: options)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "hero-id-serve-\(getpid())-\(UUID().uuidString.prefix(8))", isDirectory: true)
    try FileManager.default.createDirectory(
      at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    workDirectory = dir
    pageHTML = try ServePage.render(options: options, model: modelDescription)
  }

  /// Runs until SIGINT or SIGTERM; `onListening` gets the bound URL. Removes the temporary
  /// folder on the way out.
  public func run(onListening: @escaping @Sendable (String) -> Void) async throws {
    defer { try? FileManager.default.removeItem(at: workDirectory) }
    var logger = Logger(label: "hero-id-serve")
    logger.logLevel = .warning
    let host = options.host
    let app = Application(
      router: makeRouter(),
      configuration: .init(address: .hostname(host, port: options.port), serverName: "hero-id"),
      onServerRunning: { channel in
        let port = channel.localAddress?.port ?? 0
        let shown = host.contains(":") ? "[\(host)]" : host
        onListening("http://\(shown):\(port)/")
      }, logger: logger)
    try await app.runService()
  }

  func makeRouter() -> Router<BasicRequestContext> {
    let router = Router()
    router.get("/") { _, _ in
      Self.response(200, contentType: "text/html; charset=utf-8", self.pageHTML)
    }
    router.get("/healthz") { _, _ in await self.health() }
    router.post("/identify") { request, _ in await self.identifyNow(request) }
    router.post("/jobs") { request, _ in await self.startJob(request) }
    router.get("/jobs/:id") { _, context in
      await self.jobStatus(context.parameters.get("id") ?? "")
    }
    router.get("/jobs/:id/view") { _, context in
      await self.jobView(context.parameters.get("id") ?? "")
    }
    return router
  }

  // MARK: Handlers

  func health() async -> Response {
    let c = await queue.counts()
    let onDisk =
      (try? FileManager.default.contentsOfDirectory(atPath: workDirectory.path).count) ?? -1
    return Self.json(
      200,
      [
        "status": "ok", "running": c.running, "queued": c.queued, "uploading": c.uploading,
        "finished": c.finished, "uploads_on_disk": onDisk,
        "limits": [
          "max_upload_bytes": options.maxUploadBytes, "concurrent_jobs": options.concurrentJobs,
          "queue_length": options.queueLength,
        ],
      ])
  }

  func identifyNow(_ request: Request) async -> Response {
    switch await receive(request) {
    case .failure(let refused): return Self.failure(refused.video, refused.error)
    case .success(let (job, path)):
      switch await run(job, path: path) {
      case .success(let clip):
        return Self.response(200, contentType: "application/json", clip.json + "\n")
      case .failure(let error): return Self.failure(job.video, error)
      }
    }
  }

  func startJob(_ request: Request) async -> Response {
    switch await receive(request) {
    case .failure(let refused): return Self.failure(refused.video, refused.error)
    case .success(let (job, path)):
      Task { _ = await self.run(job, path: path) }
      return Self.json(
        202, ["id": job.id, "status": "queued", "video": job.video, "poll": "/jobs/\(job.id)"])
    }
  }

  func jobStatus(_ id: String) async -> Response {
    guard let job = await queue.job(id) else {
      return Self.json(404, ["error": "no such job: \(id)"])
    }
    var object: [String: Any] = ["id": job.id, "video": job.video, "status": job.state.rawValue]
    if let p = job.progress.get() {
      var progress: [String: Any] = ["frames": p.frames, "seconds": p.seconds]
      if let d = p.duration { progress["duration"] = d }
      if let f = p.fraction { progress["fraction"] = f }
      object["progress"] = progress
    }
    if let result = job.result,
      let parsed = try? JSONSerialization.jsonObject(with: Data(result.json.utf8))
    {
      object["result"] = parsed
    }
    if let error = job.error { object["error"] = error }
    return Self.json(200, object)
  }

  func jobView(_ id: String) async -> Response {
    guard let job = await queue.job(id) else {
      return Self.json(404, ["error": "no such job: \(id)"])
    }
    var clip = ClipResult(video: job.video)
    var crops: [Int: Data] = [:]
    if let result = job.result,
      let object = try? JSONSerialization.jsonObject(with: Data(result.json.utf8))
        as? [String: Any], let parsed = ClipResult(json: object)
    {
      clip = parsed
      crops = result.crops
    } else if let error = job.error {
      clip.error = error
    } else {
      return Self.json(409, ["error": "job \(id) is \(job.state.rawValue)"])
    }
    do {
      let html = try HTMLReport.renderClip(clip, index: 1, crops: crops)
      return Self.response(200, contentType: "text/html; charset=utf-8", html)
    } catch {
      return Self.json(500, ["error": "\(error)"])
    }
  }

  // MARK: Uploads and jobs

  /// Admits the upload and stores its body in the work folder as `<job id>.upload`.
  func receive(_ request: Request) async -> Result<(JobQueue.Job, String), UploadFailure> {
    let video = Self.displayName(request.uri.queryParameters["name"].map(String.init))
    let limit = options.maxUploadBytes
    guard let job = await queue.admit(video: video) else {
      await Self.drain(request.body, upTo: limit)
      return .failure(
        UploadFailure(video, .busy(limit: options.concurrentJobs + options.queueLength)))
    }
    if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
      await queue.withdraw(job.id)
      await Self.drain(request.body, upTo: 2 * limit)
      return .failure(UploadFailure(video, .tooLarge(video: video, limit: limit)))
    }
    let url = workDirectory.appendingPathComponent("\(job.id).upload")
    var received = 0
    var tooLarge = false
    do {
      guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
        throw ServeError.internalError("cannot create a file in \(workDirectory.path)")
      }
      let handle = try FileHandle(forWritingTo: url)
      defer { try? handle.close() }
      for try await buffer in request.body {
        received += buffer.readableBytes
        if received > limit {
          tooLarge = true
          if received > 2 * limit { break }
          continue
        }
        try buffer.withUnsafeReadableBytes { try handle.write(contentsOf: $0) }
      }
    } catch {
      try? FileManager.default.removeItem(at: url)
      await queue.withdraw(job.id)
      return .failure(UploadFailure(video, .internalError("\(video): upload failed (\(error))")))
    }
    if tooLarge || received == 0 {
      try? FileManager.default.removeItem(at: url)
      await queue.withdraw(job.id)
      return .failure(
        UploadFailure(
          video, tooLarge ? .tooLarge(video: video, limit: limit) : .empty(video: video)))
    }
    await queue.queued(job.id)
    return .success((job, url.path))
  }

  /// Waits for a slot, identifies the stored upload on a thread of its own (the work blocks;
  /// the async pool stays free for requests), deletes the upload and records the outcome.
  func run(_ job: JobQueue.Job, path: String) async -> Result<IdentifiedClip, ServeError> {
    await queue.acquireSlot(for: job.id)
    let identifier = self.identifier
    let box = job.progress
    let video = job.video
    let result: Result<IdentifiedClip, ServeError> = await withCheckedContinuation { done in
      Thread.detachNewThread {
        do {
          let clip = try identifier.identify(path: path, video: video) { box.set($0) }
          done.resume(returning: .success(clip))
        } catch {
          let reason = "\(error)".replacingOccurrences(of: path, with: video)
          done.resume(returning: .failure(.notAVideo(video: video, reason: reason)))
        }
      }
    }
    try? FileManager.default.removeItem(atPath: path)
    await queue.finish(job.id, result: result)
    return result
  }

  /// An upload refused, with the name it was sent under.
  struct UploadFailure: Error {
    var video: String
    var error: ServeError
    init(_ video: String, _ error: ServeError) {
      self.video = video
      self.error = error
    }
  }

  static func drain(_ body: RequestBody, upTo limit: Int) async {
    var n = 0
    do {
      for try await buffer in body {
        n += buffer.readableBytes
        if n > limit { break }
      }
    } catch {}
  }

  /// The client's file name as a label only: its last path component (either slash), control
  /// characters removed, at most 120 characters; "upload" when nothing is left.
  public static func displayName(_ raw: String?) -> String {
    let last =
      (raw ?? "").split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init)
      ?? ""
    let clean = String(
      last.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }
        .map(Character.init)
    )
    .trimmingCharacters(in: .whitespaces)
    let short = String(clean.prefix(120))
    return short.isEmpty || short == "." || short == ".." ? "upload" : short
  }

  // MARK: Responses

  static func failure(_ video: String, _ error: ServeError) -> Response {
    var headers: HTTPFields = [.contentType: "application/json"]
    if case .busy = error { headers[.retryAfter] = "5" }
    return Response(
      status: .init(code: error.status), headers: headers,
      body: .init(
        byteBuffer: ByteBuffer(
          string: jsonText(["video": video, "error": error.description, "status": error.status])
            + "\n")))
  }

  static func json(_ status: Int, _ object: [String: Any]) -> Response {
    response(status, contentType: "application/json", jsonText(object) + "\n")
  }

  static func jsonText(_ object: [String: Any]) -> String {
    guard
      let data = try? JSONSerialization.data(
        withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    else { return "{}" }
    return String(decoding: data, as: UTF8.self)
  }

  static func response(_ status: Int, contentType: String, _ text: String) -> Response {
    Response(
      status: .init(code: status),
      headers: [.contentType: contentType, .cacheControl: "no-store"],
      body: .init(byteBuffer: ByteBuffer(string: text)))
  }
}
