import Foundation
import HeroCore
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
/// Limits: an upload that sends no byte for `idleTimeoutSeconds` gets 408; a request still
/// uploading when `requestTimeoutSeconds` have passed since it arrived gets 408, one still
/// waiting for a slot or being identified gets 503 (its identification is cancelled); a job
/// of `POST /jobs` fails the same way. Each frees its admission and its file. A refused
/// upload's `Retry-After` is the time until the earliest admitted job is expected to leave
/// (``JobQueue/retryAfterSeconds(now:)``).
///
/// Uploads are written only into the server's own temporary folder, under names the server
/// makes (the client's file name is only a label, reduced to its last path component), and
/// each is deleted as soon as its clip is identified; the folder goes when the server stops.
public final class HeroServer: Sendable {
  public let options: ServeOptions
  let identifier: any ClipIdentifier
  /// Admission, slots and job states.
  public let queue: JobQueue
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
    // The connection's own idle time-out, a backstop well after the upload's: it closes a
    // connection whose upload was answered 408 (its unread rest is never read), and idle
    // keep-alive connections.
    let backstop = 2 * options.idleTimeoutSeconds + 5
    let app = Application(
      router: makeRouter(),
      server: .http1(
        configuration: .init(idleTimeout: .milliseconds(Int64(backstop * 1000)))),
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
          "idle_timeout_seconds": options.idleTimeoutSeconds,
          "request_timeout_seconds": options.requestTimeoutSeconds,
        ],
      ])
  }

  func identifyNow(_ request: Request) async -> Response {
    switch await receive(request) {
    case .failure(let refused): return await failure(refused.video, refused.error)
    case .success(let (job, path)):
      switch await run(job, path: path) {
      case .success(let clip):
        return Self.response(200, contentType: "application/json", clip.json + "\n")
      case .failure(let error): return await failure(job.video, error)
      }
    }
  }

  func startJob(_ request: Request) async -> Response {
    switch await receive(request) {
    case .failure(let refused): return await failure(refused.video, refused.error)
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

  /// Admits the upload and stores its body in the work folder as `<job id>.upload`, under
  /// the idle time-out and the request's deadline (the admission's, from the request's
  /// arrival).
  func receive(_ request: Request) async -> Result<(JobQueue.Job, String), UploadFailure> {
    let video = Self.displayName(request.uri.queryParameters["name"].map(String.init))
    let limit = options.maxUploadBytes
    guard let job = await queue.admit(video: video) else {
      // Not read: Hummingbird reads and drops the rest of the body after the answer.
      return .failure(
        UploadFailure(video, .busy(limit: options.concurrentJobs + options.queueLength)))
    }
    let declared = request.headers[.contentLength].flatMap { Int($0) }
    if let declared, declared > limit {
      await queue.withdraw(job.id)
      return .failure(UploadFailure(video, .tooLarge(video: video, limit: limit)))
    }
    let url = workDirectory.appendingPathComponent("\(job.id).upload")
    let outcome: UploadOutcome
    if FileManager.default.createFile(atPath: url.path, contents: nil) {
      outcome = await Self.store(
        request.body, at: url, limit: limit, activity: job.activity,
        idle: .seconds(options.idleTimeoutSeconds), deadline: job.deadline)
    } else {
      outcome = .failed("cannot create a file in \(workDirectory.path)")
    }
    let error: ServeError
    switch outcome {
    case .complete(let received) where received == 0: error = .empty(video: video)
    case .complete(let received) where declared.map({ received < $0 }) ?? false:
      error = .incomplete(video: video, received: received, declared: declared ?? 0)
    case .complete:
      await queue.queued(job.id)
      return .success((job, url.path))
    case .tooLarge: error = .tooLarge(video: video, limit: limit)
    case .idle: error = .idleUpload(video: video, seconds: options.idleTimeoutSeconds)
    case .overdue: error = .slowUpload(video: video, seconds: options.requestTimeoutSeconds)
    case .failed(let why): error = .internalError("\(video): upload failed (\(why))")
    }
    try? FileManager.default.removeItem(at: url)
    await queue.withdraw(job.id)
    return .failure(UploadFailure(video, error))
  }

  /// How reading an upload ended.
  enum UploadOutcome: Sendable {
    case complete(Int)
    case tooLarge
    /// No byte for the idle time-out.
    case idle
    /// The request's deadline fell first.
    case overdue
    case failed(String)
  }

  /// Writes `body` to `url` while a watchdog waits for the idle time-out (from the last byte)
  /// or the deadline; the first to end wins and the other is cancelled (a read waiting on a
  /// stalled client ends at once).
  static func store(
    _ body: RequestBody, at url: URL, limit: Int, activity: UploadActivity, idle: Duration,
    deadline: ContinuousClock.Instant
  ) async -> UploadOutcome {
    await withTaskGroup(of: UploadOutcome?.self) { group in
      group.addTask {
        do {
          let handle = try FileHandle(forWritingTo: url)
          defer { try? handle.close() }
          var received = 0
          for try await buffer in body {
            activity.touch()
            received += buffer.readableBytes
            if received > limit { return .tooLarge }
            try buffer.withUnsafeReadableBytes { try handle.write(contentsOf: $0) }
          }
          return Task.isCancelled ? nil : .complete(received)
        } catch {
          return Task.isCancelled ? nil : .failed("\(error)")
        }
      }
      group.addTask {
        while true {
          let idleEnd = activity.last + idle
          do {
            try await Task.sleep(until: min(idleEnd, deadline), clock: .continuous)
          } catch {
            return nil
          }
          let now = ContinuousClock.now
          if now >= deadline { return .overdue }
          if now >= activity.last + idle { return .idle }
        }
      }
      var first: UploadOutcome?
      while first == nil, let next = await group.next() {
        first = next
      }
      group.cancelAll()
      return first ?? .failed("cancelled")
    }
  }

  /// Waits for a slot, identifies the stored upload on a thread of its own (the work blocks;
  /// the async pool stays free for requests), deletes the upload and records the outcome.
  /// At the job's deadline it answers 503 at once: a job still waiting leaves the queue, a
  /// running one is cancelled (it stops at its next key frame, then frees its slot).
  func run(_ job: JobQueue.Job, path: String) async -> Result<IdentifiedClip, ServeError> {
    let video = job.video
    let seconds = options.requestTimeoutSeconds
    guard await queue.acquireSlot(for: job.id) else {
      try? FileManager.default.removeItem(atPath: path)
      let error = ServeError.timedOut(video: video, seconds: seconds, waiting: true)
      await queue.finish(job.id, result: .failure(error), heldSlot: false)
      return .failure(error)
    }
    let identifier = self.identifier
    let box = job.progress
    let cancellation = Cancellation()
    let queue = self.queue
    let work = Task { () -> Result<IdentifiedClip, ServeError> in
      let result: Result<IdentifiedClip, ServeError> = await withCheckedContinuation { done in
        Thread.detachNewThread {
          do {
            let clip = try identifier.identify(
              path: path, video: video, cancellation: cancellation
            ) { box.set($0) }
            done.resume(returning: .success(clip))
          } catch {
            if cancellation.isCancelled {
              done.resume(
                returning: .failure(.timedOut(video: video, seconds: seconds, waiting: false)))
              return
            }
            let reason = "\(error)".replacingOccurrences(of: path, with: video)
            done.resume(returning: .failure(.notAVideo(video: video, reason: reason)))
          }
        }
      }
      try? FileManager.default.removeItem(atPath: path)
      await queue.finish(job.id, result: result)
      return result
    }
    if let result = await Self.value(of: work, until: job.deadline) { return result }
    cancellation.cancel()
    try? FileManager.default.removeItem(atPath: path)
    return .failure(.timedOut(video: video, seconds: seconds, waiting: false))
  }

  /// `work`'s value, or nil when `deadline` comes first (`work` goes on).
  static func value<T: Sendable>(
    of work: Task<T, Never>, until deadline: ContinuousClock.Instant
  ) async -> T? {
    let first = FirstValue<T?>()
    let waiter = Task { first.offer(await work.value) }
    let timer = Task {
      guard (try? await Task.sleep(until: deadline, clock: .continuous)) != nil else { return }
      first.offer(nil)
    }
    let value = await withCheckedContinuation { first.attach($0) }
    timer.cancel()
    _ = waiter
    return value
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

  /// The error's answer; a 503 carries `Retry-After` from the queue's state, a 408 closes the
  /// connection.
  func failure(_ video: String, _ error: ServeError) async -> Response {
    var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
    if error.status == 503 { headers[.retryAfter] = String(await queue.retryAfterSeconds()) }
    if error.status == 408 { headers[.connection] = "close" }
    return Response(
      status: .init(code: error.status), headers: headers,
      body: .init(
        byteBuffer: ByteBuffer(
          string: Self.jsonText([
            "video": video, "error": error.description, "status": error.status,
          ])
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

/// The first of several offered values, handed to one waiting continuation.
final class FirstValue<T: Sendable>: @unchecked Sendable {
  private let lock = NSLock()
  private var value: T?
  private var offered = false
  private var continuation: CheckedContinuation<T, Never>?

  /// Keeps `v` if it is the first; resumes the waiter when there is one.
  func offer(_ v: T) {
    lock.lock()
    guard !offered else {
      lock.unlock()
      return
    }
    offered = true
    if let continuation {
      self.continuation = nil
      lock.unlock()
      continuation.resume(returning: v)
    } else {
      value = v
      lock.unlock()
    }
  }

  /// The waiter: resumed at once when a value was offered already.
  func attach(_ c: CheckedContinuation<T, Never>) {
    lock.lock()
    if offered, let value {
      lock.unlock()
      c.resume(returning: value)
    } else {
      continuation = c
      lock.unlock()
    }
  }
}
