import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Named points where a test can stop this process, to kill it exactly there: with the
/// environment variable `HERO_ID_STOP_AT=NAME` (or `NAME:N`, the N-th time the point is
/// reached, counted from 1), the process sends itself `SIGSTOP` at that point and waits there;
/// the test sees it stopped (`/proc/PID/stat` state `T`) and sends `SIGKILL`. A kill test then
/// needs no timing window: it lands at the point on any machine, busy or fast. Without the
/// variable a point costs one comparison. The points (docs/hostile-inputs.md):
/// - `model-staged`: a model save has written its files into the staging folder, before the
///   exchange with the model folder;
/// - `model-exchanged`: the new model is in place, the old one not yet removed;
/// - `crop-staged`: a crop of the video being extracted is in its staging folder;
/// - `commit-placed`: a video's crops have their final names, its index rows and journal
///   `done` not yet written;
/// - `video-done`: a video's crops are committed and journaled (`extract`, `batch extract`,
///   `batch merge`), or its identification journaled (`batch identify`).
public enum StopPoint {
  private static let wanted: (name: Substring, at: Int)? = {
    guard let spec = ProcessInfo.processInfo.environment["HERO_ID_STOP_AT"], !spec.isEmpty
    else { return nil }
    let parts = spec.split(separator: ":", maxSplits: 1)
    let at = parts.count == 2 ? Int(parts[1]) ?? 1 : 1
    return (parts[0], max(1, at))
  }()
  private static let lock = NSLock()
  nonisolated(unsafe) private static var count = 0

  /// Stops the process here when `HERO_ID_STOP_AT` names this point (and this is its N-th
  /// time).
  public static func reach(_ name: String) {
    guard let wanted, wanted.name == name else { return }
    lock.lock()
    count += 1
    let now = count
    lock.unlock()
    if now == wanted.at { raise(SIGSTOP) }
  }
}
