import Foundation
import HeroCore
import Labeler
import Testing

/// One writer per folder, and what `kill -9` leaves behind (issue 14).
@Suite("Crop store: locking and crash recovery", .serialized)
struct CropStoreCrashTests {
  func folder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "cropstore-crash-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  /// Writes what a run killed after `AtomicFile.create` but before the index row leaves: the
  /// pending line and the crop (with `bytes`), or only the pending line.
  func killedRun(in dir: URL, file: String, bytes: Data, cropWritten: Bool, pts: Double) throws {
    let hero = String(file.split(separator: "/")[0])
    let row = IndexRow(file: file, video: "v.mp4", ptsSeconds: pts, screen: .gameplay, hero: hero)
    let record: [String: String] = [
      "file": file, "sha1": SHA1.hex(bytes), "index": row.csvLine,
      "key": CSV.line(["vkey", IndexRow.format(pts), file]),
    ]
    var line = try JSONSerialization.data(withJSONObject: record)
    line.append(0x0A)
    try Journal.appendWhole(line, to: dir.appendingPathComponent(".extract-pending.jsonl"))
    if cropWritten {
      let url = dir.appendingPathComponent(file)
      try FileManager.default.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try bytes.write(to: url)
      // And the temporary file of an interrupted create.
      try Data([1]).write(
        to: url.deletingLastPathComponent().appendingPathComponent(
          ".\(url.lastPathComponent).\(UUID().uuidString).tmp"))
    }
  }

  @Test("a crop left without its index row is adopted on the next open: no duplicate")
  func orphanAdopted() async throws {
    let dir = try folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    do { _ = try CropStore(root: dir.path) }  // creates index.csv and the keys file
    try killedRun(in: dir, file: "A/A_000001.jpg", bytes: Data([7, 7]), cropWritten: true, pts: 3)
    try killedRun(in: dir, file: "A/A_000002.jpg", bytes: Data([8]), cropWritten: false, pts: 4)
    let store = try CropStore(root: dir.path)
    let rows = try CropStore.readIndex(root: dir.path)
    #expect(rows.map(\.file) == ["A/A_000001.jpg"])
    #expect(await store.contains(videoKey: "vkey", ptsSeconds: 3))
    #expect(!(await store.contains(videoKey: "vkey", ptsSeconds: 4)))
    // The re-run adds nothing for the adopted frame, and the next crop gets the next number.
    #expect(try await store.add(jpeg: Data([7, 7]), hero: "A", video: "v.mp4", videoKey: "vkey", ptsSeconds: 3) == nil)
    let next = try await store.add(
      jpeg: Data([8]), hero: "A", video: "v.mp4", videoKey: "vkey", ptsSeconds: 4)
    #expect(next?.hasSuffix("A/A_000002.jpg") == true)
    let names = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("A").path)
    #expect(names.sorted() == ["A_000001.jpg", "A_000002.jpg"], "temporary file removed")
    #expect(try CropStore.readIndex(root: dir.path).count == 2)
  }

  @Test("a pending crop whose bytes differ (not ours) is not adopted")
  func foreignFileNotAdopted() throws {
    let dir = try folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    do { _ = try CropStore(root: dir.path) }
    try killedRun(in: dir, file: "A/A_000001.jpg", bytes: Data([1]), cropWritten: false, pts: 1)
    try FileManager.default.createDirectory(
      at: dir.appendingPathComponent("A"), withIntermediateDirectories: true)
    try Data([9, 9, 9]).write(to: dir.appendingPathComponent("A/A_000001.jpg"))
    _ = try CropStore(root: dir.path)
    #expect(try CropStore.readIndex(root: dir.path).isEmpty)
  }

  @Test("a second store on the same folder in another process is refused; in this one, shared")
  func lock() throws {
    let dir = try folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let first = try FolderLock.acquire(folder: dir.path)
    let again = try FolderLock.acquire(folder: dir.path + "/.")
    #expect(first.folder == again.folder)
    // Another process: flock from a shell (util-linux `flock`), which must fail at once.
    let lockFile = dir.appendingPathComponent(FolderLock.fileName).path
    #expect(try Self.shell("flock -n \(lockFile) true") == 1)
    _ = (first, again)
  }

  @Test("a folder locked by another process cannot be opened as a crop store")
  func lockedByAnotherProcess() throws {
    let dir = try folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let lockFile = dir.appendingPathComponent(FolderLock.fileName).path
    // Hold the lock from a child process for a few seconds.
    let child = Process()
    child.executableURL = URL(fileURLWithPath: "/bin/sh")
    child.arguments = ["-c", "exec flock -n \(lockFile) sleep 5"]
    try child.run()
    defer { child.terminate() }
    var held = false
    for _ in 0..<100 {
      if (try? Self.shell("flock -n \(lockFile) true")) == 1 {
        held = true
        break
      }
      usleep(20_000)
    }
    #expect(held)
    do {
      _ = try CropStore(root: dir.path)
      Issue.record("opened a locked folder")
    } catch {
      #expect("\(error)".contains("another hero-id run is writing to this folder"))
      #expect(!"\(error)".contains("\n"))
    }
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("index.csv").path))
  }

  static func shell(_ command: String) throws -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", command]
    try p.run()
    p.waitUntilExit()
    return p.terminationStatus
  }
}
