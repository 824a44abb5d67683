import Foundation
import Testing

/// `hero-id extract` in its contract mode: sort, crop, label, index.
@Suite struct ExtractCropsCLITests {
  /// A committed training clip (26 s, a key frame a second, loading then gameplay with a visit
  /// to the shop or another screen).
  static var sampleClip: String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("samples/train/貂蝉/貂蝉_1.mp4").path
  }
  static var hasSample: Bool { FileManager.default.fileExists(atPath: sampleClip) }

  /// A temporary folder holding the sample clip as `<hero folder>/clip.mp4`.
  static func workspace(heroFolder: String) throws -> URL {
    let dir = try CLI.temporaryDirectory()
    let folder = dir.appendingPathComponent(heroFolder)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      atPath: sampleClip, toPath: folder.appendingPathComponent("clip.mp4").path)
    return dir
  }

  static func json(_ line: Substring) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
  }

  @Test(.enabled(if: hasSample, "needs samples/train/貂蝉/貂蝉_1.mp4"))
  func cropsAreLabelledByTheParentFolderAndIndexed() throws {
    let dir = try Self.workspace(heroFolder: "王昭君")
    let run = try CLI.heroID(
      ["extract", "王昭君/clip.mp4", "--out", "crops", "--json", "--keep-rejected", "rejected"],
      in: dir)
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdoutLines.count == 1)
    let o = try Self.json(run.stdoutLines.first ?? "")
    // The contract's keys, and the picture and HUD found ("geometry", docs/footage.md).
    #expect(Set(o.keys) == ["video", "hero", "frames", "kept", "screens", "crops", "geometry"])
    #expect(o["video"] as? String == "王昭君/clip.mp4")
    #expect(o["hero"] as? String == "王昭君")
    let frames = try #require(o["frames"] as? Int)
    let kept = try #require(o["kept"] as? Int)
    let screens = try #require(o["screens"] as? [String: Int])
    #expect(Set(screens.keys) == ["gameplay", "loading", "shop", "other"])
    #expect(screens.values.reduce(0, +) == frames)
    #expect(kept == screens["gameplay"] && kept > frames / 2 && kept < frames)
    let crops = try #require(o["crops"] as? [String])
    #expect(crops.count == kept)
    #expect(crops.first == "crops/王昭君/王昭君_000001.jpg")
    for c in crops {
      let data = try Data(contentsOf: dir.appendingPathComponent(c))
      #expect(data.prefix(3) == Data([0xFF, 0xD8, 0xFF]))
    }
    // index.csv: header plus one row per crop, the Chinese name intact.
    let index = try String(
      contentsOf: dir.appendingPathComponent("crops/index.csv"), encoding: .utf8)
    let rows = index.split(separator: "\n")
    #expect(rows.first == "file,video,pts_seconds,screen,hero")
    #expect(rows.count == kept + 1)
    #expect(rows.dropFirst().first?.hasPrefix("王昭君/王昭君_000001.jpg,王昭君/clip.mp4,") == true)
    #expect(rows.dropFirst().allSatisfy { $0.hasSuffix(",gameplay,王昭君") })
    // Rejected frames, by reason.
    for reason in ["loading", "shop", "other"] {
      let files =
        (try? FileManager.default.contentsOfDirectory(
          atPath: dir.appendingPathComponent("rejected/\(reason)").path)) ?? []
      #expect(files.count == screens[reason], "\(reason)")
    }
    // The human summary names the video, frames and rejects.
    #expect(run.stderr.contains("王昭君/clip.mp4: hero 王昭君, \(frames) frames, \(kept) kept"))

    // Running again adds nothing.
    let again = try CLI.heroID(["extract", "王昭君/clip.mp4", "--out", "crops", "--json"], in: dir)
    #expect(again.status == 0, "\(again.stderr)")
    let o2 = try Self.json(again.stdoutLines.first ?? "")
    #expect(o2["kept"] as? Int == kept)
    #expect((o2["crops"] as? [String])?.isEmpty == true)
    let index2 = try String(
      contentsOf: dir.appendingPathComponent("crops/index.csv"), encoding: .utf8)
    #expect(index2 == index)
    let files = try FileManager.default.contentsOfDirectory(
      atPath: dir.appendingPathComponent("crops/王昭君").path)
    #expect(files.filter { $0.hasSuffix(".jpg") }.count == kept)

    // A copy under another name is the same content: still nothing new. With --hero a new label
    // would be a different hero; the content key still matches, so nothing is added either.
    try FileManager.default.copyItem(
      at: dir.appendingPathComponent("王昭君/clip.mp4"), to: dir.appendingPathComponent("copy.mp4"))
    let copy = try CLI.heroID(
      ["extract", "copy.mp4", "--hero", "王昭君", "--out", "crops", "--json"], in: dir)
    #expect(copy.status == 0, "\(copy.stderr)")
    let o3 = try Self.json(copy.stdoutLines.first ?? "")
    #expect((o3["crops"] as? [String])?.isEmpty == true)
  }

  @Test(.enabled(if: hasSample, "needs samples/train/貂蝉/貂蝉_1.mp4"))
  func slotsCropEveryButtonAndAReRunAddsOnlyTheMissingOnes() throws {
    let dir = try Self.workspace(heroFolder: "貂蝉")
    let first = try CLI.heroID(
      ["extract", "貂蝉/clip.mp4", "--out", "crops", "--json", "--slots", "1,3"], in: dir)
    #expect(first.status == 0, "\(first.stderr)")
    let o = try Self.json(first.stdoutLines.first ?? "")
    let kept = try #require(o["kept"] as? Int)
    #expect(kept > 5)
    let crops = try #require(o["crops"] as? [String])
    #expect(crops.count == 2 * kept)
    #expect(crops.prefix(2) == ["crops/貂蝉/貂蝉_000001-skill1.jpg", "crops/貂蝉/貂蝉_000001-skill3.jpg"])
    // The full set: slot 2's crops are added under the numbers of their frames, nothing else.
    let second = try CLI.heroID(
      ["extract", "貂蝉/clip.mp4", "--out", "crops", "--json", "--slots", "1,2,3"], in: dir)
    #expect(second.status == 0, "\(second.stderr)")
    let o2 = try Self.json(second.stdoutLines.first ?? "")
    #expect(o2["kept"] as? Int == kept)
    let added = try #require(o2["crops"] as? [String])
    #expect(added == (1...kept).map { String(format: "crops/貂蝉/貂蝉_%06d.jpg", $0) })
    let files = try FileManager.default.contentsOfDirectory(
      atPath: dir.appendingPathComponent("crops/貂蝉").path
    ).filter { $0.hasSuffix(".jpg") }
    #expect(files.count == 3 * kept)
    // index.csv: a row per crop; the three crops of a frame share its time.
    let rows = try String(
      contentsOf: dir.appendingPathComponent("crops/index.csv"), encoding: .utf8
    ).split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
    #expect(rows.count == 3 * kept)
    var times: [String: Set<String>] = [:]
    for r in rows {
      times[String(r[0].prefix(while: { $0 != "-" && $0 != "." })), default: []].insert(r[2])
    }
    #expect(times.count == kept && times.values.allSatisfy { $0.count == 1 })
    // The crops differ by slot: the buttons hold different icons.
    let one = try Data(contentsOf: dir.appendingPathComponent("crops/貂蝉/貂蝉_000001-skill1.jpg"))
    let two = try Data(contentsOf: dir.appendingPathComponent("crops/貂蝉/貂蝉_000001.jpg"))
    #expect(one != two)
    // A third run adds nothing.
    let third = try CLI.heroID(
      ["extract", "貂蝉/clip.mp4", "--out", "crops", "--json", "--slots", "1,2,3"], in: dir)
    #expect((try Self.json(third.stdoutLines.first ?? ""))["crops"] as? [String] == [])
    // Bad lists: exit 2, one line naming the problem.
    for (bad, words) in [
      ("4", "not a skill slot"), ("1,1", "given twice"), ("", "not a skill slot"),
    ] {
      let run = try CLI.heroID(["extract", "貂蝉/clip.mp4", "--out", "x", "--slots", bad], in: dir)
      #expect(run.status == 2, "\(bad): \(run.stderr)")
      #expect(run.stderr.contains(words), "\(bad): \(run.stderr)")
    }
  }

  @Test(.enabled(if: hasSample, "needs samples/train/貂蝉/貂蝉_1.mp4"))
  func manifestLabelsAndBadInputsDoNotStopTheBatch() throws {
    let dir = try Self.workspace(heroFolder: "videos")
    try Data("video,hero\nvideos/clip.mp4,孙悟空\nmissing.mp4,李白\n".utf8)
      .write(to: dir.appendingPathComponent("m.csv"))
    let run = try CLI.heroID(
      ["extract", "missing.mp4", "videos/clip.mp4", "--manifest", "m.csv", "--out", "c", "--json"],
      in: dir)
    #expect(run.status == 1)
    #expect(run.stdoutLines.count == 2)
    let bad = try Self.json(run.stdoutLines[0])
    #expect(Set(bad.keys) == ["video", "error"])
    #expect((bad["error"] as? String)?.hasPrefix("missing.mp4: ") == true)
    let good = try Self.json(run.stdoutLines[1])
    #expect(good["hero"] as? String == "孙悟空")
    let goodCrops = good["crops"] as? [String] ?? []
    #expect(goodCrops.first == "c/孙悟空/孙悟空_000001.jpg")
    #expect(run.stderrLines.contains { $0.hasPrefix("missing.mp4: ") })
  }

  @Test(.enabled(if: hasSample, "needs samples/train/貂蝉/貂蝉_1.mp4"))
  func countersContinueAfterFilesAlreadyThere() throws {
    let dir = try Self.workspace(heroFolder: "李白")
    let heroDir = dir.appendingPathComponent("crops/李白")
    try FileManager.default.createDirectory(at: heroDir, withIntermediateDirectories: true)
    try Data([0xFF]).write(to: heroDir.appendingPathComponent("李白_000041.jpg"))
    let run = try CLI.heroID(["extract", "李白/clip.mp4", "--out", "crops", "--json"], in: dir)
    #expect(run.status == 0, "\(run.stderr)")
    let line = try #require(run.stdoutLines.first)
    let crops = try Self.json(line)["crops"] as? [String] ?? []
    #expect(crops.first == "crops/李白/李白_000042.jpg")
  }

  /// Crops are numbered in the order the videos were given, however their decoding
  /// interleaves (two at a time by default): the longer training clip first, then a shorter
  /// test clip that finishes decoding first (numbered first before `InOrder`, every time
  /// measured). The same command gives the same names, so `train`'s split by name is the same.
  @Test(.enabled(if: hasSample, "needs samples/train/貂蝉/貂蝉_1.mp4"))
  func cropsAreNumberedInTheOrderTheVideosWereGiven() throws {
    let dir = try Self.workspace(heroFolder: "李白")
    let short = URL(fileURLWithPath: Self.sampleClip).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("test/clip_12.mp4")
    try FileManager.default.copyItem(
      atPath: short.path, toPath: dir.appendingPathComponent("李白/short.mp4").path)
    var indexes: [String] = []
    for out in ["c1", "c2"] {
      let run = try CLI.heroID(
        ["extract", "李白/clip.mp4", "李白/short.mp4", "--out", out, "--json", "--jobs", "2"],
        in: dir)
      #expect(run.status == 0, "\(run.stderr)")
      #expect(run.stdoutLines.count == 2)
      guard run.stdoutLines.count == 2 else { return }
      let long = try Self.json(run.stdoutLines[0])
      let later = try Self.json(run.stdoutLines[1])
      #expect(long["video"] as? String == "李白/clip.mp4")
      let longCrops = long["crops"] as? [String] ?? []
      let laterCrops = later["crops"] as? [String] ?? []
      #expect(!longCrops.isEmpty && !laterCrops.isEmpty)
      #expect(longCrops.first == "\(out)/李白/李白_000001.jpg")
      let next = String(format: "%@/李白/李白_%06d.jpg", out, longCrops.count + 1)
      #expect(laterCrops.first == next)
      indexes.append(
        try String(contentsOf: dir.appendingPathComponent("\(out)/index.csv"), encoding: .utf8))
    }
    #expect(
      indexes.count == 2 && indexes[0] == indexes[1], "the same command named the crops differently"
    )
  }

  @Test func aBadManifestIsAClearError() throws {
    let dir = try CLI.temporaryDirectory()
    try Data("video,hero\na.mp4,李白,extra\n".utf8).write(to: dir.appendingPathComponent("m.csv"))
    let run = try CLI.heroID(["extract", "a.mp4", "--manifest", "m.csv"], in: dir)
    #expect(run.status == 1)
    #expect(
      run.stderr.contains("m.csv:2: bad manifest row (expected 2 fields (video,hero), found 3)"))
  }

  @Test func aMissingVideoIsReportedAsMissingBeforeItsLabel() throws {
    // At the root there is no parent folder to take a label from; the missing file is the
    // problem to report.
    let path = "/hero-id-no-such-video-\(UUID().uuidString).mp4"
    let run = try CLI.heroID(["extract", path, "--out", "crops"], in: CLI.temporaryDirectory())
    #expect(run.status == 1)
    #expect(run.stderr.contains("\(path): no such file"), "\(run.stderr)")
    #expect(!run.stderr.contains("no hero label"))
  }

  @Test func aBadLayoutIsAClearError() throws {
    let dir = try CLI.temporaryDirectory()
    try Data(#"{"name": "x", "frame": {"width": 1280, "height": 720}}"#.utf8)
      .write(to: dir.appendingPathComponent("layout.json"))
    let run = try CLI.heroID(["extract", "a.mp4", "--layout", "layout.json"], in: dir)
    #expect(run.status == 1)
    #expect(run.stderr.contains("layout.json: invalid layout (missing field"), "\(run.stderr)")
  }

  @Test(arguments: [
    ["extract", "a.mp4", "--hero", "../x"],
    ["extract", "a.mp4", "--hero", ""],
    ["extract", "a.mp4", "--hero", "a", "--manifest", "m.csv"],
    ["extract", "a.mp4", "--size", "640x360"],
    ["extract", "a.mp4", "--frames", "--hero", "a"],
  ])
  func badUsageExitsTwo(arguments: [String]) throws {
    let run = try CLI.heroID(arguments)
    #expect(run.status == 2, "\(arguments): \(run.stderr)")
    #expect(!run.stderr.isEmpty)
  }
}
