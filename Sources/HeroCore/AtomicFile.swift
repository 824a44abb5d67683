import Foundation

/// Atomic file writes: the bytes go to a temporary file in the same folder, which is then
/// renamed over the destination, so a reader (or a run killed midway) never sees half a file.
public enum AtomicFile {
  /// Writes `data` to `url` atomically, creating the parent folder if needed.
  public static func write(_ data: Data, to url: URL) throws {
    let dir = url.deletingLastPathComponent()
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
    do {
      try data.write(to: tmp)
      if rename(tmp.path, url.path) != 0 {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
      }
    } catch {
      try? FileManager.default.removeItem(at: tmp)
      throw error
    }
  }

  /// Writes `data` to a new file `url` atomically, failing if it exists (link + unlink).
  /// Returns false when the name is already taken.
  public static func create(_ data: Data, at url: URL) throws -> Bool {
    let dir = url.deletingLastPathComponent()
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
    try data.write(to: tmp)
    defer { unlink(tmp.path) }
    if link(tmp.path, url.path) == 0 { return true }
    if errno == EEXIST { return false }
    throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
  }
}
