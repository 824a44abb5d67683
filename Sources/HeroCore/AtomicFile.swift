import Foundation

/// Atomic file writes: the bytes go to a temporary file in the same folder, which is then
/// renamed over the destination, so a reader (or a run killed midway) never sees half a file.
/// The temporary file's bytes are flushed to disk (`fsync`) before the rename, and the folder
/// after it, so that after a power cut a name that survived points at whole bytes, and a
/// journal line written after the call (batch, index.csv) never names a file that is gone.
public enum AtomicFile {
  /// Writes `data` to `url` atomically, creating the parent folder if needed.
  ///
  /// Errors are ``FileSystemError``s naming `url` (not the temporary file) and the system's
  /// reason: "…/model.json: write failed (No space left on device)".
  public static func write(_ data: Data, to url: URL) throws {
    let dir = url.deletingLastPathComponent()
    let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
    do {
      try Syscalls.createFolder(dir.path)
      try writeDurably(data, to: tmp)
      try Syscalls.rename(tmp.path, url.path)
      syncFolder(dir)
    } catch {
      try? Syscalls.unlink(tmp.path)
      throw naming(url, error)
    }
  }

  /// Writes `data` to a new file `url` atomically, failing if it exists (link + unlink).
  /// Returns false when the name is already taken. Errors as ``write(_:to:)``.
  public static func create(_ data: Data, at url: URL) throws -> Bool {
    let dir = url.deletingLastPathComponent()
    let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
    do {
      try Syscalls.createFolder(dir.path)
      try writeDurably(data, to: tmp)
    } catch {
      try? Syscalls.unlink(tmp.path)
      throw naming(url, error)
    }
    defer {
      try? Syscalls.unlink(tmp.path)
      syncFolder(dir)
    }
    return try Syscalls.link(tmp.path, url.path)
  }

  /// A failure about the temporary file, told of `url` (the file the caller asked for); a
  /// folder that could not be made keeps its own path.
  private static func naming(_ url: URL, _ error: any Error) -> any Error {
    guard var e = error as? FileSystemError, e.call != "mkdir" else { return error }
    e.path = url.path
    return e
  }

  /// Writes `data` to a new file `url` and flushes it to disk.
  static func writeDurably(_ data: Data, to url: URL) throws {
    let fd = try Syscalls.open(url.path, O_WRONLY | O_CREAT | O_TRUNC)
    defer { Syscalls.close(fd) }
    try Syscalls.writeAll(data, to: fd, path: url.path)
  }

  /// Flushes a folder's entries (renames, links) to disk; best effort (some file systems
  /// refuse `fsync` on a folder, and the write itself has already succeeded).
  public static func syncFolder(_ dir: URL) { Syscalls.syncFolder(dir.path) }
}
