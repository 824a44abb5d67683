import Foundation

/// The server's jobs: admission (at most `concurrentJobs` running and `queueLength` waiting,
/// counting uploads still arriving), the run slots (first come, first served), and the state
/// of every job for `GET /jobs/ID`.
actor JobQueue {
  enum State: String, Sendable {
    case uploading, queued, running, done, failed
  }

  struct Job: Sendable {
    var id: String
    var video: String
    var state: State
    var result: IdentifiedClip?
    var error: String?
    let progress: ProgressBox
  }

  let options: ServeOptions
  private var jobs: [String: Job] = [:]
  private var finishedOrder: [String] = []
  private var admitted = 0
  private var running = 0
  private var waiting: [CheckedContinuation<Void, Never>] = []
  private var counter = 0

  init(options: ServeOptions) { self.options = options }

  /// A new job for `video` when there is room (running + waiting + uploading below the
  /// limit); nil means busy.
  func admit(video: String) -> Job? {
    guard admitted < options.concurrentJobs + options.queueLength else { return nil }
    admitted += 1
    counter += 1
    let id = String(format: "%06d-", counter) + UUID().uuidString.prefix(8).lowercased()
    let job = Job(id: id, video: video, state: .uploading, progress: ProgressBox())
    jobs[id] = job
    return job
  }

  /// Forgets a job whose upload was refused (too large, empty, broken connection).
  func withdraw(_ id: String) {
    guard jobs.removeValue(forKey: id) != nil else { return }
    admitted -= 1
  }

  /// Marks the upload complete; the job waits for a slot.
  func queued(_ id: String) { jobs[id]?.state = .queued }

  /// Waits for a run slot (first come, first served) and marks the job running.
  func acquireSlot(for id: String) async {
    if running < options.concurrentJobs {
      running += 1
    } else {
      await withCheckedContinuation { waiting.append($0) }
    }
    jobs[id]?.state = .running
  }

  /// Records the outcome, frees the slot and the admission.
  func finish(_ id: String, result: Result<IdentifiedClip, ServeError>) {
    switch result {
    case .success(let clip):
      jobs[id]?.state = .done
      jobs[id]?.result = clip
    case .failure(let error):
      jobs[id]?.state = .failed
      jobs[id]?.error = error.description
    }
    admitted -= 1
    if waiting.isEmpty {
      running -= 1
    } else {
      waiting.removeFirst().resume()
    }
    finishedOrder.append(id)
    while finishedOrder.count > options.keepFinished {
      jobs.removeValue(forKey: finishedOrder.removeFirst())
    }
  }

  func job(_ id: String) -> Job? { jobs[id] }

  /// Counts for `/healthz`.
  func counts() -> (running: Int, queued: Int, uploading: Int, finished: Int) {
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
}

/// The latest progress of a running job, written by its worker thread and read by requests.
final class ProgressBox: @unchecked Sendable {
  private let lock = NSLock()
  private var value: IdentifyProgress?

  func set(_ p: IdentifyProgress) {
    lock.lock()
    value = p
    lock.unlock()
  }

  func get() -> IdentifyProgress? {
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
  case internalError(String)

  public var description: String {
    switch self {
    case .busy(let n):
      "busy: \(n) clips are already being identified or waiting; try again shortly"
    case .empty(let v): "\(v): empty upload"
    case .tooLarge(let v, let limit):
      "\(v): upload larger than the limit of \(limit / (1024 * 1024)) MB"
    case .notAVideo(let v, let reason):
      reason.hasPrefix(v) ? reason : "\(v): \(reason)"
    case .internalError(let s): s
    }
  }

  /// The HTTP status code.
  public var status: Int {
    switch self {
    case .busy: 503
    case .empty: 400
    case .tooLarge: 413
    case .notAVideo: 422
    case .internalError: 500
    }
  }
}
