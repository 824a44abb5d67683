import Foundation
import HeroCore
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The hostile cases of issue 14 through the CLI: crafted layouts, models and archives exit 1
/// with one line naming the file; numeric options out of range exit 2; one writer per output
/// folder; `kill -9` during `extract` leaves no duplicate.
@Suite("Hostile files and concurrent runs (CLI)", .serialized)
struct HostileCLITests {
  static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
  static let clip = checkout.appendingPathComponent("samples/train/亚瑟/亚瑟_1.mp4").path
  static var hasClip: Bool { FileManager.default.fileExists(atPath: clip) }
  static let hasInception = FileManager.default.fileExists(atPath: HeroIDHome.inceptionPath())

  /// JPEGs waiting in `out`'s staging folders.
  func stagedCrops(_ out: URL) -> Int {
    let staging = out.appendingPathComponent(".batch/staging")
    guard let e = FileManager.default.enumerator(atPath: staging.path) else { return 0 }
    return e.compactMap { $0 as? String }.filter { $0.hasSuffix(".jpg") }.count
  }

  /// One line on stderr, mentioning every word.
  func expectOneLine(_ run: CLI.Result, _ words: [String], status: Int32 = 1) {
    #expect(run.status == status, "\(run.stderr)")
    let lines = run.stderrLines.filter { !$0.isEmpty }
    #expect(lines.count == 1, "\(run.stderr)")
    for w in words { #expect(run.stderr.contains(w), "\(w) in \(run.stderr)") }
  }

  func layout(_ edit: (inout [String: Any]) -> Void, in dir: URL) throws -> String {
    var object = try #require(
      try JSONSerialization.jsonObject(with: LayoutProfile.default.jsonData()) as? [String: Any])
    edit(&object)
    let url = dir.appendingPathComponent("layout-\(UUID().uuidString.prefix(8)).json")
    try JSONSerialization.data(withJSONObject: object).write(to: url)
    return url.path
  }

  @Test(arguments: [
    ["extract", "a.mp4", "--hero", "A", "--every", "1e-300"],
    ["extract", "a.mp4", "--hero", "A", "--every", "inf"],
    ["batch", "extract", "tree", "--out", "o", "--every", "inf"],
    ["batch", "extract", "tree", "--out", "o", "--every", "nan"],
    ["screens", "train", "clip.mp4", "--every", "0"],
    ["identify", "a.mp4", "--model", "m", "--every", "1e-300"],
  ])
  func numericOptionsExitTwo(arguments: [String]) throws {
    let dir = try CLI.temporaryDirectory()
    let run = try CLI.heroID(arguments, in: dir)
    #expect(run.status == 2, "\(arguments): \(run.stderr)")
    #expect(run.stderr.contains("--every"), "\(run.stderr)")
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "nothing written")
  }

  @Test("a layout with cx 9223372036854775807 exits 1 naming the file (was an overflow trap)")
  func layoutOverflow() throws {
    let dir = try CLI.temporaryDirectory()
    let path = try layout({ $0["attack"] = ["cx": Int.max, "cy": 586, "r": 62] }, in: dir)
    let run = try CLI.heroID(["extract", "a.mp4", "--hero", "A", "--layout", path], in: dir)
    expectOneLine(run, [path, "invalid layout", "9223372036854775807"])
  }

  @Test("train --layout refuses a 1920x1080 layout and cx 1e10, which identify cannot use")
  func trainLayout() throws {
    let dir = try CLI.temporaryDirectory()
    for (edit, words) in [
      ({ (o: inout [String: Any]) in o["frame"] = ["width": 1920, "height": 1080] }, "1920x1080"),
      (
        { (o: inout [String: Any]) in
          o["skills"] = ["skill2": ["cx": 10_000_000_000, "cy": 499, "r": 42]]
        }, "10000000000"
      ),
    ] {
      let path = try layout(edit, in: dir)
      let run = try CLI.heroID(["train", "crops", "--model", "m", "--layout", path], in: dir)
      expectOneLine(run, [path, words])
      #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("m").path))
    }
  }

  @Test("a zip64 locator pointing far past the end, given as --inception, exits 1")
  func zip64Inception() throws {
    let dir = try CLI.temporaryDirectory()
    func le(_ v: UInt64, _ n: Int) -> [UInt8] {
      (0..<n).map { UInt8((v >> (8 * UInt64($0))) & 0xFF) }
    }
    let bytes =
      le(0x0706_4b50, 4) + le(0, 4) + le(1 << 62, 8) + le(1, 4) + le(0x0605_4b50, 4) + le(0, 4)
      + le(0xFFFF, 2) + le(0xFFFF, 2) + le(0xFFFF_FFFF, 4) + le(0xFFFF_FFFF, 4) + le(0, 2)
    let pt = dir.appendingPathComponent("crafted.pt")
    try Data(bytes).write(to: pt)
    let run = try CLI.heroID(
      ["identify", "a.mp4", "--model", "m", "--inception", pt.path], in: dir)
    expectOneLine(run, ["crafted.pt", "zip64"])
  }

  /// A model folder from the committed fuzz seed (a valid 2-class model for the real base
  /// network), with `edit` applied to model.json and `weights` to the weights; re-signed.
  func craftedModel(
    in dir: URL, json edit: (inout [String: Any]) -> Void = { _ in },
    weights: (inout Data) -> Void = { _ in }
  ) throws -> URL {
    let seed = try Data(
      contentsOf: Self.checkout.appendingPathComponent(
        "Tests/Fuzz/corpus/model/valid-2-classes.bin"))
    let cut = try #require(seed.firstIndex(of: 0))
    var blob = Data(seed[(cut + 1)...])
    weights(&blob)
    var object = try #require(
      try JSONSerialization.jsonObject(with: Data(seed[..<cut])) as? [String: Any])
    var w = try #require(object["weights"] as? [String: Any])
    w["sha1"] = SHA1.hex(blob)
    object["weights"] = w
    edit(&object)
    let model = dir.appendingPathComponent("model-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
    try JSONSerialization.data(withJSONObject: object).write(
      to: model.appendingPathComponent("model.json"))
    try blob.write(to: model.appendingPathComponent("weights.f32"))
    return model
  }

  @Test(
    "identify with a usable model and weights that cannot be loaded (loaded while the clips are decoded): their error alone, exit 1",
    .enabled(if: hasClip, "needs the sample clips"))
  func unusableWeightsWithAUsableModel() throws {
    let dir = try CLI.temporaryDirectory()
    let model = try craftedModel(in: dir)
    let pt = dir.appendingPathComponent("truncated.pt")
    try Data("PK\u{03}\u{04} not a zip".utf8).write(to: pt)
    for extra in [[], ["--json"], ["--jobs", "1"]] {
      let run = try CLI.heroID(
        ["identify", Self.clip, "--model", model.path, "--inception", pt.path] + extra, in: dir)
      expectOneLine(run, ["truncated.pt"])
      #expect(run.stdout.isEmpty, "no answer printed: \(run.stdout)")
    }
    let missing = try CLI.heroID(
      ["identify", Self.clip, "--model", model.path, "--inception", "/nonexistent/w.pt"], in: dir)
    expectOneLine(missing, ["/nonexistent/w.pt"])
  }

  @Test(
    "identify refuses crafted models: a stored 1920x1080 layout, cx 1e10, a +inf label",
    .enabled(if: hasInception && hasClip, "needs the Inception weights and the sample clips"))
  func craftedModels() throws {
    let dir = try CLI.temporaryDirectory()
    func layout(_ change: @escaping (inout [String: Any]) -> Void) -> (inout [String: Any]) -> Void
    {
      { o in
        var info = o["trained_with"] as? [String: Any] ?? [:]
        var l = info["layout"] as? [String: Any] ?? [:]
        change(&l)
        info["layout"] = l
        o["trained_with"] = info
      }
    }
    let untouched = try craftedModel(in: dir)
    let ok = try CLI.heroID(["identify", Self.clip, "--model", untouched.path], in: dir)
    #expect(ok.status == 0, "the seed model is usable: \(ok.stderr)")
    let cases: [(URL, [String])] = [
      (
        try craftedModel(in: dir, json: layout { $0["frame"] = ["width": 1920, "height": 1080] }),
        ["model.json", "1920x1080"]
      ),
      (
        try craftedModel(
          in: dir,
          json: layout {
            $0["skills"] = ["skill2": ["cx": 10_000_000_000, "cy": 499, "r": 42]]
          }), ["model.json", "10000000000"]
      ),
      (
        // prototype_labels: after mean, scale, weights (2048 x 2), bias, prototype_mean, one
        // prototype row.
        try craftedModel(
          in: dir,
          weights: { data in
            let at = 4 * (2048 * 2 + 2048 * 2 + 2 + 2048 + 2048)
            withUnsafeBytes(of: Float.infinity.bitPattern.littleEndian) {
              data.replaceSubrange(at..<(at + 4), with: $0)
            }
          }), ["weights.f32", "not finite"]
      ),
    ]
    for (model, words) in cases {
      let run = try CLI.heroID(["identify", Self.clip, "--model", model.path], in: dir)
      expectOneLine(run, words)
    }
  }

  @Test(
    "a folder another process is writing to is refused at once, and nothing is written",
    .enabled(if: hasClip, "needs the sample clips"))
  func lockedFolder() throws {
    let dir = try CLI.temporaryDirectory()
    let out = dir.appendingPathComponent("crops")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    let lockFile = out.appendingPathComponent(".hero-id.lock").path
    // Held until the test ends (no time window).
    let holder = try LockHolder(lockFile)
    defer { holder.release() }
    let run = try CLI.heroID(["extract", Self.clip, "--hero", "A", "--out", out.path], in: dir)
    #expect(run.status == 1, "\(run.stderr)")
    #expect(run.stderr.contains("another hero-id run is writing to this folder"), "\(run.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("index.csv").path))
  }

  /// The rows of `index.csv` (without the header).
  func indexRows(_ out: URL) throws -> [[Substring]] {
    let text = try String(contentsOf: out.appendingPathComponent("index.csv"), encoding: .utf8)
    return text.split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
  }

  /// Every row names an existing crop, no pts appears twice, and every crop is listed.
  func expectConsistent(_ out: URL, hero: String) throws {
    let rows = try indexRows(out)
    let files = rows.map { String($0[0]) }
    let pts = rows.map { String($0[2]) }
    #expect(Set(pts).count == pts.count, "duplicate frames: \(pts)")
    #expect(Set(files).count == files.count)
    let crops = try FileManager.default.contentsOfDirectory(
      atPath: out.appendingPathComponent(hero).path
    ).filter { !$0.hasPrefix(".") }
    #expect(Set(crops.map { hero + "/" + $0 }) == Set(files), "crops and index agree")
  }

  @Test(
    "two extract runs into one folder at once: one writes, the other refuses; no duplicates",
    .enabled(if: hasClip, "needs the sample clips"))
  func concurrentExtracts() throws {
    let dir = try CLI.temporaryDirectory()
    let out = dir.appendingPathComponent("crops")
    let bin = try CLI.binary()
    var processes: [Process] = []
    var errors: [Pipe] = []
    for _ in 0..<2 {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: bin)
      p.arguments = ["extract", Self.clip, "--hero", "A", "--out", out.path]
      let e = Pipe()
      p.standardError = e
      p.standardOutput = FileHandle.nullDevice
      processes.append(p)
      errors.append(e)
    }
    for p in processes { try p.run() }
    var statuses: [Int32] = []
    for (p, e) in zip(processes, errors) {
      let text = String(decoding: e.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      p.waitUntilExit()
      statuses.append(p.terminationStatus)
      if p.terminationStatus != 0 {
        #expect(text.contains("another hero-id run is writing to this folder"), "\(text)")
      }
    }
    #expect(statuses.contains(0))
    try expectConsistent(out, hero: "A")
  }

  @Test(
    "extract killed with SIGKILL mid-run, then run again: no duplicate crop or row",
    .enabled(if: hasClip, "needs the sample clips"))
  func killedExtract() throws {
    let dir = try CLI.temporaryDirectory()
    let out = dir.appendingPathComponent("crops")
    let args = ["extract", Self.clip, "--hero", "A", "--out", out.path]
    // A video's crops are staged (OUT/.batch/staging/) and committed whole at its end: killed
    // while crops are being staged (after the 2nd and the 8th), and in the middle of the
    // commit (the crops at their final names, the index rows and the journal's `done` not
    // yet written). Each kill lands at its point (``StopPoint``), on any machine.
    // Each run after a kill first rolls back what the killed one left half-done.
    for point in ["crop-staged:2", "crop-staged:8", "commit-placed"] {
      #expect(try CLI.killAt(point, args, in: dir), "never reached \(point)")
    }
    let again = try CLI.heroID(args, in: dir)
    #expect(again.status == 0, "\(again.stderr)")
    try expectConsistent(out, hero: "A")
    let once = try indexRows(out).count
    // A further run adds nothing.
    _ = try CLI.heroID(args, in: dir)
    #expect(try indexRows(out).count == once)
  }

  /// The model folder's weights, or nil when it has none.
  func weights(_ model: String) -> Data? {
    try? Data(contentsOf: URL(fileURLWithPath: model + "/weights.f32"))
  }

  @Test(
    "train killed with SIGKILL while it saves: the folder holds the old model or the new, whole",
    .enabled(if: hasInception, "needs the Inception weights (make setup)"))
  func killedTrainSave() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let crops = dir.appendingPathComponent("crops")
    try TrainIdentifyCLITests.makeCrops(
      in: crops, ["red": "red", "green": "green", "blue": "blue"], count: 8)
    let model = dir.appendingPathComponent("model").path
    let clip = dir.appendingPathComponent("clip.mp4").path
    try CLI.makeClip(at: clip)
    func train(seed: Int) -> [String] {
      ["train", crops.path, "--model", model, "--steps", "60", "--seed", String(seed)]
    }
    let first = try CLI.heroID(train(seed: 100))
    #expect(first.status == 0, "\(first.stderr)")
    // Killed with the new model's files written and synced in the staging folder, before the
    // exchange; and right after the exchange, the old model not yet removed. Each kill lands
    // at its point (``StopPoint``), on any machine.
    for (attempt, point) in ["model-staged", "model-exchanged"].enumerated() {
      let before = try #require(weights(model))
      #expect(try CLI.killAt(point, train(seed: attempt + 1)), "never reached \(point)")
      // Whatever the moment, the folder is a model that loads.
      let after = try #require(weights(model), "attempt \(attempt): weights.f32 missing")
      let identify = try CLI.heroID(["identify", clip, "--model", model, "--json"])
      #expect(identify.status == 0, "attempt \(attempt): \(identify.stderr)")
      // And it is the old model or the new one, not a mixture: the same seed run to the end
      // gives the new one. Before the exchange the old one is there, after it the new one.
      let rerun = try CLI.heroID(train(seed: attempt + 1))
      #expect(rerun.status == 0, "\(rerun.stderr)")
      let full = try #require(weights(model))
      #expect(full != before, "seeds \(attempt + 1) and the one before made the same model")
      #expect(after == (point == "model-staged" ? before : full), "attempt \(attempt)")
    }
    // The staging folders of the killed saves are gone once a later save has run.
    let left = try FileManager.default.contentsOfDirectory(atPath: dir.path)
    #expect(!left.contains { $0.hasPrefix(".model.") }, "\(left)")
  }

  // MARK: Batch journals from other machines

  /// Writes `records` as the journal of a batch output at `root`.
  func writeJournal(_ records: [[String: Any]], at root: URL) throws {
    let dir = root.appendingPathComponent(".batch")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    var text = Data()
    for r in records {
      text.append(try JSONSerialization.data(withJSONObject: r))
      text.append(0x0A)
    }
    try text.write(to: dir.appendingPathComponent("journal.jsonl"))
  }

  /// Every file under `dir` (relative paths), to check that nothing appeared.
  func tree(_ dir: URL) -> Set<String> {
    let e = FileManager.default.enumerator(atPath: dir.path)
    var out = Set<String>()
    while let p = e?.nextObject() as? String { out.insert(p) }
    return out
  }

  @Test(arguments: [
    ("../../x", "../../x/x_000001.jpg"), ("A", "../secret.txt"), ("A", "A/../../secret.txt"),
    ("A", "/etc/passwd"), (".A", ".A/.A_000001.jpg"), ("A", "B/B_000001.jpg"),
  ])
  func mergeRefusesEscapingJournals(hero: String, crop: String) throws {
    let base = try CLI.temporaryDirectory()
    let shard = base.appendingPathComponent("work/shard")
    try FileManager.default.createDirectory(at: shard, withIntermediateDirectories: true)
    try Data("secret".utf8).write(to: base.appendingPathComponent("work/secret.txt"))
    try writeJournal(
      [
        ["kind": "run", "options": ["every": "1"]],
        [
          "kind": "done", "video": "v.mp4", "hash": String(repeating: "a", count: 40),
          "hero": hero, "frames": 1,
          "crops": [["file": crop, "ptsSeconds": 1, "screen": "gameplay"]],
        ],
      ], at: shard)
    let before = tree(base)
    let merged = base.appendingPathComponent("work/merged")
    let run = try CLI.heroID(["batch", "merge", shard.path, "--out", merged.path], in: base)
    #expect(run.status == 1, "\(run.stderr)")
    #expect(run.stderr.contains("journal.jsonl"), "\(run.stderr)")
    #expect(run.stderrLines.filter { !$0.isEmpty }.count == 1, "\(run.stderr)")
    let added = tree(base).subtracting(before)
    #expect(added.allSatisfy { $0.hasPrefix("work/merged") }, "written outside --out: \(added)")
    #expect(!added.contains { $0.hasSuffix(".jpg") || $0.contains("secret") })
  }

  @Test("roll-back refuses an output journal naming a file outside the folder")
  func rollbackRefusesEscapingJournal() throws {
    let base = try CLI.temporaryDirectory()
    let out = base.appendingPathComponent("out")
    let secret = base.appendingPathComponent("secret.txt")
    try Data("secret".utf8).write(to: secret)
    try writeJournal(
      [
        ["kind": "run", "options": [:] as [String: String]],
        [
          "kind": "begin", "video": "v.mp4", "hash": String(repeating: "b", count: 40),
          "hero": "A", "indexBytes": 0,
          "crops": [["file": "../secret.txt", "ptsSeconds": 1, "screen": "gameplay"]],
        ],
      ], at: out)
    let shard = base.appendingPathComponent("shard")
    try writeJournal([["kind": "run"]], at: shard)
    let run = try CLI.heroID(["batch", "merge", shard.path, "--out", out.path], in: base)
    #expect(run.status == 1, "\(run.stderr)")
    #expect(run.stderr.contains("crops[0].file"), "\(run.stderr)")
    #expect(FileManager.default.fileExists(atPath: secret.path), "the outside file survives")
  }

  @Test("batch extract into a folder another run holds is refused with one line")
  func batchLocked() throws {
    let base = try CLI.temporaryDirectory()
    let out = base.appendingPathComponent("out")
    let videos = base.appendingPathComponent("tree/A")
    try FileManager.default.createDirectory(at: videos, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    let lockFile = out.appendingPathComponent(".hero-id.lock").path
    // Held until the test ends (no time window).
    let holder = try LockHolder(lockFile)
    defer { holder.release() }
    let before = tree(out)
    let run = try CLI.heroID(
      ["batch", "extract", base.appendingPathComponent("tree").path, "--out", out.path], in: base)
    #expect(run.status == 1, "\(run.stderr)")
    #expect(run.stderr.contains("another hero-id run is writing to this folder"), "\(run.stderr)")
    #expect(tree(out) == before)
  }
}
