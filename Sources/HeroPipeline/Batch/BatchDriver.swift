import Foundation
import HeroCore
import Labeler

/// How one video of a batch ended.
public enum BatchOutcome: String, Sendable, Codable {
  /// Processed by this run.
  case ok
  /// Could not be processed (the record's `error` says why).
  case failed
  /// Same content as another video, which was (or is being) processed instead.
  case duplicate
  /// Settled by an earlier run (done, failed or duplicate): not touched again.
  case alreadyDone = "already_done"
  /// Not processed because of the machine (a full disk, a read-only file system, permissions:
  /// ``MachineFailure``): journaled `unfinished`, so the next run processes it again.
  case unfinished
  /// Not started: the run stopped at a failure of the machine that every further video would
  /// meet too (writing the output). Nothing is journaled; the next run processes it.
  case notStarted = "not_started"
}

/// The per-video result of a batch run.
public struct BatchResult: Sendable {
  public var video: VideoFile
  public var outcome: BatchOutcome
  public var record: BatchRecord
}

/// Runs `work` on a thread of its own and waits for it, so long synchronous stage work
/// (decoding, Inception) neither blocks the cooperative pool nor the store's commits.
func offload<R: Sendable>(_ work: @escaping @Sendable () throws -> R) async throws -> R {
  try await withCheckedThrowingContinuation { continuation in
    DispatchQueue.global(qos: .userInitiated).async {
      continuation.resume(with: Result { try work() })
    }
  }
}

/// The first failure of the machine met while writing a batch's output: once set, no further
/// video is started (each would fail the same way).
final class BatchStop: @unchecked Sendable {
  private let lock = NSLock()
  private var why: String?

  /// The failure that stopped the run, nil while it goes on.
  var reason: String? { lock.withLock { why } }

  /// Stops the run because of `message` (the first reason is kept).
  func stop(_ message: String) { lock.withLock { if why == nil { why = message } } }
}

/// The loop common to `batch extract` and `batch identify`: skip what the journal settled,
/// hash the rest, process each content once with at most `jobs` videos in flight, journal
/// every outcome, and report progress.
///
/// A failure of the machine (``MachineFailure``) is never the video's: it is journaled
/// `unfinished` (the next run processes the video again) and, when it came from writing the
/// output (a full disk, a read-only file system, permissions there), no further video is started.
struct BatchDriver: Sendable {
  /// The progress stage ("batch extract").
  var label: String
  var store: BatchStore
  var jobs: Int
  var retryFailed: Bool
  var control: JobControl

  /// Processes one fresh video: given the video, a `done` record carrying its identity (path,
  /// hash, stamp, label) and when its processing started, returns the journaled `done` record.
  typealias Work = @Sendable (VideoFile, BatchRecord, Date) async throws -> BatchRecord

  /// Set when the run stops at a failure of the machine (``BatchStop``).
  let stop = BatchStop()

  /// Runs the batch over `videos` (in order); results come back in the same order.
  func run(_ videos: [VideoFile], work: @escaping Work) async -> [BatchResult] {
    var results: [BatchResult?] = Array(repeating: nil, count: videos.count)
    var todo: [(Int, VideoFile)] = []
    for (i, v) in videos.enumerated() {
      if let r = await store.settled(v, includeFailed: !retryFailed) {
        results[i] = BatchResult(video: v, outcome: .alreadyDone, record: r)
      } else {
        todo.append((i, v))
      }
    }
    let skipped = videos.count - todo.count
    if skipped > 0 {
      control.observer.note(
        "\(label): \(skipped) of \(videos.count) videos already settled by an earlier run")
    }
    let control = self.control
    let label = self.label
    control.observer.begin(label, total: todo.count)
    let store = self.store
    let retryFailed = self.retryFailed
    let stop = self.stop
    let done = await mapBounded(todo, jobs: jobs) { item -> (Int, BatchResult) in
      let (i, video) = item
      let result: BatchResult
      if control.cancellation.isCancelled {
        var r = BatchRecord(.failed, video: video.relativePath)
        r.error = "\(MessageText.escaped(video.path)): cancelled"
        result = BatchResult(video: video, outcome: .failed, record: r)
      } else if let why = stop.reason {
        var r = BatchRecord(.unfinished, video: video.relativePath)
        r.error = "\(MessageText.escaped(video.path)): not started (the run stopped: \(why))"
        result = BatchResult(video: video, outcome: .notStarted, record: r)
      } else {
        result = await Self.processOne(
          video, store: store, retryFailed: retryFailed, stop: stop, work: work)
      }
      switch result.outcome {
      case .failed: control.observer.note("failed: \(result.record.error ?? video.path)")
      case .unfinished:
        control.observer.note(
          "unfinished (the machine failed, a re-run retries it): "
            + (result.record.error ?? video.path))
      default: break
      }
      control.observer.advance(
        label, note: "\(result.outcome.rawValue) \(MessageText.escaped(video.relativePath))")
      return (i, result)
    }
    if !todo.isEmpty { control.observer.finish(label) }
    for (i, r) in done { results[i] = r }
    // Duplicates told of the video processed for their content, and whether it failed (a
    // duplicate may be settled while its original is still in flight).
    var out: [BatchResult] = []
    out.reserveCapacity(results.count)
    for case var r? in results {
      if r.record.kind == .duplicate { r.record = await store.resolved(r.record) }
      out.append(r)
    }
    return out
  }

  private static func processOne(
    _ video: VideoFile, store: BatchStore, retryFailed: Bool, stop: BatchStop, work: Work
  ) async -> BatchResult {
    let started = Date()
    var base = BatchRecord(.done, video: video.relativePath)
    base.hero = video.label
    /// Journals the failure: `failed` (the video's), or `unfinished` for a failure of the
    /// machine, which stops the run when it came from writing the output (`output`). A record
    /// that cannot be journaled (the disk is full) leaves the video unsettled too.
    func failed(_ why: String, machine: Bool = false, output: Bool = false) async -> BatchResult {
      var r = base
      r.kind = machine ? .unfinished : .failed
      r.error = why
      r.seconds = Date().timeIntervalSince(started)
      var outcome: BatchOutcome = machine ? .unfinished : .failed
      do { try await store.settle(r) } catch {
        r.error = why + "; and \(error)"
        if MachineFailure.isMachineFailure(error) {
          outcome = .unfinished
          r.kind = .unfinished
          stop.stop("\(error)")
        }
      }
      if machine, output { stop.stop(why) }
      return BatchResult(video: video, outcome: outcome, record: r)
    }
    let name = MessageText.escaped(video.path)
    guard let stamp = FileStamp(path: video.path) else {
      return await failed("\(name): cannot read file (\(FileSystemError.text(ENOENT)))")
    }
    base.size = stamp.size
    base.mtime = stamp.mtime
    do {
      // Regular files only: a pipe or device that took the name since the walk is refused.
      base.hash = try await offload { try SHA1.hex(fileAt: video.path) }
    } catch let e as FileKindError {
      return await failed("\(e)")
    } catch {
      // A file the permissions forbid, or a failing disk: the machine's, retried next run.
      return await failed(
        "\(name): cannot read file (\(FileSystemError.cause(of: error)))",
        machine: MachineFailure.isMachineFailure(error))
    }
    guard let hash = base.hash else { return await failed("\(name): cannot read file") }
    switch await store.claim(hash: hash, video: video.relativePath, includeFailed: !retryFailed) {
    case .settled(let earlier) where earlier.video == video.relativePath:
      return BatchResult(video: video, outcome: .alreadyDone, record: earlier)
    case .settled(let earlier):
      return await duplicate(
        of: earlier.video ?? "?", base: base, video: video, store: store, stop: stop)
    case .inFlight(let other):
      return await duplicate(of: other, base: base, video: video, store: store, stop: stop)
    case .fresh:
      break
    }
    do {
      let done = try await work(video, base, started)
      return BatchResult(video: video, outcome: .ok, record: done)
    } catch {
      // The work reads the video through libav (whose errors carry no errno) and writes the
      // output: a failure of the machine here is the output's.
      let machine = MachineFailure.isMachineFailure(error)
      return await failed("\(error)", machine: machine, output: machine)
    }
  }

  private static func duplicate(
    of original: String, base: BatchRecord, video: VideoFile, store: BatchStore, stop: BatchStop
  ) async -> BatchResult {
    var r = base
    r.kind = .duplicate
    r.duplicateOf = original
    do { try await store.settle(r) } catch {
      r.error = "\(error)"
      if MachineFailure.isMachineFailure(error) {
        stop.stop("\(error)")
        r.kind = .unfinished
        return BatchResult(video: video, outcome: .unfinished, record: r)
      }
      r.kind = .failed
      return BatchResult(video: video, outcome: .failed, record: r)
    }
    return BatchResult(video: video, outcome: .duplicate, record: r)
  }
}

/// The `--jobs` default of the batch commands: one video per core.
public func defaultBatchJobs() -> Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
