import Foundation
import HeroCore
import Testing

/// A small tmpfs of its own: a real full disk, deterministic (its size is set, and a filler
/// file leaves a known room). Needs root and `mount(8)`; `available` says whether this machine
/// has them.
enum SmallDisk {
  static let available: Bool = {
    guard getuid() == 0, let dir = try? CLI.temporaryDirectory() else { return false }
    defer { try? FileManager.default.removeItem(at: dir) }
    guard run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir.path]) else { return false }
    return run(["umount", dir.path])
  }()

  @discardableResult
  static func run(_ arguments: [String]) -> Bool {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = arguments
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    do { try p.run() } catch { return false }
    p.waitUntilExit()
    return p.terminationStatus == 0
  }

  /// Mounts a tmpfs of `size` at `dir`, runs `body`, unmounts.
  static func with<R>(size: String, at dir: URL, _ body: () throws -> R) throws -> R {
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    guard run(["mount", "-t", "tmpfs", "-o", "size=\(size)", "tmpfs", dir.path]) else {
      throw BatchFixtures.FixtureError(what: "mount tmpfs at \(dir.path)")
    }
    defer { run(["umount", dir.path]) }
    return try body()
  }

  /// Fills the file system of `dir` with a file `filler` until `room` bytes are left.
  static func fill(_ filler: URL, leaving room: Int) throws {
    let attrs = try FileManager.default.attributesOfFileSystem(
      forPath: filler.deletingLastPathComponent().path)
    let free = (attrs[.systemFreeSize] as? NSNumber)?.intValue ?? 0
    try Data(count: max(0, free - room)).write(to: filler)
  }
}

/// A full disk is the machine's failure, not the videos' (issue 29): the run stops, says why,
/// exits 75, journals nothing as failed, and the same command after space is freed finishes
/// the job with no crop twice.
@Suite(.serialized) struct BatchMachineFailureTests {
  let videoCount = BatchFixtures.heroes.count * BatchFixtures.clipsPerHero

  @Test(.enabled(if: SmallDisk.available, "needs root and mount(8) for a small tmpfs"))
  func fullDiskStopsTheRunAndTheSameCommandFinishesIt() throws {
    let tree = try BatchFixtures.tree.get()
    let reference = try CLI.temporaryDirectory().appendingPathComponent("crops")
    #expect(try CLI.heroID(["batch", "extract", tree.path, "--out", reference.path]).status == 0)
    let expected = try CropSet.read(reference)

    let disk = try CLI.temporaryDirectory().appendingPathComponent("disk")
    try SmallDisk.with(size: "4m", at: disk) {
      let out = disk.appendingPathComponent("crops")
      let filler = disk.appendingPathComponent("filler")
      // Room for the journal and a few crops: the first video cannot be staged whole.
      try SmallDisk.fill(filler, leaving: 24 * 1024)
      let args = ["batch", "extract", tree.path, "--out", out.path, "--jobs", "1", "--json"]
      let full = try CLI.heroID(args, timeout: 600)
      #expect(full.status == 75, "\(full.stderr)")
      #expect(full.stderr.contains("No space left on device"), "\(full.stderr)")
      #expect(full.stderr.contains("stopped: "), "\(full.stderr)")
      #expect(full.stderr.contains("run the same command again"), "\(full.stderr)")
      let summaryLine = try #require(full.stdoutLines.last)
      let summary = try #require(
        (try JSONSerialization.jsonObject(with: Data(summaryLine.utf8)) as? [String: Any])?[
          "summary"] as? [String: Any])
      #expect((summary["stopped"] as? String)?.contains("No space left on device") == true)
      #expect(summary["failed"] as? Int == 0, "a full disk is not the videos' fault")
      let unfinished = (summary["unfinished"] as? [Any])?.count ?? 0
      let notStarted = summary["not_started"] as? Int ?? 0
      let ok = summary["ok"] as? Int ?? 0
      #expect(unfinished >= 1)
      #expect(ok + unfinished + notStarted == videoCount, "\(summary)")
      #expect(notStarted >= 1, "the run should stop, not try every video: \(summary)")
      let journal = out.appendingPathComponent(".batch/journal.jsonl")
      #expect(jsonlCount(journal, key: "kind", value: "failed") == 0)
      #expect(jsonlCount(journal, key: "kind", value: "unfinished") >= 1)

      // Space freed: the same command, no flag, finishes the job.
      try FileManager.default.removeItem(at: filler)
      let again = try CLI.heroID(args, timeout: 600)
      #expect(again.status == 0, "\(again.stderr)")
      // Only what the full disk left: the unfinished video and those never started.
      #expect(again.stderr.contains("\(videoCount - ok) ok"), "\(again.stderr)")
      #expect(try CropSet.read(out) == expected)
      let done = jsonlObjects(journal).filter { $0["kind"] as? String == "done" }
      #expect(done.count == videoCount)
      #expect(Set(done.compactMap { $0["video"] as? String }).count == videoCount)
      let report = out.appendingPathComponent("batch-report.jsonl")
      #expect(jsonlCount(report, key: "status", value: "ok") == videoCount)
      #expect(jsonlCount(report, key: "status", value: "unfinished") == 0)
    }
  }

  @Test(.enabled(if: SmallDisk.available, "needs root and mount(8) for a small tmpfs"))
  func fullDiskStopsAMergeAndMergingAgainFinishesIt() throws {
    let tree = try BatchFixtures.tree.get()
    let base = try CLI.temporaryDirectory()
    let shards = try BatchFixtures.extractTwoShards(of: tree, into: base)
    let reference = base.appendingPathComponent("reference")
    #expect(try CLI.heroID(["batch", "merge"] + shards + ["--out", reference.path]).status == 0)
    let expected = try CropSet.read(reference)

    let disk = base.appendingPathComponent("disk")
    try SmallDisk.with(size: "4m", at: disk) {
      // Another file system: the crops are copied, not linked, and the disk fills.
      let out = disk.appendingPathComponent("merged")
      let filler = disk.appendingPathComponent("filler")
      try SmallDisk.fill(filler, leaving: 24 * 1024)
      let args = ["batch", "merge"] + shards + ["--out", out.path]
      let full = try CLI.heroID(args, timeout: 600)
      #expect(full.status == 75, "\(full.stderr)")
      #expect(full.stderr.contains("No space left on device"), "\(full.stderr)")
      try FileManager.default.removeItem(at: filler)
      let again = try CLI.heroID(args, timeout: 600)
      #expect(again.status == 0, "\(again.stderr)")
      #expect(try CropSet.read(out) == expected)
      let done = jsonlObjects(out.appendingPathComponent(".batch/journal.jsonl"))
        .filter { $0["kind"] as? String == "done" }
      #expect(done.count == videoCount)
    }
  }
}
