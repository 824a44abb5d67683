import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A failed file-system call, naming the path, the call and the system's reason (errno).
public struct FileSystemError: Error, CustomStringConvertible, Equatable {
  /// The file the call was about.
  public var path: String
  /// The call: `open`, `fsync`, `link`, `rename`, `truncate`, `unlink`, `flock`, ...
  public var call: String
  /// `errno` when the call failed.
  public var code: Int32

  public init(path: String, call: String, code: Int32) {
    self.path = path
    self.call = call
    self.code = code
  }

  /// The system's text for `code` (`strerror`).
  public var reason: String { FileSystemError.text(code) }

  /// The message; the path's control characters escaped (one error, one line).
  public var description: String { "\(MessageText.escaped(path)): \(call) failed (\(reason))" }

  /// True when the call failed because of the machine, not the input: the disk or the quota
  /// is full, the file system is read-only, or the permissions forbid it (``isMachineFailure(code:)``).
  public var isMachineFailure: Bool { Self.isMachineFailure(code: code) }

  /// The errno values that are a failure of the machine (`ENOSPC`, `EDQUOT`, `EROFS`,
  /// `EACCES`, `EPERM`, `EIO`): freeing space or fixing the mount or the permissions and running
  /// the same command again can succeed.
  public static func isMachineFailure(code: Int32) -> Bool {
    [ENOSPC, EDQUOT, EROFS, EACCES, EPERM, EIO].contains(code)
  }

  /// `strerror(code)`: "No space left on device", "Read-only file system", ...
  public static func text(_ code: Int32) -> String { String(cString: strerror(code)) }

  /// The errno of `error` when it carries one: a ``FileSystemError``, a `POSIXError`, or a
  /// Foundation error whose underlying error is one (what `FileManager` and `Data.write` throw).
  public static func code(of error: any Error) -> Int32? {
    if let e = error as? FileSystemError { return e.code }
    if let e = error as? POSIXError { return e.code.rawValue }
    let ns = error as NSError
    if ns.domain == NSPOSIXErrorDomain { return Int32(truncatingIfNeeded: ns.code) }
    if let under = ns.userInfo[NSUnderlyingErrorKey] as? any Error {
      return code(of: under)
    }
    return nil
  }

  /// The cause of a failed write or read in the system's words, for "<path>: cannot write
  /// <what> (<cause>)": the errno text when `error` carries one ("No space left on device"),
  /// else the error's own description.
  public static func cause(of error: any Error) -> String {
    if let code = code(of: error) { return text(code) }
    return MessageText.escaped("\(error)")
  }
}

/// Every raw file-system call of hero-id, in one place: each checks its return code and turns
/// `errno` into a ``FileSystemError`` naming the path, once. `EINTR` is retried.
public enum Syscalls {
  /// `open(2)` with `O_CLOEXEC` added; returns the descriptor.
  public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws -> Int32 {
    while true {
      let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
      if fd >= 0 { return fd }
      if errno != EINTR { throw FileSystemError(path: path, call: "open", code: errno) }
    }
  }

  /// Opens `path` for reading only when it is a regular file (links followed), without ever
  /// blocking: the open is non-blocking (a named pipe with no writer returns at once) and the
  /// descriptor's `fstat` must say "regular file", so a pipe, a device or a socket that took
  /// the name after a check is still never read. Throws ``FileSystemError`` (`ENOENT`, ...) or,
  /// for anything else than a regular file, `FileKindError`.
  public static func openRegularFile(_ path: String) throws -> Int32 {
    let fd = try open(path, O_RDONLY | O_NONBLOCK)
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      let code = errno
      Glibc.close(fd)
      throw FileSystemError(path: path, call: "fstat", code: code)
    }
    guard info.st_mode & S_IFMT == S_IFREG else {
      Glibc.close(fd)
      throw FileKindError(path: path, kind: FileKind(mode: info.st_mode))
    }
    // Back to blocking reads (meaningless for a regular file, but plain).
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
    return fd
  }

  /// `mkdir -p`: creates `path` and its missing parents (mode 0755); a folder that exists is no
  /// error. Throws ``FileSystemError`` naming the part that could not be made (`ENOSPC`,
  /// `EROFS`, `EACCES`, `ENOTDIR` when a file stands where a folder should).
  public static func createFolder(_ path: String) throws {
    var info = stat()
    if stat(path, &info) == 0 {
      guard info.st_mode & S_IFMT == S_IFDIR else {
        throw FileSystemError(path: path, call: "mkdir", code: ENOTDIR)
      }
      return
    }
    let parent = (path as NSString).deletingLastPathComponent
    if !parent.isEmpty, parent != path { try createFolder(parent) }
    guard Glibc.mkdir(path, 0o755) == 0 || errno == EEXIST else {
      throw FileSystemError(path: path, call: "mkdir", code: errno)
    }
  }

  /// `close(2)`; errors are ignored (the descriptor is gone either way).
  public static func close(_ fd: Int32) { _ = Glibc.close(fd) }

  /// `fsync(2)` of an open descriptor.
  public static func fsync(_ fd: Int32, path: String) throws {
    guard Glibc.fsync(fd) == 0 else {
      throw FileSystemError(path: path, call: "fsync", code: errno)
    }
  }

  /// Flushes a folder's entries (renames, links) to disk. Best effort: some file systems refuse
  /// `fsync` on a folder, and the change itself has already happened.
  public static func syncFolder(_ path: String) {
    let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { return }
    _ = Glibc.fsync(fd)
    _ = Glibc.close(fd)
  }

  /// Writes all of `data` at the descriptor's position (one `write(2)` unless it comes up short),
  /// then `fsync(2)`s it.
  public static func writeAll(_ data: Data, to fd: Int32, path: String, sync: Bool = true) throws {
    try data.withUnsafeBytes { raw in
      guard let base = raw.baseAddress else { return }
      var offset = 0
      while offset < raw.count {
        let n = Glibc.write(fd, base + offset, raw.count - offset)
        if n < 0 {
          if errno == EINTR { continue }
          throw FileSystemError(path: path, call: "write", code: errno)
        }
        offset += n
      }
    }
    if sync { try fsync(fd, path: path) }
  }

  /// `link(2)`: a new name for an existing file. Returns false when `destination` exists.
  public static func link(_ source: String, _ destination: String) throws -> Bool {
    if Glibc.link(source, destination) == 0 { return true }
    if errno == EEXIST { return false }
    throw FileSystemError(path: destination, call: "link", code: errno)
  }

  /// `rename(2)`: replaces `destination` atomically.
  public static func rename(_ source: String, _ destination: String) throws {
    guard Glibc.rename(source, destination) == 0 else {
      throw FileSystemError(path: destination, call: "rename", code: errno)
    }
  }

  /// `unlink(2)`; a file that is already gone is no error.
  public static func unlink(_ path: String) throws {
    guard Glibc.unlink(path) == 0 || errno == ENOENT else {
      throw FileSystemError(path: path, call: "unlink", code: errno)
    }
  }

  /// `truncate(2)` to `size` bytes.
  public static func truncate(_ path: String, to size: Int64) throws {
    guard Glibc.truncate(path, off_t(size)) == 0 else {
      throw FileSystemError(path: path, call: "truncate", code: errno)
    }
  }

  /// `ftruncate(2)` of an open descriptor to `size` bytes.
  public static func truncate(_ fd: Int32, to size: Int64, path: String) throws {
    guard Glibc.ftruncate(fd, off_t(size)) == 0 else {
      throw FileSystemError(path: path, call: "truncate", code: errno)
    }
  }

  /// `lseek(fd, 0, SEEK_END)`: the size of an open file (and the position for the next write).
  public static func seekEnd(_ fd: Int32, path: String) throws -> Int64 {
    let n = lseek(fd, 0, SEEK_END)
    guard n >= 0 else { throw FileSystemError(path: path, call: "lseek", code: errno) }
    return Int64(n)
  }

  /// `pread(2)` of `count` bytes at `offset` into `buffer`; returns how many were read.
  public static func read(
    _ fd: Int32, into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int64, path: String
  ) throws -> Int {
    while true {
      let n = pread(fd, buffer, count, off_t(offset))
      if n >= 0 { return n }
      if errno != EINTR { throw FileSystemError(path: path, call: "pread", code: errno) }
    }
  }

  /// The size of the file at `path`, nil when there is none.
  public static func size(_ path: String) -> Int64? {
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
      return nil
    }
    return (attributes[.size] as? NSNumber)?.int64Value
  }

  /// An exclusive lock on an open descriptor (`lockf(3)`, a POSIX record lock over the whole
  /// file; Swift cannot call `flock(2)`, whose name its struct hides). Held until the descriptor
  /// is closed or the process ends, `kill -9` included. With `wait` false, returns false at once
  /// when another process holds it.
  public static func lockExclusive(_ fd: Int32, path: String, wait: Bool) throws -> Bool {
    while true {
      if lockf(fd, wait ? F_LOCK : F_TLOCK, 0) == 0 { return true }
      if errno == EINTR { continue }
      if errno == EAGAIN || errno == EACCES { return false }
      throw FileSystemError(path: path, call: "lockf", code: errno)
    }
  }
}
