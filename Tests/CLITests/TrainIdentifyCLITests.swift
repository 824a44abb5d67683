import Foundation
import HeroCore
import Testing

/// `hero-id train` and `hero-id identify` through the built binary.
@Suite struct TrainIdentifyCLITests {
  static let hasInception = FileManager.default.fileExists(atPath: HeroIDHome.inceptionPath())

  /// `DIR/<class>/<class>_NNN.jpg`: `count` noisy 104x104 images of one colour per class (ffmpeg).
  static func makeCrops(in dir: URL, _ classes: [String: String], count: Int) throws {
    for (name, colour) in classes {
      let sub = dir.appendingPathComponent(name)
      try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      p.arguments = [
        "ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
        "color=c=\(colour):s=104x104:r=10,noise=alls=60:allf=t", "-frames:v", String(count),
        sub.appendingPathComponent("\(name)_%03d.jpg").path,
      ]
      try p.run()
      p.waitUntilExit()
      #expect(p.terminationStatus == 0)
    }
  }

  @Test func helpAndBadUsage() throws {
    let help = try CLI.heroID(["train", "--help"])
    #expect(help.status == 0)
    #expect(
      help.stdout.contains("--validation-percentage") && help.stdout.contains("--flip-left-right"))
    #expect(try CLI.heroID(["identify", "--help"]).status == 0)
    #expect(try CLI.heroID(["train", "somewhere", "--steps", "0"]).status == 2)
    #expect(
      try CLI.heroID([
        "train", "somewhere", "--validation-percentage", "60", "--testing-percentage", "50",
      ])
      .status == 2)
    let rate = try CLI.heroID(["train", "somewhere", "--known-reject-rate", "1.5"])
    #expect(rate.status == 2 && rate.stderr.contains("--known-reject-rate"))
    #expect(help.stdout.contains("--known-reject-rate"))
    #expect(try CLI.heroID(["identify"]).status == 2)
    #expect(try CLI.heroID(["identify", "x.mp4", "--jobs", "0"]).status == 2)
  }

  @Test func badCropFoldersExitOneNamingTheFolder() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let missing = dir.appendingPathComponent("missing").path
    let r1 = try CLI.heroID(["train", missing])
    #expect(r1.status == 1)
    #expect(r1.stderr.contains(missing))

    let empty = dir.appendingPathComponent("empty")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    let r2 = try CLI.heroID(["train", empty.path])
    #expect(r2.status == 1)
    #expect(r2.stderr.contains("no class folders"))

    let one = dir.appendingPathComponent("one")
    try Self.makeCrops(in: one, ["solo": "red"], count: 5)
    let r3 = try CLI.heroID(["train", one.path])
    #expect(r3.status == 1)
    #expect(r3.stderr.contains("only one class"))

    let few = dir.appendingPathComponent("few")
    try Self.makeCrops(in: few, ["a": "red", "b": "blue"], count: 12)
    try Self.makeCrops(in: few, ["c": "green"], count: 2)
    // --strict keeps the old refusal of a hero with too few crops.
    let r4 = try CLI.heroID(["train", few.path, "--strict"])
    #expect(r4.status == 1)
    #expect(r4.stderr.contains(few.appendingPathComponent("c").path))
    #expect(r4.stderr.contains("only 2 images"))
    #expect(r4.stdout.isEmpty)
    // By default that hero is left out with a warning naming it, and the rest is trained.
    if Self.hasInception {
      let r5 = try CLI.heroID([
        "train", few.path, "--model", dir.appendingPathComponent("m").path, "--steps", "50",
        "--json",
      ])
      #expect(r5.status == 0, "\(r5.stderr)")
      #expect(r5.stderr.contains(few.appendingPathComponent("c").path))
      #expect(r5.stderr.contains("left out"))
      let object = try JSONSerialization.jsonObject(with: Data(r5.stdout.utf8)) as? [String: Any]
      #expect(object?["classes"] as? [String] == ["a", "b"])
    }
  }

  @Test(.enabled(if: hasInception, "needs the Inception weights (make setup)"))
  func trainsCachesAndIdentifies() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let crops = dir.appendingPathComponent("crops")
    try Self.makeCrops(in: crops, ["红": "red", "green": "green", "blue": "blue"], count: 14)
    let model = dir.appendingPathComponent("model").path
    let args = ["train", crops.path, "--model", model, "--steps", "150", "--json"]
    let first = try CLI.heroID(args)
    #expect(first.status == 0, "\(first.stderr)")
    #expect(first.stderr.contains("bottlenecks:"))
    #expect(first.stderr.contains("step 100: train accuracy"))
    let line = try #require(first.stdoutLines.first.map(String.init))
    #expect(first.stdoutLines.count == 1)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    #expect(object["classes"] as? [String] == ["blue", "green", "红"])
    let images = try #require(object["images"] as? [String: Int])
    #expect(images.values.reduce(0, +) == 42)
    #expect((object["validation_accuracy"] as? Double ?? 0) >= 0.9)
    if let test = object["test_accuracy"] as? Double { #expect(test >= 0.9) }
    #expect(object["model"] as? String == model)
    for file in ["model.json", "weights.f32", "labels.txt"] {
      #expect(FileManager.default.fileExists(atPath: model + "/" + file))
    }

    // Second run: every bottleneck comes from the cache, and the same seed gives the same model.
    let weights1 = try Data(contentsOf: URL(fileURLWithPath: model + "/weights.f32"))
    let second = try CLI.heroID(args)
    #expect(second.status == 0)
    #expect(!second.stderr.contains("bottlenecks:"))
    #expect(try Data(contentsOf: URL(fileURLWithPath: model + "/weights.f32")) == weights1)

    // A clip without gameplay: "unknown" with a reason; a broken clip: an error line, exit 1.
    let clip = dir.appendingPathComponent("pattern.mp4").path
    try CLI.makeClip(at: clip)
    let broken = dir.appendingPathComponent("broken.mp4").path
    try Data("not a video".utf8).write(to: URL(fileURLWithPath: broken))
    let id = try CLI.heroID(["identify", clip, broken, "--model", model, "--json"])
    #expect(id.status == 1)
    #expect(id.stdoutLines.count == 2)
    let verdict = try #require(
      try JSONSerialization.jsonObject(with: Data(id.stdoutLines[0].utf8)) as? [String: Any])
    #expect(verdict["video"] as? String == clip)
    #expect(verdict["hero"] is NSNull)
    // The HUD is looked for by default: none anywhere is the reason given.
    #expect((verdict["reason"] as? String)?.hasPrefix("no HUD found in") == true, "\(verdict)")
    #expect((verdict["frames"] as? Int ?? 0) >= 1)
    #expect(verdict["gameplay_frames"] as? Int == 0)
    #expect((verdict["timeline"] as? [Any])?.count == verdict["frames"] as? Int)
    let error = try #require(
      try JSONSerialization.jsonObject(with: Data(id.stdoutLines[1].utf8)) as? [String: Any])
    #expect(error["video"] as? String == broken)
    #expect((error["error"] as? String)?.contains(broken) == true)

    // A model directory that is not one.
    let bad = try CLI.heroID(["identify", clip, "--model", dir.path])
    #expect(bad.status == 1)
    #expect(bad.stderr.contains("model.json"))
  }

  @Test func trainSlotsThatMatchNoCropIsOneLineNamingThem() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    for hero in ["A", "B"] {
      let folder = dir.appendingPathComponent("crops/\(hero)")
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      for n in 1...4 {
        try Data([0xFF, 0xD8]).write(
          to: folder.appendingPathComponent(String(format: "%@_%06d.jpg", hero, n)))
      }
    }
    let run = try CLI.heroID(["train", "crops", "--slots", "3", "--model", "m"], in: dir)
    #expect(run.status == 1)
    #expect(run.stderrLines.last?.contains("crops: no crops of skill3") == true, "\(run.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("m").path))
    let bad = try CLI.heroID(["train", "crops", "--slots", "9"], in: dir)
    #expect(bad.status == 2 && bad.stderr.contains("\"9\" is not a skill slot"))
  }
}
