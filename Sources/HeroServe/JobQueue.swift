import Foundation

/// The server's jobs: admission (at most `concurrentJobs` running and `queueLength` waiting,
/// counting uploads still arriving), the run slots (first come, first served, each wait
/// bounded by the job's deadline), the state of every job for `GET /jobs/ID`, and when the
/// next admission is expected to free (`Retry-After`).
public actor JobQueue {
  public enum State: String, Sendable {
    case uploading, queued, running, done, failed
  }

  public struct Job: Sendable {
    public var id: String
    public var video: String
    public var state: State
    public var result: IdentifiedClip?
    public var error: String?
    public let progress: ProgressBox
    /// When the last byte of the upload arrived (the admission, before the first).
    public let activity: UploadActivity
    /// The request's total time-out: upload, wait and identification end by then.
    public let deadline: ContinuousClock.Instant
    /// When the job got its run slot.
    public var runningSince: ContinuousClock.Instant?
  }

  /// A job's run time assumed before any job has finished, seconds.
  public static let assumedRunSeconds = 10.0

  public let options: ServeOptions
  private var jobs: [String: Job] = [:]
  private var finishedOrder: [String] = []
  private var admitted = 0
  private var running = 0
  private var waiting: [(id: String, continuation: CheckedContinuation<Bool, Never>)] = []
  private var counter = 0
  /// The mean run time of the jobs finished so far (an exponential mean), seconds.
  private var meanRunSeconds: Double?

  public init(options: ServeOptions) { self.options = options }

  /// A new job for `video` when there is room (running + waiting + uploading below the
  /// limit); nil means busy. `deadline` defaults to the request time-out from `now`.
  public func admit(
    video: String, now: ContinuousClock.Instant = .now, deadline: ContinuousClock.Instant? = nil
  ) -> Job? {
    guard admitted < options.concurrentJobs + options.queueLength else { return nil }
    admitted += 1
    counter += 1
    let id = String(format: "%06d-", counter) + UUID().uuidString.prefix(8).lowercased()
    let job = Job(
      id: id, video: video, state: .uploading, progress: ProgressBox(),
      activity: UploadActivity(start: now),
      deadline: deadline ?? now + .seconds(options.requestTimeoutSeconds))
    jobs[id] = job
    return job
  }

  /// Forgets a job whose upload was refused (too large, empty, timed out, broken connection).
  public func withdraw(_ id: String) {
    guard jobs.removeValue(forKey: id) != nil else { return }
    admitted -= 1
  }

  /// Marks the upload complete; the job waits for a slot.
  public func queued(_ id: String) { jobs[id]?.state = .queued }

  /// Waits for a run slot (first come, first served) and marks the job running; false when
  /// the job's deadline came first (the job then holds no run slot: record it with
  /// `finish(_:result:heldSlot: false)`).
  public func acquireSlot(for id: String) async -> Bool {
    if running < options.concurrentJobs && waiting.isEmpty {
      running += 1
    } else {
      let deadline = jobs[id]?.deadline ?? .now
      let timer = Task {
        guard (try? await Task.sleep(until: deadline, clock: .continuous)) != nil else { return }
        self.expireWaiter(id)
      }
      let granted = await withCheckedContinuation { waiting.append((id, $0)) }
      timer.cancel()
      guard granted else { return false }
    }
    jobs[id]?.state = .running
    jobs[id]?.runningSince = .now
    return true
  }

  private func expireWaiter(_ id: String) {
    guard let index = waiting.firstIndex(where: { $0.id == id }) else { return }
    waiting.remove(at: index).continuation.resume(returning: false)
  }

  /// Records the outcome and frees the admission, and the run slot when the job held one
  /// (handing it to the first waiter).
  public func finish(
    _ id: String, result: Result<IdentifiedClip, ServeError>, heldSlot: Bool = true,
    now: ContinuousClock.Instant = .now
  ) {
    switch result {
    case .success(let clip):
      jobs[id]?.state = .done
      jobs[id]?.result = clip
    case .failure(let error):
      jobs[id]?.state = .failed
      jobs[id]?.error = error.description
    }
    if heldSlot, let since = jobs[id]?.runningSince, case .success = result {
      let seconds = Self.seconds(now - since)
      meanRunSeconds = meanRunSeconds.map { 0.7 * $0 + 0.3 * seconds } ?? seconds
    }
    admitted -= 1
    if heldSlot {
      if waiting.isEmpty {
        running -= 1
      } else {
        waiting.removeFirst().continuation.resume(returning: true)
      }
    }
    finishedOrder.append(id)
    while finishedOrder.count > options.keepFinished {
      jobs.removeValue(forKey: finishedOrder.removeFirst())
    }
  }

  public func job(_ id: String) -> Job? { jobs[id] }

  /// Jobs waiting for a run slot.
  public var waitingCount: Int { waiting.count }

  /// Jobs admitted since the start.
  public var admittedTotal: Int { counter }

  /// The earliest time an admitted job is expected to leave, freeing an admission: a stalled
  /// upload when its idle time-out falls (or its deadline), a running job when the mean run
  /// time since it started has passed (or its deadline), a waiting job at its deadline. Nil
  /// when no job is admitted.
  public func earliestRelease(now: ContinuousClock.Instant = .now) -> ContinuousClock.Instant? {
    let idle = Duration.seconds(options.idleTimeoutSeconds)
    let run = Duration.seconds(meanRunSeconds ?? Self.assumedRunSeconds)
    var earliest: ContinuousClock.Instant?
    for job in jobs.values {
      let bound: ContinuousClock.Instant
      switch job.state {
      case .uploading: bound = min(job.activity.last + idle, job.deadline)
      case .running: bound = min(max((job.runningSince ?? now) + run, now), job.deadline)
      case .queued: bound = job.deadline
      case .done, .failed: continue
      }
      earliest = min(earliest ?? bound, bound)
    }
    return earliest
  }

  /// `Retry-After` for a refused upload, whole seconds: until ``earliestRelease(now:)``,
  /// rounded up, plus one second for the time-out to be acted on; at least 1.
  public func retryAfterSeconds(now: ContinuousClock.Instant = .now) -> Int {
    guard let earliest = earliestRelease(now: now) else { return 1 }
    let wait = max(0, Self.seconds(earliest - now))
    return Int(min(wait.rounded(.up), 86_400)) + 1
  }

  /// Counts for `/healthz`.
  public func counts() -> (running: Int, queued: Int, uploading: Int, finished: Int) {
    var queued = 0
    var uploading = 0
    var runningNow = 0
    for job in jobs.values {
      switch job.state {
      case .queued: queued += 1
      case .uploading: uploading += 1
      case .running: runningNow += 1
      case .done, .failed: break
      }
    }
    return (runningNow, queued, uploading, finishedOrder.count)
  }

  static func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
  }
}

/// When the last byte of an upload arrived; written by the request reading it, read by the
/// idle time-out and by `Retry-After`.
public final class UploadActivity: @unchecked Sendable {
  private let lock = NSLock()
  private var value: ContinuousClock.Instant

  public init(start: ContinuousClock.Instant) { value = start }

  public func touch(_ now: ContinuousClock.Instant = .now) {
    lock.lock()
    value = now
    lock.unlock()
  }

  public var last: ContinuousClock.Instant {
    lock.lock()
    defer { lock.unlock() }
    return value
  }
}

/// The latest progress of a running job, written by its worker thread and read by requests.
public final class ProgressBox: @unchecked Sendable {
  private let lock = NSLock()
  private var value: IdentifyProgress?

  public init() {}

  public func set(_ p: IdentifyProgress) {
    lock.lock()
    value = p
    lock.unlock()
  }

  public func get() -> IdentifyProgress? {
    lock.lock()
    defer { lock.unlock() }
    return value
  }
}

/// Why an upload or a job failed, with the HTTP status it answers with.
public enum ServeError: Error, CustomStringConvertible, Equatable, Sendable {
  case busy(limit: Int)
  case empty(video: String)
  case tooLarge(video: String, limit: Int)
  case notAVideo(video: String, reason: String)
  /// No byte of the upload arrived for `seconds` (`--idle-timeout`).
  case idleUpload(video: String, seconds: Double)
  /// The upload was still arriving when the request time-out fell (`--request-timeout`).
  case slowUpload(video: String, seconds: Double)
  /// The clip was not identified within the request time-out: it was still waiting for a
  /// slot (`waiting`), or its identification was stopped.
  case timedOut(video: String, seconds: Double, waiting: Bool)
  /// The connection ended before the declared length arrived.
  case incomplete(video: String, received: Int, declared: Int)
  case internalError(String)

  public var description: String {
    switch self {
    case .busy(let n):
      "busy: \(n) clips are already being identified, waiting or uploading; retry after the "
        + "seconds Retry-After gives"
    case .empty(let v): "\(v): empty upload"
    case .tooLarge(let v, let limit):
      "\(v): upload larger than the limit of \(limit / (1024 * 1024)) MB"
    case .notAVideo(let v, let reason):
      reason.hasPrefix(v) ? reason : "\(v): \(reason)"
    case .idleUpload(let v, let s):
      "\(v): no bytes received for \(Self.text(s)) s; upload abandoned (idle time-out)"
    case .slowUpload(let v, let s):
      "\(v): upload not complete within the request time-out of \(Self.text(s)) s"
    case .timedOut(let v, let s, let waiting):
      "\(v): not identified within the request time-out of \(Self.text(s)) s ("
        + (waiting ? "still waiting for a free slot)" : "identification stopped)")
    case .incomplete(let v, let received, let declared):
      "\(v): connection closed after \(received) of \(declared) bytes"
    case .internalError(let s): s
    }
  }

  /// The HTTP status code.
  public var status: Int {
    switch self {
    case .busy, .timedOut: 503
    case .empty, .incomplete: 400
    case .tooLarge: 413
    case .notAVideo: 422
    case .idleUpload, .slowUpload: 408
    case .internalError: 500
    }
  }

  /// Seconds as written in messages: "30", "1.5".
  static func text(_ seconds: Double) -> String {
    seconds == seconds.rounded() && abs(seconds) < 1e15
      ? String(Int(seconds)) : String(format: "%g", seconds)
  }
}
