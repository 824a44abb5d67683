import Foundation
import HeroCore
import Testing

/// extract → train → identify on the committed samples (samples/train, samples/test with
/// manifest.csv): the end-to-end check. Takes a few minutes on two cores (about 330
/// bottlenecks, 21 clips to identify).
@Suite struct SamplesEndToEndTests {
  static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("samples")
  static let available =
    FileManager.default.fileExists(atPath: HeroIDHome.inceptionPath())
    && FileManager.default.fileExists(
      atPath: samples.appendingPathComponent("test/manifest.csv").path)

  @Test(.enabled(if: available, "needs the Inception weights (make setup) and samples/"))
  func namesKnownHeroesAndRejectsUnknownOnes() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let trainClips = try FileManager.default.subpathsOfDirectory(
      atPath: Self.samples.appendingPathComponent("train").path
    ).filter { $0.hasSuffix(".mp4") }.sorted().map {
      Self.samples.appendingPathComponent("train").appendingPathComponent($0).path
    }
    #expect(trainClips.count >= 8)
    let crops = dir.appendingPathComponent("crops").path
    // Two frames a second of every training clip (as `make demo`): more cooldown states and
    // effects per hero than the key frames alone.
    let extract = try CLI.heroID(
      ["extract"] + trainClips + ["--out", crops, "--all-frames", "--every", "0.5"])
    #expect(extract.status == 0, "\(extract.stderr)")
    let model = dir.appendingPathComponent("model").path
    let train = try CLI.heroID(["train", crops, "--model", model, "--json"])
    #expect(train.status == 0, "\(train.stderr)")
    let summary = try #require(
      try JSONSerialization.jsonObject(with: Data(train.stdout.utf8)) as? [String: Any])
    #expect((summary["validation_accuracy"] as? Double ?? 0) >= 0.85)
    #expect((summary["test_accuracy"] as? Double ?? 0) >= 0.85)

    // The truth: test/manifest.csv, `video,hero`, empty hero for one absent from training.
    let manifest = try String(
      contentsOf: Self.samples.appendingPathComponent("test/manifest.csv"), encoding: .utf8)
    var truth: [(clip: String, hero: String?)] = []
    for line in manifest.split(separator: "\n").dropFirst() {
      let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      guard f.count == 2 else { continue }
      truth.append(
        (
          Self.samples.appendingPathComponent("test").appendingPathComponent(f[0]).path,
          f[1].isEmpty ? nil : f[1]
        ))
    }
    #expect(truth.count == 21)
    let identify = try CLI.heroID(["identify"] + truth.map(\.clip) + ["--model", model, "--json"])
    #expect(identify.status == 0, "\(identify.stderr)")
    let lines = identify.stdoutLines
    #expect(lines.count == truth.count)
    var knownRight = 0
    var knownWrong = 0
    var known = 0
    var unknownRejected = 0
    var unknown = 0
    for (line, expected) in zip(lines, truth) {
      let v = try #require(
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      #expect(v["video"] as? String == expected.clip)
      let hero = v["hero"] as? String
      if let expected = expected.hero {
        known += 1
        if hero == expected { knownRight += 1 } else if hero != nil { knownWrong += 1 }
      } else {
        unknown += 1
        if hero == nil {
          unknownRejected += 1
          #expect(v["reason"] is String)
        }
      }
    }
    // Measured on the committed set (training crops at two frames a second): 16 of 16 known
    // clips named; 5 of 5 unknown clips rejected (the no-gameplay clip and the 4 clips of
    // absent heroes). The bounds leave one clip of slack on each side (4 of 5 is the issue's
    // 80%), never a wrong name.
    #expect(known == 16 && unknown == 5)
    #expect(knownRight >= 15)
    #expect(knownWrong == 0)
    #expect(unknownRejected >= 4)
  }
}
