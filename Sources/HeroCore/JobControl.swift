import Foundation

/// What a long job tells its front end while it runs: progress per stage, and human notes
/// (warnings, a line per finished video). The CLI prints them on stderr (``StderrObserver``); a
/// web page would stream them; a test can record them. Called from any task.
public protocol JobObserver: Sendable {
  /// A stage starts, with `total` items when known.
  func begin(_ stage: String, total: Int?)
  /// `count` more items of `stage` are done; `note` says which (may be empty).
  func advance(_ stage: String, by count: Int, note: String)
  /// `stage` is over.
  func finish(_ stage: String)
  /// A human line: a warning, a summary of one item.
  func note(_ line: String)
}

extension JobObserver {
  /// One more item of `stage` is done.
  public func advance(_ stage: String, note: String = "") { advance(stage, by: 1, note: note) }
}

/// Cancellation of a running job, shared between the front end (which cancels) and the job
/// (which checks between frames and videos and stops early, leaving its outputs consistent).
public final class Cancellation: @unchecked Sendable {
  private let lock = NSLock()
  private var cancelled = false

  public init() {}

  /// Asks the job to stop.
  public func cancel() {
    lock.lock()
    cancelled = true
    lock.unlock()
  }

  /// True once ``cancel()`` was called, or the current task was cancelled.
  public var isCancelled: Bool {
    lock.lock()
    defer { lock.unlock() }
    return cancelled || Task.isCancelled
  }
}

/// The error a job throws when it stopped because it was cancelled.
public struct CancelledError: Error, CustomStringConvertible {
  public init() {}
  public var description: String { "cancelled" }
}

/// Progress and notes for a job, and its cancellation: the two things every job call takes
/// besides its options.
public struct JobControl: Sendable {
  public var observer: any JobObserver
  public var cancellation: Cancellation

  public init(observer: any JobObserver, cancellation: Cancellation = Cancellation()) {
    self.observer = observer
    self.cancellation = cancellation
  }

  /// No progress, no notes, never cancelled.
  public static var silent: JobControl { JobControl(observer: SilentObserver()) }

  /// Throws ``CancelledError`` when the job was cancelled.
  public func checkCancelled() throws {
    if cancellation.isCancelled { throw CancelledError() }
  }
}

/// An observer that drops everything.
public struct SilentObserver: JobObserver {
  public init() {}
  public func begin(_ stage: String, total: Int?) {}
  public func advance(_ stage: String, by count: Int, note: String) {}
  public func finish(_ stage: String) {}
  public func note(_ line: String) {}
}

/// The CLI's observer: a ``ProgressReporter`` line per stage on stderr, notes as lines.
/// With `quiet`, progress is not shown (notes still are unless `quietNotes`).
public final class StderrObserver: JobObserver, @unchecked Sendable {
  private let lock = NSLock()
  private var reporters: [String: ProgressReporter] = [:]
  private let quiet: Bool
  private let quietNotes: Bool
  /// Stages whose progress is not shown (e.g. a stage with a single item).
  private let minimumTotal: Int

  public init(quiet: Bool = false, quietNotes: Bool = false, minimumTotal: Int = 0) {
    self.quiet = quiet
    self.quietNotes = quietNotes
    self.minimumTotal = minimumTotal
  }

  public func begin(_ stage: String, total: Int?) {
    let hidden = quiet || (total.map { $0 < minimumTotal } ?? false)
    lock.lock()
    reporters[stage] = ProgressReporter(stage, total: total, quiet: hidden)
    lock.unlock()
  }

  public func advance(_ stage: String, by count: Int, note: String) {
    reporter(stage)?.advance(by: count, note: note)
  }

  public func finish(_ stage: String) { reporter(stage)?.finish() }

  public func note(_ line: String) { if !quietNotes { printError(line) } }

  private func reporter(_ stage: String) -> ProgressReporter? {
    lock.lock()
    defer { lock.unlock() }
    return reporters[stage]
  }
}
