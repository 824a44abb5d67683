import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// One writer per output folder: an exclusive lock (`lockf(3)`, a POSIX record lock, through
/// ``Syscalls/lockExclusive(_:path:wait:)``) on `FOLDER/.hero-id.lock`, held while the value
/// lives.
///
/// A second `hero-id` process that wants to write into the same folder (`extract`, `batch
/// extract`, `batch merge`) does not wait: it fails at once with ``FolderLockError/busy(folder:lock:)``
/// ("another hero-id run is writing to …"), before touching anything. The kernel drops the lock
/// when the holder exits, even by `kill -9`, so a stale lock file never blocks a later run (the
/// file itself stays; its presence means nothing). A POSIX record lock belongs to the process
/// and is not inherited by a child (a `flock(2)` lock would be held by every process forked
/// while it is open). Within one process the lock is shared: a second `acquire` of the same
/// folder (by its real path) returns a handle on the same descriptor, which stays open until
/// the last handle goes (closing any descriptor of the file would drop a record lock).
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
    do { try Syscalls.createFolder(folder) } catch {
      throw FolderLockError.cannotLock(
        folder: folder,
        reason:
          "cannot create the folder: \(WriteError(path: folder, what: "", error: error).cause)")
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
    let locked: Bool
    do { locked = try Syscalls.lockExclusive(fd, path: path, wait: false) } catch {
      close(fd)
      throw FolderLockError.cannotLock(folder: folder, reason: "\(error)")
    }
    guard locked else {
      close(fd)
      throw FolderLockError.busy(folder: folder, lock: path)
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
      close(held.descriptor)  // releases the lock
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
    case .cannotLock(let f, let r): "\(MessageText.escaped(f)): cannot lock the folder (\(r))"
    }
  }
}
