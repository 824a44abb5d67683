import Foundation
import Testing

/// `hero-id screens eval|train`: measuring and retraining the screen sorter.
@Suite struct ScreensCLITests {
  @Test(.enabled(if: ExtractCropsCLITests.hasSample, "needs the committed sample clips"))
  func evalReportsPerScreenFiguresAndTrainWritesAUsableModel() throws {
    let dir = try ExtractCropsCLITests.workspace(heroFolder: "v")
    let clip = ExtractCropsCLITests.sampleClip
    try FileManager.default.copyItem(
      atPath: URL(fileURLWithPath: clip).deletingPathExtension().appendingPathExtension("json")
        .path,
      toPath: dir.appendingPathComponent("v/clip.json").path)

    let eval = try CLI.heroID(["screens", "eval", "v/clip.mp4", "--json"], in: dir)
    #expect(eval.status == 0, "\(eval.stderr)")
    let o = try ExtractCropsCLITests.json(eval.stdoutLines.first ?? "")
    let frames = try #require(o["frames"] as? Int)
    #expect(frames > 10)
    let gameplay = try #require(o["gameplay"] as? [String: Any])
    #expect((gameplay["precision"] as? Double ?? 0) >= 0.99)
    #expect((gameplay["recall"] as? Double ?? 0) >= 0.95)

    let train = try CLI.heroID(
      ["screens", "train", "v/clip.mp4", "--augment", "0", "--epochs", "40", "--out", "m.json"],
      in: dir)
    #expect(train.status == 0, "\(train.stderr)")
    #expect(train.stderr.contains("training on \(frames) examples"))
    let run = try CLI.heroID(
      ["extract", "v/clip.mp4", "--screen-model", "m.json", "--out", "c", "--json"], in: dir)
    #expect(run.status == 0, "\(run.stderr)")
    let e = try ExtractCropsCLITests.json(run.stdoutLines.first ?? "")
    #expect((e["kept"] as? Int ?? 0) > frames / 2)
  }

  @Test func aClipWithoutASidecarIsNamed() throws {
    let dir = try CLI.temporaryDirectory()
    try Data("x".utf8).write(to: dir.appendingPathComponent("a.mp4"))
    let run = try CLI.heroID(["screens", "eval", "a.mp4"], in: dir)
    #expect(run.status == 1)
    #expect(run.stderr.contains("a.mp4: no sidecar"))
  }

  @Test func aBadScreenModelIsNamed() throws {
    let dir = try CLI.temporaryDirectory()
    try Data("{}".utf8).write(to: dir.appendingPathComponent("m.json"))
    let run = try CLI.heroID(["extract", "a.mp4", "--screen-model", "m.json"], in: dir)
    #expect(run.status == 1)
    #expect(run.stderr.contains("m.json: invalid screen model"))
  }
}
