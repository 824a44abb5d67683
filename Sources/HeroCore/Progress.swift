import Foundation

/// Human progress on stderr: a redrawn line on a terminal, a plain line every few seconds otherwise.
public final class ProgressReporter: @unchecked Sendable {
  private let label: String
  private let total: Int?
  private let start = Date()
  private var done = 0
  private var lastPrint = Date.distantPast
  private var lastPrintedDone = -1
  private let lock = NSLock()
  private let isTerminal = isatty(2) == 1
  private let quiet: Bool

  public init(_ label: String, total: Int?, quiet: Bool = false) {
    self.label = label
    self.total = total
    self.quiet = quiet
  }

  /// Counts `n` more items done and redraws when due.
  public func advance(by n: Int = 1, note: String = "") {
    lock.lock()
    defer { lock.unlock() }
    done += n
    let now = Date()
    let interval = isTerminal ? 0.2 : 5.0
    guard !quiet, now.timeIntervalSince(lastPrint) >= interval || done == total else { return }
    lastPrint = now
    lastPrintedDone = done
    emit(line(now: now, note: note), final: false)
  }

  /// Prints the last line (with a newline on a terminal).
  public func finish(note: String = "") {
    lock.lock()
    defer { lock.unlock() }
    guard !quiet else { return }
    // Off a terminal, a last advance already printed this very line.
    if !isTerminal, lastPrintedDone == done, note.isEmpty { return }
    emit(line(now: Date(), note: note), final: true)
  }

  private func line(now: Date, note: String) -> String {
    let elapsed = now.timeIntervalSince(start)
    let rate = elapsed > 0 ? Double(done) / elapsed : 0
    var s = "\(label): \(done)"
    if let total {
      s += "/\(total)"
      if rate > 0, done < total {
        s += String(format: " (%.1f/s, ETA %@)", rate, Self.duration(Double(total - done) / rate))
      } else {
        s += String(format: " (%.1f/s)", rate)
      }
    } else {
      s += String(format: " (%.1f/s)", rate)
    }
    if !note.isEmpty { s += " " + note }
    return s
  }

  private func emit(_ s: String, final: Bool) {
    let text = isTerminal ? "\r\u{1B}[K" + s + (final ? "\n" : "") : s + "\n"
    FileHandle.standardError.write(Data(text.utf8))
  }

  static func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600
      ? String(format: "%dh%02dm", s / 3600, (s / 60) % 60)
      : String(format: "%dm%02ds", s / 60, s % 60)
  }
}

/// Writes one line to stderr.
public func printError(_ line: String) {
  FileHandle.standardError.write(Data((line + "\n").utf8))
}
