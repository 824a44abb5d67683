import Foundation
import HeroCore
import Labeler
import TestSupport
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
    #expect(try LockHolder.isLocked(lockFile))
    _ = (first, again)
  }

  @Test("a folder locked by another process cannot be opened as a batch store")
  func lockedByAnotherProcess() throws {
    let dir = try folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let lockFile = dir.appendingPathComponent(FolderLock.fileName).path
    // The child takes the lock, says so, and holds it until released: no time window.
    let holder = try LockHolder(lockFile)
    defer { holder.release() }
    #expect(try LockHolder.isLocked(lockFile))
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
