import Foundation
import HeroCore
import Testing

/// A small model trained on the fixture tree's crops (one frame a second), made once per test
/// run for the `batch identify` tests, and a second one trained otherwise (another model).
struct TrainedModels: Sendable {
  var crops: URL
  var model: URL
  var other: URL

  static let shared: Result<TrainedModels, any Error> = Result { try make() }

  private static func make() throws -> TrainedModels {
    let tree = try BatchFixtures.tree.get()
    let work = try CLI.temporaryDirectory()
    let crops = work.appendingPathComponent("crops")
    let extract = try CLI.heroID([
      "batch", "extract", tree.path, "--out", crops.path, "--every", "1", "--quiet",
    ])
    guard extract.status == 0 else {
      throw BatchFixtures.FixtureError(what: "batch extract: \(extract.stderr)")
    }
    func train(_ dir: URL, steps: Int) throws {
      let r = try CLI.heroID([
        "train", crops.path, "--model", dir.path, "--steps", "\(steps)", "--group-seconds", "0",
        "--validation-percentage", "25", "--testing-percentage", "25",
      ])
      guard r.status == 0 else { throw BatchFixtures.FixtureError(what: "train: \(r.stderr)") }
    }
    let model = work.appendingPathComponent("model")
    let other = work.appendingPathComponent("other-model")
    try train(model, steps: 50)
    try train(other, steps: 20)
    return TrainedModels(crops: crops, model: model, other: other)
  }
}

/// The lines of a JSONL file as objects (lines that do not parse left out).
func jsonlObjects(_ url: URL) -> [[String: Any]] {
  guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
  return text.split(separator: "\n").compactMap {
    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
  }
}

/// `video,status,hero` of each row of a `batch identify` report, sorted.
func reportAnswers(_ url: URL) throws -> [String] {
  try String(contentsOf: url, encoding: .utf8).split(separator: "\n").dropFirst().map {
    $0.split(separator: ",", omittingEmptySubsequences: false).prefix(3).joined(separator: ",")
  }.sorted()
}

/// Starts `hero-id arguments` and kills it (`SIGKILL`) once `journal` holds `done` records
/// of at least `done` videos; returns whether the kill landed before the run ended (it may
/// not on a busy machine: the tests never depend on it).
@discardableResult
func killAfter(_ arguments: [String], journal: URL, done: Int) throws -> Bool {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: try CLI.binary())
  p.arguments = arguments
  p.standardOutput = FileHandle.nullDevice
  p.standardError = FileHandle.nullDevice
  try p.run()
  var killed = false
  while p.isRunning, jsonlCount(journal, key: "kind", value: "done") < done { usleep(5_000) }
  if p.isRunning {
    kill(p.processIdentifier, SIGKILL)
    killed = true
  }
  p.waitUntilExit()
  return killed
}

/// Appends `text` to `url` (no newline: a torn last line, as a kill mid-write leaves it).
func appendTorn(_ text: String, to url: URL) throws {
  let h = try FileHandle(forWritingTo: url)
  defer { try? h.close() }
  try h.seekToEnd()
  try h.write(contentsOf: Data(text.utf8))
}

/// Resume after `kill -9` for `batch identify` and `batch merge` (`batch extract`'s is in
/// `BatchTests`), and the refusal of a journal made with another model. The kill points are made
/// by hand where a real kill cannot be timed (inside a merge's commit), so every test is
/// deterministic; real kills are added where they can land, without depending on them.
@Suite(.serialized) struct BatchResumeTests {
  let videoCount = BatchFixtures.heroes.count * BatchFixtures.clipsPerHero

  @Test(.enabled(if: PipelineFixtures.hasInception, "needs the Inception weights (make setup)"))
  func identifyResumesAfterKill9() throws {
    let models = try TrainedModels.shared.get()
    let tree = try BatchFixtures.tree.get()
    let dir = try CLI.temporaryDirectory()
    func args(_ report: URL) -> [String] {
      [
        "batch", "identify", tree.path, "--model", models.model.path, "--report", report.path,
        "--every", "1", "--jobs", "1",
      ]
    }
    let reference = dir.appendingPathComponent("reference.csv")
    let whole = try CLI.heroID(args(reference))
    #expect(whole.status == 0, "\(whole.stderr)")

    let report = dir.appendingPathComponent("report.csv")
    let journal = URL(fileURLWithPath: report.path + ".journal.jsonl")
    // Real kills, after 1 and 3 clips are journaled (they may land or not).
    try killAfter(args(report) + ["--quiet"], journal: journal, done: 1)
    try killAfter(args(report) + ["--quiet"], journal: journal, done: 3)
    // Then, deterministically, the state of a kill after the third clip of a run that went
    // further: the journal cut after its third `done`, and a torn last line.
    let lines = try String(contentsOf: journal, encoding: .utf8).split(separator: "\n")
    var kept: [Substring] = []
    var dones = 0
    for line in lines {
      if line.contains(#""kind":"done""#) {
        guard dones < 3 else { continue }
        dones += 1
      }
      kept.append(line)
    }
    try Data(kept.map { $0 + "\n" }.joined().utf8).write(to: journal)
    try appendTorn(#"{"kind":"done","video":"hero_b/cl"#, to: journal)

    let last = try CLI.heroID(args(report) + ["--json"])
    #expect(last.status == 0, "\(last.stderr)")
    #expect(last.stderr.contains("torn last line"), "\(last.stderr)")
    // The three settled clips are skipped, the others identified once.
    let processed = last.stdoutLines.filter {
      !$0.contains("\"skipped\"") && !$0.hasPrefix("{\"summary\"")
    }
    #expect(processed.count == videoCount - dones, "\(last.stdoutLines)")
    #expect(try reportAnswers(report) == reportAnswers(reference))
    #expect(jsonlCount(journal, key: "kind", value: "done") == videoCount)
    let videos = jsonlObjects(journal).filter { $0["kind"] as? String == "done" }
      .compactMap { $0["video"] as? String }
    #expect(Set(videos).count == videoCount, "a clip was identified twice: \(videos)")
  }

  @Test(.enabled(if: PipelineFixtures.hasInception, "needs the Inception weights (make setup)"))
  func identifyRefusesAJournalOfAnotherModel() throws {
    let models = try TrainedModels.shared.get()
    let tree = try BatchFixtures.tree.get()
    let dir = try CLI.temporaryDirectory()
    let report = dir.appendingPathComponent("report.csv")
    let journal = URL(fileURLWithPath: report.path + ".journal.jsonl")
    let first = try CLI.heroID([
      "batch", "identify", tree.path, "--model", models.model.path, "--report", report.path,
      "--every", "1",
    ])
    #expect(first.status == 0, "\(first.stderr)")
    let journalBefore = try Data(contentsOf: journal)
    let reportBefore = try Data(contentsOf: report)

    let other = try CLI.heroID([
      "batch", "identify", tree.path, "--model", models.other.path, "--report", report.path,
      "--every", "1",
    ])
    #expect(other.status == 1, "\(other.stderr)")
    #expect(other.stderr.contains(journal.path), "\(other.stderr)")
    #expect(other.stderr.contains("another model"), "\(other.stderr)")
    // Refused before anything was written.
    #expect(try Data(contentsOf: journal) == journalBefore)
    #expect(try Data(contentsOf: report) == reportBefore)
    // The model it was started with still resumes it (nothing to do).
    let same = try CLI.heroID([
      "batch", "identify", tree.path, "--model", models.model.path, "--report", report.path,
      "--every", "1",
    ])
    #expect(same.status == 0, "\(same.stderr)")
    #expect(same.stderr.contains("\(videoCount) already done"), "\(same.stderr)")
  }

  /// A merge killed at every point between and inside its commits: after each video's `begin`
  /// (its crops half renamed, or all renamed with their index rows written) and after each
  /// `done` with a torn line after it. Each state is made by hand from a finished merge, as a
  /// kill would leave it; the same `batch merge` then ends with the finished merge's crops, each
  /// video committed once.
  @Test func mergeResumesAfterKill9AtEveryPoint() throws {
    let tree = try BatchFixtures.tree.get()
    let base = try CLI.temporaryDirectory()
    let shards = try BatchFixtures.extractTwoShards(of: tree, into: base)
    let merged = base.appendingPathComponent("merged")
    let m = try CLI.heroID(["batch", "merge"] + shards + ["--out", merged.path, "--quiet"])
    #expect(m.status == 0, "\(m.stderr)")
    let expected = try CropSet.read(merged)
    #expect(expected.rows.count == videoCount * BatchFixtures.framesPerClip)

    let journalText = try String(
      contentsOf: merged.appendingPathComponent(".batch/journal.jsonl"), encoding: .utf8)
    let lines = journalText.split(separator: "\n").map(String.init)
    let records = lines.map {
      (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) ?? [:]
    }
    let begins = records.indices.filter { records[$0]["kind"] as? String == "begin" }
    #expect(begins.count == videoCount)
    let index = try Data(contentsOf: merged.appendingPathComponent("index.csv"))
    let keys = try Data(contentsOf: merged.appendingPathComponent(".extract-keys.csv"))
    func crops(_ line: Int) -> [String] {
      ((records[line]["crops"] as? [[String: Any]]) ?? []).compactMap { $0["file"] as? String }
    }
    func bytes(_ line: Int, _ key: String) -> Int { (records[line][key] as? Int) ?? 0 }

    for (n, begin) in begins.enumerated() {
      let next = n + 1 < begins.count ? begins[n + 1] : nil
      for state in ["inside", "after"] {
        let out = base.appendingPathComponent("state-\(n)-\(state)")
        try FileManager.default.copyItem(at: merged, to: out)
        // Nothing of the later videos was done yet.
        for later in begins[(n + 1)...] {
          for f in crops(later) {
            try FileManager.default.removeItem(at: out.appendingPathComponent(f))
          }
        }
        let indexEnd = next.map { bytes($0, "indexBytes") } ?? index.count
        let keysEnd = next.map { bytes($0, "keysBytes") } ?? keys.count
        var journal: [String]
        switch state {
        case "inside":
          journal = Array(lines[...begin])
          if n % 2 == 0 {
            // Killed between the renames: half the crops in place, no index rows yet.
            for f in crops(begin).suffix(crops(begin).count / 2) {
              try FileManager.default.removeItem(at: out.appendingPathComponent(f))
            }
            try index.prefix(bytes(begin, "indexBytes")).write(
              to: out.appendingPathComponent("index.csv"))
            try keys.prefix(bytes(begin, "keysBytes")).write(
              to: out.appendingPathComponent(".extract-keys.csv"))
          } else {
            // Killed after the index rows, before `done`.
            try index.prefix(indexEnd).write(to: out.appendingPathComponent("index.csv"))
            try keys.prefix(keysEnd).write(to: out.appendingPathComponent(".extract-keys.csv"))
          }
        default:
          let done = try #require(
            records.indices.first { $0 > begin && records[$0]["kind"] as? String == "done" })
          journal = Array(lines[...done])
          try index.prefix(indexEnd).write(to: out.appendingPathComponent("index.csv"))
          try keys.prefix(keysEnd).write(to: out.appendingPathComponent(".extract-keys.csv"))
          if let next { journal.append(String(lines[next].prefix(lines[next].count / 2))) }
        }
        let journalURL = out.appendingPathComponent(".batch/journal.jsonl")
        let torn = state == "after" && next != nil
        try Data((journal.joined(separator: "\n") + (torn ? "" : "\n")).utf8).write(to: journalURL)

        let r = try CLI.heroID(["batch", "merge"] + shards + ["--out", out.path])
        #expect(r.status == 0, "\(state) video \(n): \(r.stderr)")
        if state == "inside" { #expect(r.stderr.contains("rolled back"), "\(r.stderr)") }
        if torn { #expect(r.stderr.contains("torn last line"), "\(r.stderr)") }
        #expect(try CropSet.read(out) == expected, "\(state) video \(n)")
        let done = jsonlObjects(journalURL).filter { $0["kind"] as? String == "done" }
        #expect(done.count == videoCount, "\(state) video \(n)")
        #expect(Set(done.compactMap { $0["video"] as? String }).count == videoCount)
      }
    }
  }
}
