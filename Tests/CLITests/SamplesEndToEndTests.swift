import Foundation
import HeroCore
import Testing

/// extract → train → identify on the committed samples (samples/train, samples/test with
/// manifest.csv): the issue's end-to-end check. Takes a few minutes on two cores (about 330
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
    // effects per hero than the key frames alone; all three skill slots.
    let extract = try CLI.heroID(
      ["extract"] + trainClips + [
        "--out", crops, "--all-frames", "--every", "0.5", "--slots", "1,2,3",
      ])
    #expect(extract.status == 0, "\(extract.stderr)")
    // The mission's skill-2 model (`--slots 2`: the crops without a slot in their name).
    let model = dir.appendingPathComponent("model").path
    let train = try CLI.heroID(["train", crops, "--model", model, "--json", "--slots", "2"])
    #expect(train.status == 0, "\(train.stderr)")
    let summary = try #require(
      try JSONSerialization.jsonObject(with: Data(train.stdout.utf8)) as? [String: Any])
    #expect((summary["validation_accuracy"] as? Double ?? 0) >= 0.85)
    #expect((summary["test_accuracy"] as? Double ?? 0) >= 0.85)
    #expect(summary["slots"] == nil)  // a skill-2 model: train --json as before
    let images = try #require(summary["images"] as? [String: Int])

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
    try sameAnswersWithoutReuse(clips: truth.map(\.clip), model: model, reusing: lines)
    try sameAnswersInFP32(clips: truth.map(\.clip), model: model, int8: lines)

    try identifiesFootage(model: model, dir: dir)

    // The three-slot model: every crop of the folder, three times the skill-2 set, one
    // final-layer class per (hero, slot).
    let model3 = dir.appendingPathComponent("model3").path
    let train3 = try CLI.heroID(["train", crops, "--model", model3, "--json"])
    #expect(train3.status == 0, "\(train3.stderr)")
    let summary3 = try #require(
      try JSONSerialization.jsonObject(with: Data(train3.stdout.utf8)) as? [String: Any])
    #expect(summary3["slots"] as? [String] == ["skill1", "skill2", "skill3"])
    let images3 = try #require(summary3["images"] as? [String: Int])
    #expect(images3.values.reduce(0, +) == 3 * images.values.reduce(0, +))
    #expect((summary3["test_accuracy"] as? Double ?? 0) >= 0.85)
    let footage = try identifiesFootageOnAllSlots(model: model3, standard: truth)
    try sameAnswersInFP32(clips: footage.clips, model: model3, int8: footage.lines)
    try identifiesTurnedAndMirroredUploads(model: model3, dir: dir)
    try identifiesSampleMakerReuploads(model: model3, dir: dir)
    try namesAHeroFromEitherSkin(crops: crops, dir: dir)
    try findsTheSegmentsOfACompilation(model: model3, dir: dir)
    try checksLabelsWithAModel(model: model3, dir: dir)
  }

  /// int8 inference (issue 28 item 3): `train` makes int8 models by default, and `identify`
  /// runs a model's own precision (`--json` says which); the clips identified again with
  /// `--precision fp32` (fp32 bottlenecks through a layer fitted to int8 ones) give the same
  /// answer (hero, or unknown) for every clip. (Confidences and probabilities may move by the
  /// int8 bottlenecks' error, docs/int8.md; the answers may not.)
  func sameAnswersInFP32(clips: [String], model: String, int8: [Substring]) throws {
    let fp32 = try CLI.heroID(
      ["identify"] + clips + ["--model", model, "--json", "--precision", "fp32"])
    #expect(fp32.status == 0, "\(fp32.stderr)")
    #expect(fp32.stdoutLines.count == int8.count)
    var changed: [String] = []
    for (a, b) in zip(int8, fp32.stdoutLines) {
      let x = try #require(try JSONSerialization.jsonObject(with: Data(a.utf8)) as? [String: Any])
      let y = try #require(try JSONSerialization.jsonObject(with: Data(b.utf8)) as? [String: Any])
      let clip = x["video"] as? String ?? "?"
      #expect(y["video"] as? String == clip)
      #expect(x["precision"] as? String == "int8" && y["precision"] as? String == "fp32")
      if x["hero"] as? String != y["hero"] as? String {
        changed.append(
          "\(clip): int8 \(x["hero"] as? String ?? "unknown"), fp32 \(y["hero"] as? String ?? "unknown")"
        )
      }
    }
    #expect(changed.isEmpty, "answers changed in fp32: \(changed)")
  }

  /// No work done twice (issue 28): the clips identified again with `HERO_ID_REUSE=off` (every
  /// crop through the network) give the same answers, confidences and per-frame heroes; each
  /// per-frame probability within 2e-4 (the JSON's 4 decimals, plus the batch-composition
  /// bound: a duplicate left out changes a distinct crop's batch neighbours, docs/training.md).
  /// Measured on the committed set: none of the test clips' key-frame crops is pixel for pixel
  /// another of its clip (the icons animate, and every key frame is encoded afresh), so here
  /// reuse must change nothing; HeroPipelineTests' frozen clip is the case with duplicates.
  func sameAnswersWithoutReuse(clips: [String], model: String, reusing: [Substring]) throws {
    let plain = try CLI.heroID(
      ["identify"] + clips + ["--model", model, "--json"], environment: ["HERO_ID_REUSE": "off"])
    #expect(plain.status == 0, "\(plain.stderr)")
    #expect(plain.stdoutLines.count == reusing.count)
    for (withReuse, without) in zip(reusing, plain.stdoutLines) {
      let a = try #require(
        try JSONSerialization.jsonObject(with: Data(withReuse.utf8)) as? [String: Any])
      let b = try #require(
        try JSONSerialization.jsonObject(with: Data(without.utf8)) as? [String: Any])
      let clip = a["video"] as? String ?? "?"
      #expect(a["hero"] as? String == b["hero"] as? String, "\(clip)")
      #expect(a["confidence"] as? Double == b["confidence"] as? Double, "\(clip)")
      #expect(a["reason"] as? String == b["reason"] as? String, "\(clip)")
      let ta = a["timeline"] as? [[String: Any]] ?? []
      let tb = b["timeline"] as? [[String: Any]] ?? []
      #expect(ta.count == tb.count, "\(clip)")
      for (x, y) in zip(ta, tb) {
        #expect(x["t"] as? Double == y["t"] as? Double, "\(clip)")
        #expect(x["screen"] as? String == y["screen"] as? String, "\(clip)")
        #expect(x["hero"] as? String == y["hero"] as? String, "\(clip) at \(x["t"] ?? "?")")
        let px = x["p"] as? Double
        let py = y["p"] as? Double
        #expect((px == nil) == (py == nil))
        if let px, let py { #expect(abs(px - py) <= 2e-4, "\(clip) at \(x["t"] ?? "?")") }
      }
      let ua = try #require(a["bottlenecks"] as? [String: Int], "\(clip)")
      let ub = try #require(b["bottlenecks"] as? [String: Int], "\(clip)")
      #expect(ua["crops"] == ub["crops"] && ub["reused"] == 0 && ub["computed"] == ub["crops"])
      #expect((ua["computed"] ?? 0) + (ua["reused"] ?? 0) == ua["crops"])
      // No duplicate in the clip: the same batches, so the very same floats and line.
      if ua["reused"] == 0 {
        var a0 = a
        var b0 = b
        a0["bottlenecks"] = nil
        b0["bottlenecks"] = nil
        #expect(NSDictionary(dictionary: a0).isEqual(to: b0), "\(clip): not the same object")
      }
    }
    #expect(plain.stderr.contains("identify: bottlenecks reused: 0 of "))
  }

  /// Labels that disagree (issue 27): a tree filed under 李白 holding a 李白 clip, a 韩信 clip
  /// (mislabelled) and a 李白 clip with 12 s of 韩信 appended (a compilation); `batch extract
  /// --check-with --drop-disagreeing` reports the 韩信 clip as disagreeing and the compilation
  /// as partly, keeps every crop of the first and the 韩信 part's of the second out, and leaves
  /// the clean clip whole; plain `extract --check-with` reports without dropping.
  func checksLabelsWithAModel(model: String, dir: URL) throws {
    let test = Self.samples.appendingPathComponent("test")
    let train = Self.samples.appendingPathComponent("train")
    let tree = dir.appendingPathComponent("check-tree/李白")
    try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      at: train.appendingPathComponent("李白/李白_2.mp4"), to: tree.appendingPathComponent("clean.mp4"))
    try FileManager.default.copyItem(
      at: train.appendingPathComponent("韩信/韩信_2.mp4"), to: tree.appendingPathComponent("wrong.mp4"))
    let mixed = tree.appendingPathComponent("mixed.mp4").path
    try BatchFixtures.ffmpeg([
      "-i", train.appendingPathComponent("李白/李白_1.mp4").path,
      "-i", test.appendingPathComponent("clip_04.mp4").path, "-filter_complex",
      "[0]scale=1280:720,setsar=1,fps=30[a];[1]scale=1280:720,setsar=1,fps=30[b];"
        + "[a][b]concat=n=2:v=1:a=0", "-c:v", "libx264", "-preset", "veryfast", "-g", "30", mixed,
    ])
    let lengthOfLiBai =
      try #require(
        try CLI.heroID([
          "identify", train.appendingPathComponent("李白/李白_1.mp4").path, "--model", model, "--json",
        ])
        .stdoutLines.first.flatMap {
          try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }?["timeline"] as? [[String: Any]]
      ).compactMap { $0["t"] as? Double }.max() ?? 0
    #expect(lengthOfLiBai > 20)

    let crops = dir.appendingPathComponent("check-crops").path
    let run = try CLI.heroID([
      "batch", "extract", dir.appendingPathComponent("check-tree").path, "--out", crops,
      "--check-with", model, "--drop-disagreeing", "--json",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    var checks: [String: [String: Any]] = [:]
    var kept: [String: [String]] = [:]
    for line in run.stdoutLines {
      let o = try #require(
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      guard let video = o["video"] as? String else { continue }
      let name = (video as NSString).lastPathComponent
      checks[name] = o["label_check"] as? [String: Any]
      kept[name] = o["crops"] as? [String] ?? []
    }
    #expect(checks["clean.mp4"]?["verdict"] as? String == "agrees", "\(run.stdout)")
    #expect(checks["wrong.mp4"]?["verdict"] as? String == "disagrees", "\(run.stdout)")
    #expect(checks["wrong.mp4"]?["named"] as? String == "韩信")
    #expect(checks["mixed.mp4"]?["verdict"] as? String == "partly", "\(run.stdout)")
    #expect(kept["clean.mp4"]?.isEmpty == false)
    #expect(kept["wrong.mp4"] == [])
    #expect((checks["wrong.mp4"]?["dropped"] as? Int ?? 0) > 10)
    let dropped = checks["mixed.mp4"]?["dropped"] as? Int ?? 0
    #expect(dropped >= 5 && (kept["mixed.mp4"]?.count ?? 0) >= 15, "\(run.stdout)")
    #expect(run.stderr.contains("wrong.mp4: warning: labelled 李白 but"))
    #expect(!run.stderr.contains("clean.mp4: warning"))
    // The mixed clip's crops kept are its 李白 part's (index.csv: pts of each crop).
    let index = try String(contentsOfFile: crops + "/index.csv", encoding: .utf8)
    let mixedTimes = index.split(separator: "\n").filter { $0.contains("mixed.mp4") }.compactMap {
      Double($0.split(separator: ",")[2])
    }
    #expect(mixedTimes.count == kept["mixed.mp4"]?.count)
    #expect(mixedTimes.allSatisfy { $0 <= lengthOfLiBai + 1 }, "\(mixedTimes)")

    // Plain extract: reported, nothing dropped without the flag.
    let single = try CLI.heroID([
      "extract", tree.appendingPathComponent("wrong.mp4").path, "--hero", "李白", "--out",
      dir.appendingPathComponent("check-single").path, "--check-with", model, "--json",
    ])
    #expect(single.status == 0, "\(single.stderr)")
    let o = try #require(
      try JSONSerialization.jsonObject(with: Data(single.stdout.utf8)) as? [String: Any])
    #expect((o["label_check"] as? [String: Any])?["verdict"] as? String == "disagrees")
    #expect((o["crops"] as? [Any])?.isEmpty == false)
    #expect(single.stderr.contains("warning: labelled 李白 but"))
    let refused = try CLI.heroID(["extract", mixed, "--drop-disagreeing"])
    #expect(refused.status == 2 && refused.stderr.contains("--check-with"))
  }

  /// A compilation (issue 27): three committed test clips of three heroes joined, each with its
  /// loading screen between (the cut card): three segments in order, each named, the file's
  /// hero the longest one's; the table lists them. The single-hero clips: one segment each.
  func findsTheSegmentsOfACompilation(model: String, dir: URL) throws {
    let test = Self.samples.appendingPathComponent("test")
    let compilation = dir.appendingPathComponent("compilation.mp4").path
    let parts = ["clip_08.mp4", "clip_04.mp4", "clip_07.mp4"]  // 李白 14 s, 韩信 12 s, 孙悟空 12 s
    try BatchFixtures.ffmpeg(
      parts.flatMap { ["-i", test.appendingPathComponent($0).path] } + [
        "-filter_complex",
        "[0]scale=1280:720,setsar=1,fps=30[a];[1]scale=1280:720,setsar=1,fps=30[b];"
          + "[2]scale=1280:720,setsar=1,fps=30[c];[a][b][c]concat=n=3:v=1:a=0",
        "-c:v", "libx264", "-preset", "veryfast", "-g", "30", compilation,
      ])
    let run = try CLI.heroID(["identify", compilation, "--model", model, "--json"])
    #expect(run.status == 0, "\(run.stderr)")
    let v = try #require(
      try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    let segments = try #require(v["segments"] as? [[String: Any]], "\(run.stdout)")
    #expect(segments.map { $0["hero"] as? String } == ["李白", "韩信", "孙悟空"], "\(segments)")
    // Each segment inside its part: 李白 0–14 s, 韩信 14–26 s, 孙悟空 26–38 s.
    let spans: [(Double, Double)] = [(0, 14), (14, 26), (26, 38)]
    for (g, span) in zip(segments, spans) {
      let (start, end) = (g["start"] as? Double ?? -1, g["end"] as? Double ?? -1)
      #expect(start >= span.0 && end <= span.1 && start <= end, "\(g) in \(span)")
    }
    let longest = segments.max { ($0["frames"] as? Int ?? 0) < ($1["frames"] as? Int ?? 0) }
    #expect(v["hero"] as? String == longest?["hero"] as? String)
    let table = try CLI.heroID(["identify", compilation, "--model", model])
    #expect(table.stdout.contains("韩信") && table.stdout.contains("gameplay frames"))
    // The committed single-hero clips: never more than one segment.
    let clips = try FileManager.default.contentsOfDirectory(atPath: test.path)
      .filter { $0.hasSuffix(".mp4") }.sorted().map { test.appendingPathComponent($0).path }
    let all = try CLI.heroID(["identify"] + clips + ["--model", model, "--json"])
    for line in all.stdoutLines {
      let o = try #require(
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      #expect(((o["segments"] as? [Any])?.count ?? 0) <= 1, "\(line)")
    }
  }

  /// Skins (issue 26): a hero whose training videos show two icon sets (two clips of 李白 in
  /// skin 1 added to the samples) is named from either; the crops' bottlenecks already cached
  /// in the folder are reused, so only the new crops are encoded.
  func namesAHeroFromEitherSkin(crops: String, dir: URL) throws {
    let skinned = dir.appendingPathComponent("crops-skins").path
    try FileManager.default.copyItem(atPath: crops, toPath: skinned)
    var clips: [String] = []
    for (seed, name) in [(7001, "train-a"), (7002, "train-b"), (7003, "test")] {
      let path = dir.appendingPathComponent("李白-skin1-\(name).mp4").path
      let made = try CLI.sampleMaker([
        "clip", "--hero", "李白", "--skin", "1", "--seed", "\(seed)", "--duration", "12",
        "--out", path,
      ])
      #expect(made.status == 0, "\(made.stderr)")
      clips.append(path)
    }
    let extract = try CLI.heroID(
      [
        "extract", clips[0], clips[1], "--hero", "李白", "--out", skinned, "--all-frames",
        "--every", "0.5", "--slots", "1,2,3",
      ])
    #expect(extract.status == 0, "\(extract.stderr)")
    let model = dir.appendingPathComponent("model-skins").path
    let train = try CLI.heroID(["train", skinned, "--model", model, "--json"])
    #expect(train.status == 0, "\(train.stderr)")
    // Skin 1 (a clip never trained on) and skin 0 (the committed test clips of 李白).
    let test = Self.samples.appendingPathComponent("test")
    let run = try CLI.heroID(
      [
        "identify", clips[2], test.appendingPathComponent("clip_08.mp4").path,
        test.appendingPathComponent("clip_14.mp4").path, "--model", model, "--json",
      ])
    #expect(run.status == 0, "\(run.stderr)")
    for line in run.stdoutLines {
      let v = try #require(
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      #expect(v["hero"] as? String == "李白", "\(line)")
    }
  }

  /// `sample-maker`'s re-upload variations (issue 26), each with its truth in the sidecar, read
  /// with no flag: a mirrored copy, a picture stored turned with a display matrix, a vertical
  /// upload with a blurred fill, danmaku over the buttons, large burned-in subtitles and 360p
  /// at a low bitrate are named;
  /// a zoomed copy and a colour filter are named or "unknown", never another hero.
  func identifiesSampleMakerReuploads(model: String, dir: URL) throws {
    let variations: [(name: String, arguments: [String], sure: Bool)] = [
      ("mirror", ["--mirror"], true), ("turned", ["--rotate", "90"], true),
      ("vertical", ["--vertical"], true), ("danmaku", ["--danmaku", "3"], true),
      ("subtitles", ["--subtitles"], true),
      ("360p", ["--size", "640x360", "--bitrate", "250"], true),
      ("zoom", ["--zoom", "1.05"], false),
      ("colour", ["--hue=10", "--saturation", "1.15", "--contrast", "1.1"], false),
    ]
    var clips: [String] = []
    for v in variations {
      let out = dir.appendingPathComponent("reupload-\(v.name).mp4").path
      let r = try CLI.sampleMaker(
        ["clip", "--hero", "貂蝉", "--seed", "7002", "--duration", "10", "--out", out] + v.arguments)
      #expect(r.status == 0, "\(v.name): \(r.stderr)")
      clips.append(out)
      // The truth in the sidecar: what was done, and the sizes shown and stored.
      let sidecar = try #require(
        try JSONSerialization.jsonObject(
          with: Data(contentsOf: URL(fileURLWithPath: String(out.dropLast(4)) + ".json")))
          as? [String: Any])
      let reupload = sidecar["reupload"] as? [String: Any]
      switch v.name {
      case "360p": #expect(reupload == nil, "\(sidecar)")
      case "turned":
        #expect(reupload?["rotate"] as? Int == 90)
        #expect(reupload?["stored"] as? [Int] == [720, 1280])
        #expect(reupload?["shown"] as? [Int] == [1280, 720])
      case "vertical": #expect(reupload?["shown"] as? [Int] == [720, 1280])
      case "mirror": #expect(reupload?["mirror"] as? Bool == true)
      case "danmaku": #expect(reupload?["danmaku"] as? Int == 3)
      case "subtitles": #expect(reupload?["subtitles"] as? Bool == true)
      default: #expect(reupload != nil, "\(v.name): \(sidecar)")
      }
    }
    let run = try CLI.heroID(["identify"] + clips + ["--model", model, "--json"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdoutLines.count == variations.count)
    for (line, v) in zip(run.stdoutLines, variations) {
      let answer = try #require(
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      let hero = answer["hero"] as? String
      if v.sure {
        #expect(hero == "貂蝉", "\(v.name): \(line)")
      } else {
        #expect(hero == nil || hero == "貂蝉", "\(v.name): \(line)")
      }
      let geometry = answer["geometry"] as? [String: Any]
      #expect((geometry?["mirrored"] as? Bool) == (v.name == "mirror"), "\(v.name): \(line)")
      #expect((geometry?["rotation"] as? Int) == (v.name == "turned" ? 90 : 0), "\(v.name)")
      if v.name == "vertical" {
        // The game picture found inside the 720x1280 frame: the full width, a band in the middle.
        let box = try #require(geometry?["picture"] as? [Int], "\(line)")
        #expect(box.count == 4 && box[1] > 300 && box[3] < 500 && box[2] >= 700, "\(box)")
      }
    }
  }

  /// Re-uploads as scraped (issue 26), no flag: a phone recording stored portrait with a
  /// rotation in its container (the frames turned, a display matrix saying turn them back) and
  /// mirrored copies (flipped left to right, the HUD at the bottom left) are named as their
  /// originals are; the geometry says what was undone.
  func identifiesTurnedAndMirroredUploads(model: String, dir: URL) throws {
    let test = Self.samples.appendingPathComponent("test")
    let footage = Self.samples.appendingPathComponent("footage")
    let turned = dir.appendingPathComponent("turned.mp4").path
    let stored = dir.appendingPathComponent("stored.mp4").path
    try BatchFixtures.ffmpeg([
      "-i", test.appendingPathComponent("clip_03.mp4").path, "-vf", "transpose=cclock",
      "-c:v", "libx264", "-preset", "veryfast", "-g", "30", stored,
    ])
    try BatchFixtures.ffmpeg(["-i", stored, "-c", "copy", "-metadata:s:v:0", "rotate=270", turned])
    let mirrored = dir.appendingPathComponent("mirrored.mp4").path
    try BatchFixtures.ffmpeg([
      "-i", test.appendingPathComponent("clip_08.mp4").path, "-vf", "hflip", "-c:v", "libx264",
      "-preset", "veryfast", "-g", "30", mirrored,
    ])
    let mirroredWide = dir.appendingPathComponent("mirrored-wide.mp4").path
    try BatchFixtures.ffmpeg([
      "-i", footage.appendingPathComponent("clip_02.mp4").path, "-vf", "hflip", "-c:v",
      "libx264", "-preset", "veryfast", "-g", "30", mirroredWide,
    ])
    // Tolerated as they are: zoomed 10 % with the hue turned, 360p at a low bitrate, a warm
    // tint with less saturation.
    var tolerated: [String] = []
    for (name, source, filter, rate) in [
      ("zoom-hue.mp4", "clip_10.mp4", "crop=iw/1.1:ih/1.1,hue=h=-15", "1500k"),
      ("360p.mp4", "clip_05.mp4", "scale=640:360", "250k"),
      ("warm.mp4", "clip_07.mp4", "colorbalance=rs=.15:bs=-.15,eq=saturation=0.7", "1500k"),
    ] {
      let out = dir.appendingPathComponent(name).path
      try BatchFixtures.ffmpeg([
        "-i", test.appendingPathComponent(source).path, "-vf", filter, "-c:v", "libx264",
        "-b:v", rate, "-g", "30", out,
      ])
      tolerated.append(out)
    }
    // A vertical 9:16 upload: the game in the middle, above and below it a blurred, darkened
    // copy of the same video, a title band on top.
    let vertical = dir.appendingPathComponent("vertical.mp4").path
    try BatchFixtures.ffmpeg([
      "-i", test.appendingPathComponent("clip_13.mp4").path, "-filter_complex",
      "[0]split[a][b];[b]scale=-2:1280,crop=720:1280,boxblur=20:2,eq=brightness=-0.2[bg];"
        + "[a]scale=720:-2[fg];[bg][fg]overlay=0:(H-h)/2+60,"
        + "drawbox=x=60:y=200:w=600:h=70:color=white:t=fill,"
        + "drawbox=x=100:y=215:w=80:h=40:color=black:t=fill,"
        + "drawbox=x=260:y=215:w=120:h=40:color=black:t=fill,"
        + "drawbox=x=460:y=215:w=150:h=40:color=black:t=fill",
      "-c:v", "libx264", "-preset", "veryfast", "-g", "30", vertical,
    ])
    tolerated.append(vertical)
    // The truth, from the manifests: clip_03 妲己, clip_08 李白, footage clip_02 貂蝉,
    // clip_10 貂蝉, clip_05 后羿, clip_07 孙悟空, clip_13 貂蝉.
    let expected: [(clip: String, hero: String, rotation: Int, mirrored: Bool)] = [
      (turned, "妲己", 90, false), (mirrored, "李白", 0, true), (mirroredWide, "貂蝉", 0, true),
      (tolerated[0], "貂蝉", 0, false), (tolerated[1], "后羿", 0, false),
      (tolerated[2], "孙悟空", 0, false), (tolerated[3], "貂蝉", 0, false),
    ]
    let run = try CLI.heroID(["identify"] + expected.map(\.clip) + ["--model", model, "--json"])
    #expect(run.status == 0, "\(run.stderr)")
    for (line, want) in zip(run.stdoutLines, expected) {
      let v = try #require(
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      let geometry = try #require(v["geometry"] as? [String: Any], "\(line)")
      #expect(geometry["rotation"] as? Int == want.rotation, "\(want.clip): \(geometry)")
      #expect(geometry["mirrored"] as? Bool == want.mirrored, "\(want.clip): \(geometry)")
      #expect(v["hero"] as? String == want.hero, "\(want.clip): \(line)")
      if want.clip == vertical {
        // The game picture found inside the fill: 720 wide, 16:9, below the middle.
        let picture = geometry["picture"] as? [Int] ?? []
        #expect(picture.count == 4 && picture[2] == 720, "\(geometry)")
        #expect(picture.count == 4 && abs(picture[3] - 405) <= 6, "\(geometry)")
        #expect(geometry["in_layout"] as? Bool == true, "\(geometry)")
      }
    }
    // The original clips read the right way round: not mirrored, not turned.
    let plain = try CLI.heroID(
      ["locate", test.appendingPathComponent("clip_08.mp4").path, "--json"])
    let o = try #require(
      try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])
    #expect(o["mirrored"] as? Bool == false && o["rotation"] as? Int == 0, "\(plain.stdout)")
  }

  /// The three-slot model reads all three buttons of every gameplay frame: the swapped-slot
  /// footage clips are named as the others are, and no clip gets a wrong name.
  @discardableResult
  func identifiesFootageOnAllSlots(model: String, standard: [(clip: String, hero: String?)])
    throws -> (clips: [String], lines: [Substring])
  {
    let folder = Self.samples.appendingPathComponent("footage")
    var truth: [(clip: String, hero: String?)] = []
    let manifest = try String(
      contentsOf: folder.appendingPathComponent("manifest.csv"), encoding: .utf8)
    for line in manifest.split(separator: "\n").dropFirst() {
      let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      if f.count == 2 {
        truth.append((folder.appendingPathComponent(f[0]).path, f[1].isEmpty ? nil : f[1]))
      }
    }
    let run = try CLI.heroID(
      ["identify"] + truth.map(\.clip) + ["--model", model, "--json"])
    #expect(run.status == 0, "\(run.stderr)")
    var named = 0
    var wrong = 0
    for (line, expected) in zip(run.stdoutLines, truth) {
      let v = try #require(
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      let hero = v["hero"] as? String
      if hero != nil, hero == expected.hero { named += 1 }
      if hero != nil, hero != expected.hero { wrong += 1 }
      if expected.hero == nil { #expect(hero == nil) }
      // The swapped-slot clips (09: slots 3,1,2; 10: slots 2,3,1) are what the three slots
      // are for.
      if ["clip_09.mp4", "clip_10.mp4"].contains(
        URL(fileURLWithPath: expected.clip).lastPathComponent)
      {
        #expect(hero == expected.hero, "\(expected.clip): \(hero ?? "unknown")")
      }
    }
    // Measured: 9 of 9 known clips named, both swapped ones included (a skill-2 model names
    // one or neither), the absent hero "unknown", no wrong name. One clip of slack each way.
    #expect(named >= 8, "\(named) of 9 footage clips named with all three slots")
    #expect(wrong <= 1, "\(wrong) footage clips named wrong with all three slots")
    // The standard clips: measured 21 of 21 (16 known heroes named, 5 clips "unknown"), as the
    // skill-2 model.
    let std = try CLI.heroID(
      ["identify"] + standard.map(\.clip) + ["--model", model, "--json"])
    #expect(std.status == 0, "\(std.stderr)")
    var right = 0
    for (line, expected) in zip(std.stdoutLines, standard) {
      let v = try #require(
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      if v["hero"] as? String == expected.hero { right += 1 }
    }
    #expect(right >= 20, "\(right) of 21 standard clips right with all three slots")
    return (truth.map(\.clip), run.stdoutLines)
  }

  /// The committed footage clips (samples/footage: other phone shapes, bars, a stream layout,
  /// resized and moved buttons, swapped skills) with the same skill-2 model: with
  /// `--fixed-layout` no clip has a gameplay frame; with no flag each clip's HUD is found at
  /// the sidecar's scale and the clips whose skill-2 slot holds the hero's skill 2 are named.
  func identifiesFootage(model: String, dir: URL) throws {
    let folder = Self.samples.appendingPathComponent("footage")
    let clips = try FileManager.default.contentsOfDirectory(atPath: folder.path)
      .filter { $0.hasSuffix(".mp4") }.sorted().map { folder.appendingPathComponent($0).path }
    #expect(clips.count == 10)
    let plain = try CLI.heroID(
      ["identify"] + clips + ["--model", model, "--json", "--fixed-layout"])
    #expect(plain.status == 0, "\(plain.stderr)")
    for line in plain.stdoutLines {
      let v = try #require(
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      #expect(v["gameplay_frames"] as? Int == 0, "\(line)")
      #expect(v["geometry"] == nil)
    }
    let debug = dir.appendingPathComponent("hud").path
    let run = try CLI.heroID(
      ["identify"] + clips + ["--model", model, "--json", "--debug-hud", debug])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdoutLines.count == clips.count)
    // The truth: footage/manifest.csv, an empty hero for one absent from training.
    var known: [String: String] = [:]
    let manifest = try String(
      contentsOf: folder.appendingPathComponent("manifest.csv"), encoding: .utf8)
    for line in manifest.split(separator: "\n").dropFirst() {
      let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      if f.count == 2, !f[1].isEmpty { known[f[0]] = f[1] }
    }
    #expect(known.count == 9)
    var named = 0
    var eligible = 0
    for (line, clip) in zip(run.stdoutLines, clips) {
      let v = try #require(
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      let sidecar = try #require(
        try JSONSerialization.jsonObject(
          with: Data(contentsOf: URL(fileURLWithPath: String(clip.dropLast(4)) + ".json")))
          as? [String: Any])
      let truth = known[URL(fileURLWithPath: clip).lastPathComponent]
      let footage = try #require(sidecar["footage"] as? [String: Any])
      let geometry = try #require(v["geometry"] as? [String: Any], "\(line)")
      let hud = try #require(geometry["hud"] as? [String: Any], "\(clip): no HUD found")
      let scale = try #require(hud["scale"] as? Double)
      #expect(
        abs(scale - (footage["hud_scale"] as? Double ?? 0)) <= 0.05, "\(clip): scale \(scale)")
      #expect((geometry["frame"] as? [Int])?.last == 720)
      #expect(FileManager.default.fileExists(atPath: v["debug_hud"] as? String ?? "/nonexistent"))
      let hero = v["hero"] as? String
      // Slot 2 shows the hero's skill 2 unless the slots are swapped so that it does not.
      let slots = footage["slots"] as? [Int] ?? [1, 2, 3]
      if let truth, slots[1] == 2 {
        eligible += 1
        if hero == truth { named += 1 }
      }
      if truth == nil {
        #expect(hero == nil, "\(clip): a hero absent from training named \(hero ?? "")")
      }
      // Never another known hero's name where slot 2 shows the hero's skill 2. Where the
      // skills are swapped, a skill-2 model sees another icon there, which may look like
      // another hero's skill 2 (docs/footage.md): clip_10 was answered "unknown" in most runs
      // and 妲己 in one, as the model trained here varies a little from run to run.
      if let hero, let truth, slots[1] == 2 {
        #expect(hero == truth, "\(clip): \(hero) for \(truth)")
      }
    }
    // Measured: 7 of 7 such clips named (and swapped clip_09 too).
    #expect(eligible == 7)
    #expect(named >= 6, "\(named) of \(eligible) footage clips named")
  }
}
