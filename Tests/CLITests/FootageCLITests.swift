import Foundation
import HeroCore
import Testing

/// Real footage through the CLI (docs/footage.md): `locate`, `extract` and `batch extract`
/// (the HUD found by default) on committed footage clips, against their sidecars' truth.
@Suite struct FootageCLITests {
  static let footage = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
      "samples/footage")
  static var available: Bool {
    FileManager.default.fileExists(atPath: footage.appendingPathComponent("clip_08.mp4").path)
  }

  static func clip(_ n: Int) -> String {
    footage.appendingPathComponent(String(format: "clip_%02d.mp4", n)).path
  }

  /// The sidecar's footage truth of clip `n`.
  static func truth(_ n: Int) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: String(clip(n).dropLast(4)) + ".json"))
    let sidecar = try JSONSerialization.jsonObject(with: data) as? [String: Any]
    return try #require(sidecar?["footage"] as? [String: Any])
  }

  static func objects(_ lines: [Substring]) throws -> [[String: Any]] {
    try lines.map {
      try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
  }

  @Test(.enabled(if: available, "needs samples/footage"))
  func locateFindsThePictureAndTheHUD() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let run = try CLI.heroID(
      ["locate", Self.clip(1), Self.clip(8), "--json", "--debug-hud", dir.path])
    #expect(run.status == 0, "\(run.stderr)")
    let lines = try Self.objects(run.stdoutLines)
    #expect(lines.count == 2)
    for (n, line) in zip([1, 8], lines) {
      let truth = try Self.truth(n)
      let hud = try #require(line["hud"] as? [String: Any], "clip \(n): \(line)")
      #expect(abs((hud["scale"] as? Double ?? 0) - (truth["hud_scale"] as? Double ?? 9)) <= 0.05)
      #expect((line["frame"] as? [Int])?.last == 720)
      #expect(FileManager.default.fileExists(atPath: line["debug_hud"] as? String ?? "/none"))
    }
    // Clip 8 is a stream layout: the picture is inside it.
    #expect(lines[1]["in_layout"] as? Bool == true)
    #expect(lines[0]["in_layout"] as? Bool == false)
  }

  @Test(.enabled(if: available, "needs samples/footage"))
  func extractFootageCropsAtTheFoundHUDAndSaysWhere() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("crops").path
    let hud = dir.appendingPathComponent("hud").path
    let nohud = dir.appendingPathComponent("pattern.mp4").path
    try CLI.makeClip(at: nohud)
    // --footage (the old opt-in, now the default) contradicts --fixed-layout.
    let usage = try CLI.heroID(
      ["extract", Self.clip(8), "--hero", "X", "--footage", "--fixed-layout"])
    #expect(usage.status == 2)
    #expect(usage.stderr.contains("contradict"), "\(usage.stderr)")

    let plain = try CLI.heroID(
      ["extract", Self.clip(8), "--hero", "X", "--out", out, "--json", "--fixed-layout"])
    #expect(plain.status == 0, "\(plain.stderr)")
    let before = try Self.objects(plain.stdoutLines)
    #expect(before.first?["kept"] as? Int == 0, "the stream clip has no gameplay frame fixed")
    #expect(before.first?["geometry"] == nil)

    // No flag: the picture and the HUD are found.
    let run = try CLI.heroID(
      ["extract", Self.clip(8), nohud, "--hero", "X", "--out", out, "--json", "--debug-hud", hud])
    #expect(run.status == 0, "\(run.stderr)")
    let lines = try Self.objects(run.stdoutLines)
    #expect(lines.count == 2)
    let found = try #require(lines[0]["geometry"] as? [String: Any])
    let h = try #require(found["hud"] as? [String: Any])
    #expect(abs((h["scale"] as? Double ?? 0) - 1.1) <= 0.05)
    #expect(found["in_layout"] as? Bool == true)
    #expect((lines[0]["kept"] as? Int ?? 0) >= 6)
    #expect((lines[0]["crops"] as? [String])?.count == lines[0]["kept"] as? Int)
    #expect(FileManager.default.fileExists(atPath: lines[0]["debug_hud"] as? String ?? "/none"))
    #expect(run.stderr.contains("HUD scale 1.1"), "\(run.stderr)")
    // The test pattern has no HUD: said in one place per output, no crop.
    let none = try #require(lines[1]["geometry"] as? [String: Any])
    #expect(none["hud"] is NSNull)
    #expect((lines[1]["reason"] as? String)?.hasPrefix("no HUD found in") == true)
    #expect(lines[1]["kept"] as? Int == 0)
    #expect(run.stderr.contains("\(nohud): no HUD found in"))

    // A --debug-hud folder that cannot be written: one line naming it, exit 1.
    let blocked = dir.appendingPathComponent("file").path
    try Data("x".utf8).write(to: URL(fileURLWithPath: blocked))
    let bad = try CLI.heroID(
      [
        "extract", Self.clip(8), "--hero", "X", "--out", out + "2", "--debug-hud", blocked,
      ])
    #expect(bad.status == 1)
    #expect(bad.stderr.contains("\(blocked): cannot write the --debug-hud frame"), "\(bad.stderr)")
    #expect(!bad.stderr.contains("NSCocoaErrorDomain"))
  }

  @Test(.enabled(if: available, "needs samples/footage"))
  func batchExtractFootageReportsTheGeometry() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let tree = dir.appendingPathComponent("tree/貂蝉")
    try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      atPath: Self.clip(2), toPath: tree.appendingPathComponent("a.mp4").path)
    let out = dir.appendingPathComponent("crops").path
    let hudDir = dir.appendingPathComponent("hud").path
    let run = try CLI.heroID(
      [
        "batch", "extract", dir.appendingPathComponent("tree").path, "--out", out,
        "--debug-hud", hudDir, "--json",
      ])
    #expect(run.status == 0, "\(run.stderr)")
    let line = try #require(try Self.objects(run.stdoutLines).first)
    let found = try #require(line["geometry"] as? [String: Any], "\(line)")
    let hud = try #require(found["hud"] as? [String: Any])
    #expect(abs((hud["scale"] as? Double ?? 0) - 1.15) <= 0.05)
    #expect((line["kept"] as? Int ?? 0) >= 6)
    #expect(FileManager.default.fileExists(atPath: hudDir + "/a-hud.jpg"))
    // The report file keeps it too (from the journal).
    let report = try String(contentsOfFile: out + "/batch-report.jsonl", encoding: .utf8)
    #expect(report.split(separator: "\n").first?.contains("\"geometry\"") == true)
    // A run with --fixed-layout does not resume this one's journal; the old --footage flag
    // (the default now) does.
    let other = try CLI.heroID(
      ["batch", "extract", dir.appendingPathComponent("tree").path, "--out", out, "--fixed-layout"])
    #expect(other.status != 0)
    #expect(other.stderr.contains("resume it without --fixed-layout"), "\(other.stderr)")
    let same = try CLI.heroID(
      ["batch", "extract", dir.appendingPathComponent("tree").path, "--out", out, "--footage"])
    #expect(same.status == 0, "\(same.stderr)")
    #expect(same.stderr.contains("already done"), "\(same.stderr)")
  }
}
