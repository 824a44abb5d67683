import Foundation
import HeroCore
import Testing

/// A scraped corpus in its second week (issue 29): named pipes and device links with a video's
/// name, control characters in names, many copies of one broken download, a hero folder name in
/// two Unicode spellings, and writes that fail for a reason the message must name.
///
/// Runs that could hang get a generous time-out that only fails the test (a FIFO opened for
/// reading blocks for good); nothing here measures time.
@Suite("Odd files, names and write failures (CLI)", .serialized)
struct OddFilesCLITests {
  static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
  static let clip = checkout.appendingPathComponent("samples/train/貂蝉/貂蝉_1.mp4").path
  static let hasSample = FileManager.default.fileExists(atPath: clip)
  static let hasInception = FileManager.default.fileExists(atPath: HeroIDHome.inceptionPath())
  /// Seconds after which a run counts as hung (a normal run takes a few).
  static let hang = 300.0

  /// `dir/tree/貂蝉/a.mp4`, a copy of the sample clip; the hero folder.
  @discardableResult
  static func treeWithClip(in dir: URL) throws -> URL {
    let hero = dir.appendingPathComponent("tree/貂蝉")
    try FileManager.default.createDirectory(at: hero, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      atPath: clip, toPath: hero.appendingPathComponent("a.mp4").path)
    return hero
  }

  /// The JSON objects of a JSONL file (the summary line included).
  func jsonLines(_ path: String) throws -> [[String: Any]] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    return try text.split(separator: "\n").map {
      try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
  }

  @Test(
    "a tree with a named pipe and a link to /dev/zero: the walk ends, names both, does the rest",
    .enabled(if: hasSample, "needs samples/train/貂蝉/貂蝉_1.mp4"))
  func pipesAndDevicesInATree() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let hero = try Self.treeWithClip(in: dir)
    let fifo = hero.appendingPathComponent("pipe.mp4").path
    #expect(mkfifo(fifo, 0o600) == 0)
    let zero = hero.appendingPathComponent("zero.mp4").path
    try FileManager.default.createSymbolicLink(atPath: zero, withDestinationPath: "/dev/zero")
    let out = dir.appendingPathComponent("crops").path
    let run = try CLI.heroID(
      ["batch", "extract", dir.appendingPathComponent("tree").path, "--out", out, "--jobs", "1"],
      timeout: Self.hang)
    #expect(!run.timedOut, "batch extract hung on a pipe or a device")
    #expect(run.status == 0, "\(run.stderr)")
    let skipped = run.stderrLines.filter { $0.contains("skipped") }
    #expect(skipped.count == 2, "\(run.stderr)")
    #expect(skipped.contains { $0.contains("\(fifo): skipped, a named pipe, not a regular file") })
    #expect(skipped.contains { $0.contains("\(zero): skipped, a character device") })
    // The real clip was processed; the odd entries are no videos of the batch.
    #expect(run.stderr.contains("1 videos (shard 1/1): 1 ok, 0 failed"), "\(run.stderr)")
    let report = try jsonLines(out + "/batch-report.jsonl")
    #expect(report.compactMap { $0["video"] as? String } == ["貂蝉/a.mp4"])

    // The same entries named on the command line: refused unopened, one line each, exit 1.
    // (`identify` of them: in ``trainOneClassPerSpelling()``, which has a model.)
    for (path, kind) in [(fifo, "a named pipe"), (zero, "a character device")] {
      for args in [["extract", path, "--out", out], ["batch", "extract", path, "--out", out]] {
        let single = try CLI.heroID(args, timeout: Self.hang)
        #expect(!single.timedOut, "\(args) hung")
        #expect(single.status == 1, "\(args): \(single.stderr)")
        #expect(
          single.stderr.contains("\(path): \(kind), not a regular file; refusing to read it"),
          "\(args): \(single.stderr)")
      }
    }
  }

  @Test("a control character in a file name is escaped: one error, one line")
  func controlCharactersEscaped() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let odd = dir.appendingPathComponent("two\nlines\u{1b}[2J.mp4").path
    try Data("not a video".utf8).write(to: URL(fileURLWithPath: odd))
    let run = try CLI.heroID(
      ["extract", odd, "--out", dir.appendingPathComponent("one").path], timeout: Self.hang)
    #expect(run.status == 1)
    let lines = run.stderrLines.filter { $0.contains("lines") }
    #expect(lines.count == 1, "\(run.stderr)")
    #expect(lines.first?.contains("two\\nlines\\u{1b}[2J.mp4: ") == true, "\(run.stderr)")
    #expect(!run.stderr.contains("\u{1b}") && !run.stdout.contains("\u{1b}"))
    // In a batch: the failure, the progress note and the summary line are escaped too.
    let tree = dir.appendingPathComponent("tree/h")
    try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
    try Data("not a video".utf8).write(to: tree.appendingPathComponent("a\tb\nc.mp4"))
    let batch = try CLI.heroID(
      [
        "batch", "extract", dir.appendingPathComponent("tree").path, "--out",
        dir.appendingPathComponent("crops").path,
      ],
      timeout: Self.hang)
    #expect(batch.status == 1)
    #expect(batch.stderr.contains("a\\tb\\nc.mp4: "), "\(batch.stderr)")
    #expect(!batch.stderr.contains("\t") && !batch.stderrLines.contains { $0.hasPrefix("c.mp4") })
  }

  @Test("copies of one broken download: each duplicate names the file that failed, and why")
  func duplicatesOfAFailure() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let tree = dir.appendingPathComponent("tree/h")
    try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
    // Five empty downloads and five copies of one broken file.
    for i in 0..<5 {
      #expect(
        FileManager.default.createFile(
          atPath: tree.appendingPathComponent("e\(i).mp4").path, contents: Data()))
      try Data("broken".utf8).write(to: tree.appendingPathComponent("x\(i).mp4"))
    }
    let out = dir.appendingPathComponent("crops").path
    let run = try CLI.heroID(
      ["batch", "extract", dir.appendingPathComponent("tree").path, "--out", out, "--jobs", "2"],
      timeout: Self.hang)
    #expect(run.status == 1)
    #expect(run.stderr.contains("2 failed, 8 duplicate (8 of a failed video)"), "\(run.stderr)")
    let records = try jsonLines(out + "/batch-report.jsonl").filter { $0["video"] != nil }
    #expect(records.count == 10)
    for prefix in ["h/e", "h/x"] {
      let group = records.filter { ($0["video"] as? String)?.hasPrefix(prefix) == true }
      let failed = group.filter { $0["status"] as? String == "failed" }
      let original = try #require(failed.first?["video"] as? String)
      #expect(failed.count == 1)
      let duplicates = group.filter { $0["status"] as? String == "duplicate" }
      #expect(duplicates.count == 4)
      for d in duplicates {
        // Every copy names the processed file, never another copy, with its reason.
        #expect(d["duplicate_of"] as? String == original, "\(d)")
        let error = try #require(d["error"] as? String)
        #expect(error.contains("duplicate of \(original) (which failed: "), "\(error)")
      }
    }
    // The broken downloads are listable: every record with an error.
    #expect(records.filter { $0["error"] != nil }.count == 10)
    // A re-run settles nothing new and says the same.
    let again = try CLI.heroID(
      ["batch", "extract", dir.appendingPathComponent("tree").path, "--out", out],
      timeout: Self.hang)
    #expect(again.status == 1)
    #expect(again.stderr.contains("failed (duplicate): h/"), "\(again.stderr)")
    let records2 = try jsonLines(out + "/batch-report.jsonl").filter { $0["video"] != nil }
    #expect(records2.filter { $0["error"] != nil }.count == 10)
  }

  @Test(
    "a write that fails names the path and the system's reason",
    .enabled(if: hasSample, "needs samples/train/貂蝉/貂蝉_1.mp4"))
  func writeFailureNamesTheCause() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try Self.treeWithClip(in: dir)
    // A file where the hero's crop folder must go.
    let out = dir.appendingPathComponent("crops")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    let blocker = out.appendingPathComponent("貂蝉").path
    try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
    let run = try CLI.heroID(
      ["batch", "extract", dir.appendingPathComponent("tree").path, "--out", out.path],
      timeout: Self.hang)
    #expect(run.status == 1)
    #expect(
      run.stderr.contains("\(blocker): cannot write hero folder (Not a directory)"),
      "\(run.stderr)")
    // A journal that cannot be opened: the cause, not only "cannot open".
    let bad = dir.appendingPathComponent("bad")
    try Data("x".utf8).write(to: bad)
    let journal = try CLI.heroID(
      [
        "batch", "extract", dir.appendingPathComponent("tree").path, "--out",
        bad.appendingPathComponent("crops").path,
      ],
      timeout: Self.hang)
    #expect(journal.status == 1)
    #expect(journal.stderr.contains("Not a directory"), "\(journal.stderr)")
    #expect(journal.stderrLines.count == 1, "\(journal.stderr)")
  }

  @Test(
    "train: 李白 in two Unicode spellings is one class with a warning; an unwritable model names why",
    .enabled(if: hasInception, "needs the Inception weights (make setup)"))
  func trainOneClassPerSpelling() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let crops = dir.appendingPathComponent("crops")
    // 李白 in NFC (U+674E U+767D) and with the CJK compatibility ideograph U+F9E1 for 李.
    let nfc = "李白"
    let compat = "\u{F9E1}白"
    #expect(Array(nfc.utf8) != Array(compat.utf8))
    try TrainIdentifyCLITests.makeCrops(in: crops, [nfc: "red", "green": "green"], count: 8)
    try TrainIdentifyCLITests.makeCrops(in: crops, [compat: "red"], count: 6)
    #expect(try FileManager.default.contentsOfDirectory(atPath: crops.path).count == 3)
    // First into a model path under a file: training runs, the save fails naming the cause.
    let file = dir.appendingPathComponent("file")
    try Data("x".utf8).write(to: file)
    let args = ["train", crops.path, "--steps", "30", "--json"]
    let blocked = try CLI.heroID(args + ["--model", file.path + "/model"], timeout: Self.hang)
    #expect(blocked.status == 1)
    #expect(
      blocked.stderr.contains("\(file.path): cannot write model folder (Not a directory)"),
      "\(blocked.stderr)")
    let model = dir.appendingPathComponent("model").path
    let run = try CLI.heroID(args + ["--model", model], timeout: Self.hang)
    #expect(run.status == 0, "\(run.stderr)")
    let warning = run.stderrLines.filter { $0.contains("one hero under Unicode NFC") }
    #expect(warning.count == 1, "\(run.stderr)")
    #expect(warning.first?.contains("\"\(nfc)\" (U+674E U+767D)") == true, "\(run.stderr)")
    #expect(warning.first?.contains("\"\(compat)\" (U+F9E1 U+767D)") == true, "\(run.stderr)")
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data((run.stdoutLines.first ?? "").utf8))
        as? [String: Any])
    let classes = try #require(object["classes"] as? [String])
    #expect(classes.count == 2)
    #expect(classes.map { Array($0.utf8) }.contains(Array(nfc.utf8)))
    let images = try #require(object["images"] as? [String: Int])
    #expect(images.values.reduce(0, +) == 22)
    let labels = try String(contentsOfFile: model + "/labels.txt", encoding: .utf8)
    #expect(!labels.unicodeScalars.contains("\u{F9E1}"))

    // `identify` of a named pipe, a link to /dev/zero and a name with a newline: each refused
    // or failed in one line naming it, promptly, and the run ends (exit 1).
    let fifo = dir.appendingPathComponent("pipe.mp4").path
    #expect(mkfifo(fifo, 0o600) == 0)
    let zero = dir.appendingPathComponent("zero.mp4").path
    try FileManager.default.createSymbolicLink(atPath: zero, withDestinationPath: "/dev/zero")
    let odd = dir.appendingPathComponent("two\nlines.mp4").path
    try Data("not a video".utf8).write(to: URL(fileURLWithPath: odd))
    let id = try CLI.heroID(["identify", fifo, zero, odd, "--model", model], timeout: Self.hang)
    #expect(!id.timedOut, "identify hung on a pipe or a device")
    #expect(id.status == 1)
    #expect(
      id.stderrLines.contains { $0.hasPrefix("\(fifo): a named pipe, not a regular file") },
      "\(id.stderr)")
    #expect(
      id.stderrLines.contains {
        $0.hasPrefix("\(zero): a character device, not a regular file")
      }, "\(id.stderr)")
    #expect(
      id.stderrLines.contains { $0.hasPrefix(dir.path + "/two\\nlines.mp4: ") }, "\(id.stderr)")
    #expect(!id.stdout.contains("\n" + "lines.mp4"))
  }
}
