import Foundation
import Testing

@Suite struct ExtractCLITests {
  @Test func helpExitsZeroAndNamesTheSubcommands() throws {
    let result = try CLI.heroID(["--help"])
    #expect(result.status == 0)
    for command in ["extract", "train", "identify", "bottleneck"] {
      #expect(result.stdout.contains(command), "--help should mention \(command)")
    }
    let extractHelp = try CLI.heroID(["extract", "--help"])
    #expect(extractHelp.status == 0)
    #expect(extractHelp.stdout.contains("--every") && extractHelp.stdout.contains("--all-frames"))
  }

  @Test func aBadVideoIsReportedAndTheGoodOneIsStillWritten() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try CLI.makeClip(at: dir.appendingPathComponent("good.mp4").path)
    try Data("not a video\n".utf8).write(to: dir.appendingPathComponent("bad.mp4"))

    let result = try CLI.heroID(
      ["extract", "bad.mp4", "good.mp4", "--frames", "--out", "out", "--json", "--jobs", "2"],
      in: dir)
    #expect(result.status == 1)
    let badLines = result.stderrLines.filter { $0.contains("bad.mp4") }
    #expect(badLines.count == 1, "one stderr line names the bad file: \(result.stderr)")
    #expect(badLines.first?.hasPrefix("bad.mp4: ") == true)

    // 2 s at 25 fps, a key frame every 10 frames: 5 key frames.
    let written = try FileManager.default.contentsOfDirectory(
      atPath: dir.appendingPathComponent("out/good").path
    ).filter { $0.hasSuffix(".jpg") }.sorted()
    #expect(written == (1...5).map { String(format: "good_%06d.jpg", $0) })
    let first = try Data(contentsOf: dir.appendingPathComponent("out/good/good_000001.jpg"))
    #expect(first.prefix(3) == Data([0xFF, 0xD8, 0xFF]))

    // --json: one object per video, in input order.
    let lines = result.stdoutLines
    #expect(lines.count == 2)
    let objects = try lines.map {
      try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    #expect(objects.first?["video"] as? String == "bad.mp4")
    #expect((objects.first?["error"] as? String)?.hasPrefix("bad.mp4: ") == true)
    #expect(objects.last?["video"] as? String == "good.mp4")
    #expect(objects.last?["frames"] as? Int == 5)
    #expect((objects.last?["written"] as? [String])?.first == "out/good/good_000001.jpg")
  }

  @Test func everyAndSizeReachTheDecoder() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try CLI.makeClip(at: dir.appendingPathComponent("clip.mp4").path)
    let result = try CLI.heroID(
      [
        "extract", "clip.mp4", "--frames", "--out", "o", "--every", "1", "--size", "64x48",
        "--json",
      ], in: dir)
    #expect(result.status == 0, "\(result.stderr)")
    let object = try #require(
      JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    #expect(object["frames"] as? Int == 2, "key frames at 0, 0.4, …, 1.6 s: one per second")
    let jpeg = try Data(contentsOf: dir.appendingPathComponent("o/clip/clip_000002.jpg"))
    #expect(jpeg.count > 100)
  }

  @Test(arguments: [
    ["extract", "x.mp4", "--no-such-flag"],
    ["extract", "x.mp4", "--every=-1"],
    ["extract", "x.mp4", "--every", "0"],
    ["extract", "x.mp4", "--size", "big"],
    ["extract", "x.mp4", "--jobs", "0"],
    ["extract"],
    ["no-such-command"],
  ])
  func badUsageExitsTwo(arguments: [String]) throws {
    let result = try CLI.heroID(arguments)
    #expect(result.status == 2, "\(arguments): \(result.stderr)")
    #expect(!result.stderr.isEmpty)
  }
}
