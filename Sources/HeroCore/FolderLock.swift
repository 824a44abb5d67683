import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// One writer per output folder: an exclusive `flock(2)` on `FOLDER/.hero-id.lock`, held while
/// the value lives.
///
/// A second `hero-id` process that wants to write into the same folder (`extract`, `batch
/// extract`, `batch merge`) does not wait: it fails at once with ``FolderLockError/busy(folder:lock:)``
/// ("another hero-id run is writing to …"), before touching anything. The kernel drops the lock
/// when the holder exits, even by `kill -9`, so a stale lock file never blocks a later run (the
/// file itself stays; its presence means nothing). Within one process the lock is shared: a
/// second `acquire` of the same folder (by its real path) returns a handle on the same lock, so
/// a job and the crop store it opens do not lock each other out.
public final class FolderLock: @unchecked Sendable {
  /// The lock file's name inside the folder.
  public static let fileName = ".hero-id.lock"

  /// The folder, as its real path.
  public let folder: String
  private let held: Held

  /// The descriptor and the number of handles of this process on it.
  private final class Held {
    let descriptor: Int32
    var handles = 0
    init(descriptor: Int32) { self.descriptor = descriptor }
  }

  nonisolated(unsafe) private static var table: [String: Held] = [:]
  private static let tableLock = NSLock()

  /// Takes the lock of `folder` (created if needed), or throws `FolderLockError.busy` when
  /// another process holds it.
  public static func acquire(folder: String) throws -> FolderLock {
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    } catch {
      throw FolderLockError.cannotLock(folder: folder, reason: "cannot create the folder")
    }
    guard let real = realpath(folder, nil) else {
      throw FolderLockError.cannotLock(folder: folder, reason: String(cString: strerror(errno)))
    }
    let key = String(cString: real)
    free(real)
    tableLock.lock()
    defer { tableLock.unlock() }
    if let held = table[key] {
      held.handles += 1
      return FolderLock(folder: key, held: held)
    }
    let path = (key as NSString).appendingPathComponent(fileName)
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw FolderLockError.cannotLock(folder: folder, reason: String(cString: strerror(errno)))
    }
    var rc: Int32
    repeat { rc = flock(fd, LOCK_EX | LOCK_NB) } while rc != 0 && errno == EINTR
    if rc != 0 {
      let busy = errno == EWOULDBLOCK
      let why = String(cString: strerror(errno))
      close(fd)
      throw busy
        ? FolderLockError.busy(folder: folder, lock: path)
        : FolderLockError.cannotLock(folder: folder, reason: why)
    }
    let held = Held(descriptor: fd)
    held.handles = 1
    table[key] = held
    return FolderLock(folder: key, held: held)
  }

  private init(folder: String, held: Held) {
    self.folder = folder
    self.held = held
  }

  deinit {
    Self.tableLock.lock()
    defer { Self.tableLock.unlock() }
    held.handles -= 1
    if held.handles == 0 {
      Self.table[folder] = nil
      close(held.descriptor)  // releases the flock
    }
  }
}

/// Why an output folder could not be locked.
public enum FolderLockError: Error, CustomStringConvertible, Equatable {
  case busy(folder: String, lock: String)
  case cannotLock(folder: String, reason: String)

  public var description: String {
    switch self {
    case .busy(let f, _):
      "\(f): another hero-id run is writing to this folder; wait for it to finish (one writer per folder)"
    case .cannotLock(let f, let r): "\(f): cannot lock the folder (\(r))"
    }
  }
}
