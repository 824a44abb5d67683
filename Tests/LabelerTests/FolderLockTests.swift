import Foundation
import HeroCore
import Labeler
import Testing

/// One writer per output folder (issue 14): `extract`, `batch extract` and `batch merge` all
/// open the folder through `BatchStore`, which holds its `FolderLock`.
@Suite("Folder lock", .serialized)
struct FolderLockTests {
  func folder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "folder-lock-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  /// Python's `fcntl.lockf` (a POSIX record lock, as `FolderLock`) on `path` for `seconds`;
  /// exits 1 at once when another process holds it.
  static func pythonLock(_ path: String, seconds: Double, wait: Bool = false) -> Process {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [
      "python3", "-c",
      "import fcntl,sys,time; f=open(sys.argv[1],'a'); "
        + "fcntl.lockf(f,fcntl.LOCK_EX|(0 if sys.argv[3]=='wait' else fcntl.LOCK_NB)); "
        + "time.sleep(float(sys.argv[2]))",
      path, String(seconds), wait ? "wait" : "nowait",
    ]
    p.standardError = FileHandle.nullDevice
    return p
  }

  /// True when another process holds the lock on `path`.
  static func isLocked(_ path: String) throws -> Bool {
    let p = pythonLock(path, seconds: 0)
    try p.run()
    p.waitUntilExit()
    return p.terminationStatus != 0
  }

  @Test("the lock is refused to another process and shared within this one")
  func lock() throws {
    let dir = try folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let first = try FolderLock.acquire(folder: dir.path)
    let again = try FolderLock.acquire(folder: dir.path + "/.")
    #expect(first.folder == again.folder)
    // The same process can open a store on the folder it holds.
    _ = try BatchStore(
      journalURL: dir.appendingPathComponent(".batch/journal.jsonl"), cropRoot: dir, options: [:])
    let lockFile = dir.appendingPathComponent(FolderLock.fileName).path
    #expect(try Self.isLocked(lockFile))
    _ = (first, again)
  }

  @Test("a folder locked by another process cannot be opened as a batch store")
  func lockedByAnotherProcess() throws {
    let dir = try folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let lockFile = dir.appendingPathComponent(FolderLock.fileName).path
    let child = Self.pythonLock(lockFile, seconds: 5, wait: true)
    try child.run()
    defer { child.terminate() }
    var held = false
    for _ in 0..<200 {
      if (try? Self.isLocked(lockFile)) == true {
        held = true
        break
      }
      usleep(20_000)
    }
    #expect(held)
    do {
      _ = try BatchStore(
        journalURL: dir.appendingPathComponent(".batch/journal.jsonl"), cropRoot: dir,
        options: [:])
      Issue.record("opened a locked folder")
    } catch {
      #expect("\(error)".contains("another hero-id run is writing to this folder"))
      #expect(!"\(error)".contains("\n"))
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [FolderLock.fileName])
  }
}
