import Foundation
import HeroCore
import Testing

/// Fixtures for the batch tests: a tree of short 1280x720 clips (every frame a key frame) that
/// the screen sorter takes for gameplay (the layout's button rings drawn over ffmpeg's testsrc2,
/// a different hue per clip so every clip has its own content), made once per test run with
/// the ffmpeg CLI.
enum BatchFixtures {
  static let heroes = ["李白", "hero_b"]
  static let clipsPerHero = 3
  static let framesPerClip = 10

  /// The tree, or the error that stopped making it.
  static let tree: Result<URL, any Error> = Result { try makeTree() }

  private static func makeTree() throws -> URL {
    let dir = try CLI.temporaryDirectory().appendingPathComponent("tree")
    let rings = dir.deletingLastPathComponent().appendingPathComponent("rings.png")
    // The four buttons of the default layout as 3-pixel rings on a transparent frame.
    let buttons = [(1002, 619, 42), (1032, 499, 42), (1134, 433, 46), (1144, 586, 62)]
    let ring = buttons.map { "lt(abs(hypot(X-\($0.0)\\,Y-\($0.1))-\($0.2))\\,3)" }
      .joined(separator: "+")
    try ffmpeg([
      "-f", "lavfi", "-i", "color=c=black@0:size=1280x720,format=rgba", "-frames:v", "1",
      "-vf", "geq=r=235:g=225:b=190:a=if(\(ring)\\,255\\,0)", rings.path,
    ])
    for (h, hero) in heroes.enumerated() {
      let heroDir = dir.appendingPathComponent(hero)
      try FileManager.default.createDirectory(at: heroDir, withIntermediateDirectories: true)
      for i in 1...clipsPerHero {
        try ffmpeg([
          "-f", "lavfi", "-i",
          "testsrc2=size=1280x720:rate=5:duration=\(Double(framesPerClip) / 5)",
          "-i", rings.path, "-filter_complex",
          "[0]hue=h=\(i * 50 + h * 170):s=\(1 + i % 2)[bg];[bg][1]overlay",
          "-c:v", "libx264", "-preset", "ultrafast", "-g", "1", "-pix_fmt", "yuv420p",
          heroDir.appendingPathComponent("clip\(i).mp4").path,
        ])
      }
    }
    return dir
  }

  static func ffmpeg(_ arguments: [String]) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["ffmpeg", "-nostdin", "-v", "error", "-y"] + arguments
    try p.run()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
      throw FixtureError(what: "ffmpeg \(arguments.joined(separator: " "))")
    }
  }

  /// A fresh copy of the tree (so a test may add files to it).
  static func copyOfTree() throws -> URL {
    let src = try tree.get()
    let dst = try CLI.temporaryDirectory().appendingPathComponent("tree")
    try FileManager.default.copyItem(at: src, to: dst)
    return dst
  }

  /// `tree` extracted in two shards (`batch extract --shard K/2 --quiet`, each expected to exit
  /// 0) into `base/shard1` and `base/shard2`; their paths.
  static func extractTwoShards(of tree: URL, into base: URL) throws -> [String] {
    let shards = (1...2).map { base.appendingPathComponent("shard\($0)").path }
    for (k, shard) in shards.enumerated() {
      let r = try CLI.heroID([
        "batch", "extract", tree.path, "--out", shard, "--shard", "\(k + 1)/2", "--quiet",
      ])
      #expect(r.status == 0, "\(r.stderr)")
    }
    return shards
  }

  struct FixtureError: Error, CustomStringConvertible {
    let what: String
    var description: String { "could not make fixture: \(what)" }
  }
}

/// What a crop folder holds, independent of the names the counters gave: one entry per
/// `index.csv` row, `video|pts|screen|hero|SHA-1 of the crop's bytes`, plus consistency facts.
struct CropSet: Equatable, CustomStringConvertible {
  var rows: [String]
  var description: String { "\(rows.count) crops: " + rows.prefix(4).joined(separator: "; ") }

  /// Reads `dir` and checks it is consistent: one header, every row's file exists, every JPEG
  /// under a hero folder has exactly one row, no staging leftovers.
  static func read(_ dir: URL) throws -> CropSet {
    let text = try String(contentsOf: dir.appendingPathComponent("index.csv"), encoding: .utf8)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    #expect(lines.first == "file,video,pts_seconds,screen,hero")
    #expect(lines.last == "", "index.csv must end with a newline")
    lines = Array(lines.dropFirst().dropLast())
    var rows: [String] = []
    var files: [String] = []
    for line in lines {
      let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      #expect(f.count == 5, "bad row \(line)")
      guard f.count == 5 else { continue }
      files.append(f[0])
      let sha = (try? SHA1.hex(fileAt: dir.appendingPathComponent(f[0]).path)) ?? "missing"
      rows.append([f[1], f[2], f[3], f[4], sha].joined(separator: "|"))
    }
    #expect(Set(files).count == files.count, "a crop file is listed twice")
    // Every JPEG in a hero folder is listed (no orphan from a killed run).
    let fm = FileManager.default
    var onDisk: [String] = []
    for hero in (try? fm.contentsOfDirectory(atPath: dir.path)) ?? [] where !hero.hasPrefix(".") {
      var isDir: ObjCBool = false
      guard fm.fileExists(atPath: dir.appendingPathComponent(hero).path, isDirectory: &isDir),
        isDir.boolValue
      else { continue }
      for f in try fm.contentsOfDirectory(atPath: dir.appendingPathComponent(hero).path) {
        onDisk.append(hero + "/" + f)
      }
    }
    #expect(onDisk.sorted() == files.sorted(), "files on disk and index.csv rows differ")
    let staging = dir.appendingPathComponent(".batch/staging")
    #expect(((try? fm.contentsOfDirectory(atPath: staging.path)) ?? []).isEmpty)
    return CropSet(rows: rows.sorted())
  }
}

/// Lines of a JSONL file whose "status" (report) or "kind" (journal) is `value`.
func jsonlCount(_ url: URL, key: String, value: String) -> Int {
  guard let text = try? String(contentsOf: url, encoding: .utf8) else { return 0 }
  return text.split(separator: "\n").filter { line in
    guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    else { return false }
    return obj[key] as? String == value
  }.count
}

@Suite(.serialized) struct BatchTests {
  let videoCount = BatchFixtures.heroes.count * BatchFixtures.clipsPerHero

  @Test func uninterruptedRunExtractsEveryClipOnceThenHasNothingToDo() throws {
    let tree = try BatchFixtures.tree.get()
    let out = try CLI.temporaryDirectory().appendingPathComponent("crops")
    let first = try CLI.heroID(["batch", "extract", tree.path, "--out", out.path, "--json"])
    #expect(first.status == 0, "\(first.stderr)")
    let set = try CropSet.read(out)
    #expect(
      set.rows.count == videoCount * BatchFixtures.framesPerClip,
      "every fixture frame should be sorted as gameplay; has the screen model changed?")
    #expect(Set(set.rows.map { $0.split(separator: "|")[0] }).count == videoCount)
    #expect(first.stdoutLines.count == videoCount + 1)
    #expect(first.stdoutLines.last?.hasPrefix("{\"summary\":") == true)
    #expect(first.stderr.contains("\(videoCount) ok"))
    let report = out.appendingPathComponent("batch-report.jsonl")
    #expect(jsonlCount(report, key: "status", value: "ok") == videoCount)

    // A second run finds everything done and changes nothing.
    let second = try CLI.heroID(["batch", "extract", tree.path, "--out", out.path])
    #expect(second.status == 0, "\(second.stderr)")
    #expect(second.stderr.contains("\(videoCount) already done"))
    #expect(try CropSet.read(out) == set)
  }

  @Test func killedRunsRestartToTheSameOutput() throws {
    let tree = try BatchFixtures.tree.get()
    let reference = try CLI.temporaryDirectory().appendingPathComponent("crops")
    let full = try CLI.heroID([
      "batch", "extract", tree.path, "--out", reference.path, "--jobs", "2",
    ])
    #expect(full.status == 0, "\(full.stderr)")
    let expected = try CropSet.read(reference)

    let out = try CLI.temporaryDirectory().appendingPathComponent("crops")
    let journal = out.appendingPathComponent(".batch/journal.jsonl")
    // Kill -9 once 1, 2 and 4 videos are journaled as done, then in the middle of a commit
    // (crops at their final names, no index rows or `done` yet), restarting each time. Each
    // kill lands at its point (``StopPoint``; counts are per run), on any machine.
    let args = ["batch", "extract", tree.path, "--out", out.path, "--jobs", "1", "--quiet"]
    for (point, done) in [("video-done:1", 1), ("video-done:1", 2), ("video-done:2", 4)] {
      #expect(try CLI.killAt(point, args), "never reached \(point)")
      #expect(jsonlCount(journal, key: "kind", value: "done") == done)
    }
    #expect(try CLI.killAt("commit-placed", args))
    #expect(jsonlCount(journal, key: "kind", value: "done") == 4)
    #expect(jsonlCount(journal, key: "kind", value: "done") < videoCount)
    let last = try CLI.heroID(["batch", "extract", tree.path, "--out", out.path, "--jobs", "2"])
    #expect(last.status == 0, "\(last.stderr)")
    #expect(try CropSet.read(out) == expected)
    // Each video was committed exactly once over all the runs.
    #expect(jsonlCount(journal, key: "kind", value: "done") == videoCount)
  }

  /// A kill inside a commit (after `begin`, before `done`) is too short a window to hit by
  /// timing, so the test makes that state by hand from a finished run: the last `done` line is
  /// cut from the journal, and with `partial` also one of that video's crops and its last two
  /// index rows, as a kill between the renames would leave them. The restart must roll the
  /// video back and redo it.
  @Test(arguments: [false, true])
  func halfCommittedVideoIsRolledBackAndRedone(partial: Bool) throws {
    let tree = try BatchFixtures.tree.get()
    let out = try CLI.temporaryDirectory().appendingPathComponent("crops")
    #expect(try CLI.heroID(["batch", "extract", tree.path, "--out", out.path]).status == 0)
    let expected = try CropSet.read(out)

    let journal = out.appendingPathComponent(".batch/journal.jsonl")
    var lines = try String(contentsOf: journal, encoding: .utf8).split(separator: "\n")
    let lastDone = try #require(lines.lastIndex { $0.contains("\"kind\":\"done\"") })
    let done = try #require(
      try JSONSerialization.jsonObject(with: Data(lines[lastDone].utf8)) as? [String: Any])
    let crops = try #require(done["crops"] as? [[String: Any]])
    lines.removeSubrange(lastDone...)
    try Data(lines.map { $0 + "\n" }.joined().utf8).write(to: journal)
    if partial {
      let file = try #require(crops.last?["file"] as? String)
      try FileManager.default.removeItem(at: out.appendingPathComponent(file))
      let index = out.appendingPathComponent("index.csv")
      let rows = try String(contentsOf: index, encoding: .utf8).split(separator: "\n")
      try Data(rows.dropLast(2).map { $0 + "\n" }.joined().utf8).write(to: index)
    }

    let r = try CLI.heroID(["batch", "extract", tree.path, "--out", out.path])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("rolled back"))
    #expect(r.stderr.contains("1 ok"))
    #expect(try CropSet.read(out) == expected)
    #expect(jsonlCount(journal, key: "kind", value: "abort") == 1)
  }

  @Test func corruptVideoIsReportedAndTheRestDone() throws {
    let tree = try BatchFixtures.copyOfTree()
    let good = tree.appendingPathComponent("李白/clip1.mp4")
    let data = try Data(contentsOf: good)
    let truncated = tree.appendingPathComponent("李白/truncated.mp4")
    try data.prefix(data.count / 3).write(to: truncated)
    let garbage = tree.appendingPathComponent("hero_b/garbage.mkv")
    try Data("this is not a video".utf8).write(to: garbage)
    let out = try CLI.temporaryDirectory().appendingPathComponent("crops")
    let r = try CLI.heroID(["batch", "extract", tree.path, "--out", out.path, "--json"])
    #expect(r.status == 1)
    #expect(r.stderr.contains(garbage.path))
    #expect(r.stderr.contains("\(videoCount) ok"))
    let set = try CropSet.read(out)
    #expect(Set(set.rows.map { $0.split(separator: "|")[0] }).count >= videoCount)
    let report = out.appendingPathComponent("batch-report.jsonl")
    #expect(jsonlCount(report, key: "status", value: "failed") >= 1)
    let failedLines = r.stdoutLines.filter { $0.contains("\"error\"") }
    #expect(failedLines.contains { $0.contains("garbage.mkv") })
    // A restart does not retry the failures (still exit 1), nor redo the good ones.
    let again = try CLI.heroID(["batch", "extract", tree.path, "--out", out.path])
    #expect(again.status == 1)
    #expect(again.stderr.contains("\(videoCount) already done"))
    #expect(try CropSet.read(out) == set)
  }

  @Test func sameVideoUnderTwoNamesIsProcessedOnce() throws {
    let tree = try BatchFixtures.copyOfTree()
    try FileManager.default.copyItem(
      at: tree.appendingPathComponent("李白/clip2.mp4"),
      to: tree.appendingPathComponent("李白/clip2 copy.mp4"))
    let out = try CLI.temporaryDirectory().appendingPathComponent("crops")
    let r = try CLI.heroID(["batch", "extract", tree.path, "--out", out.path, "--jobs", "2"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("1 duplicate"))
    let set = try CropSet.read(out)
    #expect(set.rows.count == videoCount * BatchFixtures.framesPerClip)
    let report = out.appendingPathComponent("batch-report.jsonl")
    #expect(jsonlCount(report, key: "status", value: "duplicate") == 1)
  }

  @Test func twoShardsMergedEqualOneRun() throws {
    let tree = try BatchFixtures.tree.get()
    let whole = try CLI.temporaryDirectory().appendingPathComponent("crops")
    #expect(try CLI.heroID(["batch", "extract", tree.path, "--out", whole.path]).status == 0)
    let expected = try CropSet.read(whole)

    let base = try CLI.temporaryDirectory()
    var shardSets: [CropSet] = []
    for k in 1...2 {
      let out = base.appendingPathComponent("shard\(k)")
      let r = try CLI.heroID([
        "batch", "extract", tree.path, "--out", out.path, "--shard", "\(k)/2",
      ])
      #expect(r.status == 0, "\(r.stderr)")
      shardSets.append(try CropSet.read(out))
    }
    // Both shards got work, and no video went to both.
    #expect(shardSets.allSatisfy { !$0.rows.isEmpty })
    #expect(Set(shardSets[0].rows).isDisjoint(with: shardSets[1].rows))

    let merged = base.appendingPathComponent("merged")
    let m = try CLI.heroID([
      "batch", "merge", base.appendingPathComponent("shard1").path,
      base.appendingPathComponent("shard2").path, "--out", merged.path,
    ])
    #expect(m.status == 0, "\(m.stderr)")
    #expect(try CropSet.read(merged) == expected)
    let report = merged.appendingPathComponent("batch-report.jsonl")
    #expect(jsonlCount(report, key: "status", value: "ok") == videoCount)

    // Merging again adds nothing.
    let again = try CLI.heroID([
      "batch", "merge", base.appendingPathComponent("shard1").path,
      base.appendingPathComponent("shard2").path, "--out", merged.path,
    ])
    #expect(again.status == 0, "\(again.stderr)")
    #expect(try CropSet.read(merged) == expected)
  }

  /// The rows of a CSV report: fields split at commas outside double quotes, quotes removed and
  /// `""` read as `"` (RFC 4180, as the report writes them).
  static func csvRows(_ text: String) -> [[String]] {
    var rows: [[String]] = []
    var row: [String] = []
    var field = ""
    var quoted = false
    var previousQuote = false
    for ch in text {
      if quoted {
        if ch == "\"" {
          quoted = false
          previousQuote = true
        } else {
          field.append(ch)
        }
        continue
      }
      switch ch {
      case "\"":
        if previousQuote { field.append("\"") }
        quoted = true
      case ",":
        row.append(field)
        field = ""
      case "\n":
        row.append(field)
        rows.append(row)
        row = []
        field = ""
      default: field.append(ch)
      }
      previousQuote = false
    }
    if !field.isEmpty || !row.isEmpty {
      row.append(field)
      rows.append(row)
    }
    return rows
  }

  /// `batch identify` with a small model trained on the fixture crops (one frame per second):
  /// one row per clip, a copy answered like its original, a broken file failed, a restart
  /// changes nothing.
  @Test(.enabled(if: PipelineFixtures.hasInception, "needs the Inception weights (make setup)"))
  func identifyTreeIntoOneReport() throws {
    let tree = try BatchFixtures.copyOfTree()
    let work = tree.deletingLastPathComponent()
    let crops = work.appendingPathComponent("crops")
    let model = work.appendingPathComponent("model")
    #expect(
      try CLI.heroID(["batch", "extract", tree.path, "--out", crops.path, "--every", "1"]).status
        == 0)
    let train = try CLI.heroID([
      "train", crops.path, "--model", model.path, "--steps", "50", "--group-seconds", "0",
      "--validation-percentage", "25", "--testing-percentage", "25",
    ])
    #expect(train.status == 0, "\(train.stderr)")

    try FileManager.default.copyItem(
      at: tree.appendingPathComponent("hero_b/clip1.mp4"),
      to: tree.appendingPathComponent("hero_b/again.mp4"))
    try Data("not a video".utf8).write(to: tree.appendingPathComponent("broken.mp4"))
    let report = work.appendingPathComponent("report.csv")
    let args = [
      "batch", "identify", tree.path, "--model", model.path, "--report", report.path, "--every",
      "1", "--json",
    ]
    let r = try CLI.heroID(args)
    #expect(r.status == 1, "\(r.stderr)")
    #expect(r.stderr.contains("broken.mp4"))
    #expect(r.stdoutLines.count == videoCount + 3)
    let text = try String(contentsOf: report, encoding: .utf8)
    // A clip answered "unknown" has a quoted reason with commas in it.
    let rows = Self.csvRows(text)
    #expect(
      rows.first?.joined(separator: ",")
        == "video,status,hero,confidence,frames,gameplay_frames,reason,error,picture,hud_scale,hud_dx,hud_dy,segments"
    )
    #expect(rows.count == videoCount + 3)
    let byVideo = Dictionary(rows.dropFirst().map { ($0[0], $0) }) { a, _ in a }
    #expect(byVideo["broken.mp4"]?[1] == "failed")
    // The copy and its original: one processed, the other a duplicate with the same answer.
    let pair = ["hero_b/again.mp4", "hero_b/clip1.mp4"].compactMap { byVideo[$0] }
    #expect(pair.map { $0[1] }.filter { $0 == "duplicate" }.count == 1, "\(pair)")
    #expect(pair.count == 2 && pair[0][2] == pair[1][2], "\(pair)")
    let answered = rows.dropFirst().filter { $0[1] == "ok" }
    #expect(answered.count >= videoCount / 2, "\(text)")
    #expect(answered.allSatisfy { BatchFixtures.heroes.contains($0[2]) })
    // Issue 28: the summary counts the identified clips' crops and those that reused an
    // identical crop's bottleneck, as each clip's line does.
    let summaryLine = try #require(r.stdoutLines.last.map(String.init))
    let summary = try #require(
      (try JSONSerialization.jsonObject(with: Data(summaryLine.utf8)) as? [String: Any])?[
        "summary"] as? [String: Any])
    let use = try #require(summary["bottlenecks"] as? [String: Int], "\(summaryLine)")
    var clipCrops = 0
    for line in r.stdoutLines.dropLast() {
      let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
      if object?["duplicate_of"] == nil, let b = object?["bottlenecks"] as? [String: Int] {
        clipCrops += b["crops"] ?? 0
      }
    }
    #expect(use["crops"] == clipCrops && clipCrops > 0)
    #expect((use["computed"] ?? 0) + (use["reused"] ?? 0) == clipCrops)
    #expect(r.stderr.contains("bottlenecks reused: \(use["reused"] ?? -1) of \(clipCrops) "))

    let again = try CLI.heroID(args)
    #expect(again.status == 1)
    #expect(again.stderr.contains("already done"))
    #expect(try String(contentsOf: report, encoding: .utf8) == text)
    // By default every clip that opens has its picture, and each clip with gameplay its HUD
    // (the fixture clips: 16:9, default HUD); a failed clip has none.
    for row in rows.dropFirst() where row[1] != "duplicate" {
      #expect(row.count == 13, "\(row)")
      // Single-hero fixture clips: no segments listed.
      #expect(row[12].isEmpty, "\(row)")
      if row[1] == "failed" {
        let empty = row[8...].allSatisfy { $0.isEmpty }
        #expect(empty, "\(row)")
        continue
      }
      #expect(row[8].contains("x") && row[8].contains("+"), "\(row)")
      if (Int(row[5]) ?? 0) > 0 {
        #expect(abs((Double(row[9]) ?? 0) - 1) <= 0.05, "\(row)")
      }
    }
    // With --fixed-layout (the stretch and the layout's own place) the columns are empty.
    try FileManager.default.removeItem(at: tree.appendingPathComponent("broken.mp4"))
    let fixedReport = work.appendingPathComponent("fixed.csv")
    let f = try CLI.heroID([
      "batch", "identify", tree.path, "--model", model.path, "--report", fixedReport.path,
      "--every", "1", "--fixed-layout",
    ])
    #expect(f.status == 0, "\(f.stderr)")
    let fixedRows = Self.csvRows(try String(contentsOf: fixedReport, encoding: .utf8))
      .dropFirst()
    #expect(fixedRows.count == videoCount + 1)
    #expect(fixedRows.allSatisfy { $0.count == 13 && $0[8...].allSatisfy(\.isEmpty) })
    // The same answers either way on these 16:9 clips.
    let fixedByVideo = Dictionary(fixedRows.map { ($0[0], $0[2]) }) { a, _ in a }
    for row in rows.dropFirst() where row[1] == "ok" {
      #expect(
        fixedByVideo[row[0]] == row[2],
        "\(row[0]): \(row[2]) found, fixed \(fixedByVideo[row[0]] ?? "-")")
    }
  }

  @Test(arguments: [
    ["batch", "extract", "t", "--out", "o", "--shard", "3/2"],
    ["batch", "extract", "t", "--out", "o", "--jobs", "0"],
    ["batch", "extract", "t"],
    ["batch", "merge", "--out", "o"],
  ])
  func badUsageExitsTwo(_ arguments: [String]) throws {
    let r = try CLI.heroID(arguments)
    #expect(r.status == 2, "\(r.stderr)")
  }

  @Test func missingTreeOrShardOutputIsNamed() throws {
    let dir = try CLI.temporaryDirectory()
    let missing = dir.appendingPathComponent("no-such-tree").path
    let r = try CLI.heroID([
      "batch", "extract", missing, "--out", dir.appendingPathComponent("o").path,
    ])
    #expect(r.status == 1)
    #expect(r.stderr.contains(missing))
    let m = try CLI.heroID([
      "batch", "merge", dir.path, "--out", dir.appendingPathComponent("m").path,
    ])
    #expect(m.status == 1)
    #expect(m.stderr.contains("not a batch output"))
  }
}
