import Classifier
import Foundation
import HeroCore
import InceptionKernels
import TestSupport
import Testing

@Suite("Model directory")
struct ModelTests {
  /// A final layer trained briefly (60 steps) on synthetic clusters, one per class, and its data.
  /// Models hold Inception's 2048-float bottlenecks (the reader refuses any other size).
  static func trainedLayer(classes: Int, perClass: Int, seed: UInt64) -> (
    Trainer, LabelledBottlenecks
  ) {
    let all = SyntheticBottlenecks.clusters(
      classes: classes, perClass: perClass, inputSize: InceptionConstants.bottleneckSize,
      spread: 0.2, seed: seed)
    return (
      Trainer.train(classCount: classes, training: all, validation: all, options: briefTraining),
      all
    )
  }

  /// 60 steps of batch 16.
  static var briefTraining: TrainingOptions {
    var options = TrainingOptions()
    options.steps = 60
    options.batchSize = 16
    return options
  }

  static func trainedModel(baseSHA1: String = String(repeating: "c", count: 40)) -> (
    HeroModel, LabelledBottlenecks
  ) {
    let (trainer, all) = Self.trainedLayer(classes: 3, perClass: 30, seed: 11)
    var std = all
    trainer.standardize(&std)
    let shapeChoice = Prototypes.select(training: all, classCount: 3, perClass: 8)
    let prototypes = Prototypes(
      training: all, classCount: 3, mean: shapeChoice.mean, rows: shapeChoice.rows)
    let looks = lookSet(all.labels)
    var colours = LabelledBottlenecks(inputSize: ColourSignature.size)
    var patterns = LabelledBottlenecks(inputSize: IconPattern.size)
    for (look, y) in zip(looks, all.labels) {
      colours.append(look.colour, label: y)
      patterns.append(IconPattern.template(look.thumbnail), label: y)
    }
    let colourChoice = Prototypes.select(training: colours, classCount: 3, centred: false)
    let colourPrototypes = Prototypes(
      training: colours, classCount: 3, mean: colourChoice.mean, rows: colourChoice.rows)
    let patternChoice = Prototypes.select(
      training: patterns, classCount: 3, perClass: 8, centred: false)
    let patternPrototypes = Prototypes(
      training: patterns, classCount: 3, mean: patternChoice.mean, rows: patternChoice.rows)
    let eval = trainer.evaluate(standardized: std)
    // Two videos per class (alternate rows); every fifth row held out.
    let videos = all.labels.indices.map { all.labels[$0] * 2 + $0 % 2 }
    let thresholds = UnknownThresholds.choose(
      UnknownThresholds.Calibration(
        classCount: 3, labels: all.labels, videos: videos,
        heldOut: all.labels.indices.map { $0 % 5 == 0 }, probabilities: eval.probabilities,
        shape: .init(
          similarities: prototypes.allSimilarities(all.features), labels: prototypes.labels,
          videos: shapeChoice.rows.map { videos[$0] }),
        colour: .init(
          similarities: colourPrototypes.allSimilarities(colours.features),
          labels: colourPrototypes.labels, videos: colourChoice.rows.map { videos[$0] }),
        pattern: .init(
          similarities: IconPattern.similarities(
            looks.flatMap(\.thumbnail), to: patternPrototypes),
          labels: patternPrototypes.labels, videos: patternChoice.rows.map { videos[$0] })))
    let summary = TrainingSummary(
      options: Self.briefTraining, images: ["training": 90], validationAccuracy: eval.accuracy,
      testAccuracy: nil, distortions: ImageDistortion(), trainedAt: "2026-01-01T00:00:00Z",
      seconds: 1)
    let model = HeroModel(
      labels: ["李白", "貂蝉", "Hou Yi"], layer: trainer.layer, prototypes: prototypes,
      colourPrototypes: colourPrototypes, patternPrototypes: patternPrototypes,
      thresholds: thresholds,
      info: ModelInfo(baseNetworkSHA1: baseSHA1, layout: .default, training: summary))
    return (model, all)
  }

  /// Looks of red, green and blue button crops, one per label, each slightly turned and a
  /// third of them dimmed with a number over the centre (on cooldown).
  static func lookSet(_ labels: [Int]) -> [CropLook] {
    labels.enumerated().map { row, y in
      CropLook.of(
        RGBImageFixture.icon(
          y, brightness: row % 3 == 0 ? 0.42 : 1, digit: row % 3 == 0,
          twist: 0.04 * Double(row % 5)))
    }
  }

  @Test("a model round-trips through its files and scores the same")
  func roundTrip() throws {
    let folder = TemporaryFolder()
    let (model, data) = Self.trainedModel()
    try model.save(to: folder.path)
    for name in ["model.json", "weights.f32", "labels.txt"] {
      #expect(FileManager.default.fileExists(atPath: folder.sub(name)))
    }
    let loaded = try HeroModel.load(from: folder.path, baseNetworkSHA1: model.info.baseNetworkSHA1)
    #expect(loaded.labels == model.labels)
    #expect(loaded.layer == model.layer)
    #expect(loaded.prototypes == model.prototypes)
    #expect(loaded.colourPrototypes == model.colourPrototypes)
    #expect(loaded.patternPrototypes == model.patternPrototypes)
    #expect(loaded.prototypes.labels.count == 24)
    #expect(loaded.thresholds == model.thresholds)
    #expect(loaded.info == model.info)
    #expect(loaded.scores(data.features).probabilities == model.scores(data.features).probabilities)
    let labels = try String(contentsOfFile: folder.sub("labels.txt"), encoding: .utf8)
    #expect(labels == "李白\n貂蝉\nHou Yi\n")
  }

  @Test("slots and left-out heroes are recorded; a model.json without them reads as before")
  func slotsAndLeftOut() throws {
    let (model, _) = Self.trainedModel()
    #expect(model.info.slots == nil && model.info.cropSlots == ["skill2"])
    var info = model.info
    info.slots = ["skill1", "skill2", "skill3"]
    info.training.leftOut = ["王昭君": 1]
    let data = try JSONEncoder().encode(info)
    let back = try JSONDecoder().decode(ModelInfo.self, from: data)
    #expect(back == info && back.cropSlots == ["skill1", "skill2", "skill3"])
    let text = String(decoding: data, as: UTF8.self)
    #expect(text.contains("\"left_out\"") && text.contains("\"slots\""))
    // An old model.json has neither field.
    let old = try JSONEncoder().encode(model.info)
    let oldText = String(decoding: old, as: UTF8.self)
    #expect(!oldText.contains("slots") && !oldText.contains("left_out"))
    #expect(try JSONDecoder().decode(ModelInfo.self, from: old) == model.info)
  }

  @Test(
    "icon classes: per-hero probabilities are the icons' sums; they round-trip; bad counts are refused"
  )
  func iconClasses() throws {
    #expect(HeroModel.summing([0.1, 0.2, 0.3, 0.05, 0.05, 0.3], icons: 3) == [0.6, 0.4])
    #expect(HeroModel.summing([0.7, 0.3], icons: 1) == [0.7, 0.3])
    // A layer of 3 heroes x 3 icons: classes 3h..3h+2 are hero h's (clusters 0..8 of the data).
    let (base, _) = Self.trainedModel()
    let (trainer, all) = Self.trainedLayer(classes: 9, perClass: 12, seed: 5)
    var info = base.info
    info.slots = ["skill1", "skill2", "skill3"]
    let model = HeroModel(
      labels: base.labels, layer: trainer.layer, prototypes: base.prototypes,
      colourPrototypes: base.colourPrototypes, patternPrototypes: base.patternPrototypes,
      thresholds: base.thresholds, info: info, iconsPerClass: 3)
    // Each cluster is named as its hero; the hero-level evaluation agrees.
    var heroes = all
    heroes.labels = all.labels.map { $0 / 3 }
    var std = heroes
    trainer.standardize(&std)
    let eval = trainer.evaluate(standardized: std, iconsPerClass: 3)
    #expect(eval.accuracy > 0.95)
    let p = model.scores(all.features).probabilities
    #expect(p.count == all.count * 3)
    for r in 0..<all.count {
      let row = Array(p[(3 * r)..<(3 * r + 3)])
      // Three quotients of expf (1 ulp) by a sum of three, then a sum of three.
      #expect(Double(abs(row.reduce(0, +) - 1)) <= RoundingBound.gamma(2 * 3 + 4))
      #expect(row.indices.max { row[$0] < row[$1] } == all.labels[r] / 3)
    }
    let folder = TemporaryFolder()
    try model.save(to: folder.path)
    let json = try String(contentsOfFile: folder.sub("model.json"), encoding: .utf8)
    #expect(json.contains("\"icons_per_class\" : 3"))
    let loaded = try HeroModel.load(from: folder.path)
    #expect(loaded.iconsPerClass == 3 && loaded.layer == model.layer)
    #expect(loaded.scores(all.features).probabilities == p)
    // A one-icon model says nothing about icons.
    let plain = TemporaryFolder()
    try base.save(to: plain.path)
    #expect(
      !(try String(contentsOfFile: plain.sub("model.json"), encoding: .utf8))
        .contains("icons_per_class"))
  }

  @Test("a different base network is refused with a message naming both")
  func baseMismatch() throws {
    let folder = TemporaryFolder()
    try Self.trainedModel().0.save(to: folder.path)
    let other = String(repeating: "d", count: 40)
    #expect(throws: ModelError.self) {
      try HeroModel.load(from: folder.path, baseNetworkSHA1: other)
    }
    do {
      _ = try HeroModel.load(from: folder.path, baseNetworkSHA1: other)
    } catch {
      let text = "\(error)"
      #expect(text.contains("model.json") && text.contains(other))
      #expect(text.contains(String(repeating: "c", count: 40)))
    }
  }

  @Test("missing, damaged or mixed files are refused")
  func damaged() throws {
    let folder = TemporaryFolder()
    #expect(throws: ModelError.missing(path: folder.sub("model.json"))) {
      try HeroModel.load(from: folder.path)
    }
    try Self.trainedModel().0.save(to: folder.path)
    var weights = try Data(contentsOf: URL(fileURLWithPath: folder.sub("weights.f32")))
    weights[17] ^= 1
    try weights.write(to: URL(fileURLWithPath: folder.sub("weights.f32")))
    #expect(throws: ModelError.self) { try HeroModel.load(from: folder.path) }
    try Data("{}".utf8).write(to: URL(fileURLWithPath: folder.sub("model.json")))
    #expect(throws: ModelError.self) { try HeroModel.load(from: folder.path) }
  }

  @Test("a precision other than fp32 or int8 is refused naming the field")
  func unknownPrecision() throws {
    let folder = TemporaryFolder()
    var (model, _) = Self.trainedModel()
    model.info.precision = .int8
    try model.save(to: folder.path)
    #expect(try HeroModel.load(from: folder.path).info.trainedPrecision == .int8)
    let url = URL(fileURLWithPath: folder.sub("model.json"))
    let text = try String(contentsOf: url, encoding: .utf8)
    for value in ["\"int4\"", "7"] {
      try Data(
        text.replacingOccurrences(of: "\"precision\" : \"int8\"", with: "\"precision\" : \(value)")
          .utf8
      ).write(to: url)
      do {
        _ = try HeroModel.load(from: folder.path)
        Issue.record("precision \(value) was accepted")
      } catch {
        #expect("\(error)".contains("trained_with.precision"), "\(error)")
      }
    }
  }

  @Test("a model of an older format version is refused with a message to train again")
  func oldVersion() throws {
    let folder = TemporaryFolder()
    try Self.trainedModel().0.save(to: folder.path)
    let url = URL(fileURLWithPath: folder.sub("model.json"))
    let text = try String(contentsOf: url, encoding: .utf8)
    #expect(text.contains("\"version\" : 3"))
    try Data(text.replacingOccurrences(of: "\"version\" : 3", with: "\"version\" : 2").utf8)
      .write(to: url)
    #expect(
      throws: ModelError.invalid(
        path: url.path, reason: "format version 2; this build reads 3, train the model again")
    ) { try HeroModel.load(from: folder.path) }
  }

  @Test("clips of known frames pass the threshold; a stranger's clip is unknown")
  func thresholds() {
    let (model, data) = Self.trainedModel()
    let n = InceptionConstants.bottleneckSize
    let t = model.thresholds
    // Pattern and colour similarities are each at most 1, shape counts half.
    #expect(t.minFamiliarity > 0 && t.minFamiliarity < 2.5)
    #expect(t.unknownRejectRate >= 0.9 && t.knownRejectRate <= 0.05)
    let looks = Self.lookSet(data.labels)
    // Clips of three consecutive frames of one hero.
    var clips = 0
    var named = 0
    for y in 0..<3 {
      let rows = data.labels.indices.filter { data.labels[$0] == y }
      for start in stride(from: 0, to: rows.count - 2, by: 3) {
        let pick = Array(rows[start..<(start + 3)])
        let observations = model.observe(
          bottlenecks: pick.flatMap { data.features[($0 * n)..<(($0 + 1) * n)] },
          looks: pick.map { looks[$0] }, ptsSeconds: [0, 1, 2])
        let v = ClipVerdict(observations: observations, labels: model.labels, thresholds: t)
        clips += 1
        if v.hero == model.labels[y] { named += 1 }
      }
    }
    #expect(clips == 30)
    #expect(Double(named) / Double(clips) >= 0.95)
    // Vectors from a cluster the model never saw, in a colour none of the classes has.
    let stranger = SyntheticBottlenecks.clusters(
      classes: 1, perClass: 5, inputSize: n, spread: 0.2, seed: 99)
    let yellow = CropLook.of(RGBImageFixture.icon(3))
    let observations = model.observe(
      bottlenecks: stranger.features, looks: Array(repeating: yellow, count: 5),
      ptsSeconds: [0, 1, 2, 3, 4])
    let v = ClipVerdict(observations: observations, labels: model.labels, thresholds: t)
    #expect(v.hero == nil)
    #expect((v.familiarity ?? 2) < t.minFamiliarity)
  }

  @Test("the threshold rejects the set share of known clips and reports the absent share")
  func cut() {
    let known = (0..<100).map { 2 + Double($0) / 100 }
    let absent = [1.0, 1.5, 2.0, 2.3, 2.6]
    let t = UnknownThresholds.at(knownRejectRate: 0.03, known: known, absent: absent)
    #expect(abs(t.minFamiliarity - 2.02) < 1e-12)
    // 2.00 and 2.01 fall below it: the lower quantile never rejects more than asked.
    #expect(t.knownRejectRate == 0.02 && t.unknownRejectRate == 0.6)
    // A higher rate moves the threshold up and rejects more of both.
    let strict = UnknownThresholds.at(knownRejectRate: 0.5, known: known, absent: absent)
    #expect(strict.minFamiliarity > t.minFamiliarity && strict.unknownRejectRate == 0.8)
    let empty = UnknownThresholds.at(knownRejectRate: 0.03, known: [], absent: absent)
    #expect(empty.minFamiliarity == 0)
  }

  @Test("the calibration sample: every crop of a small class, a seeded share of a large one")
  func calibrationSample() {
    // Class 0: 5 crops, class 1: 40, and crops not to use (nil).
    let labels: [Int?] = (0..<5).map { _ in 0 } + [nil, nil] + (0..<40).map { _ in 1 }
    let pick = UnknownThresholds.calibrationSample(labels: labels, perClass: 10)
    #expect(pick.count == 15)
    #expect(Set(0..<5).isSubset(of: pick))
    #expect(!pick.contains(5) && !pick.contains(6))
    #expect(pick.filter { $0 >= 7 }.count == 10)
    #expect(UnknownThresholds.calibrationSample(labels: labels, perClass: 10) == pick)
    #expect(UnknownThresholds.calibrationSample(labels: labels, perClass: 10, seed: 1) != pick)
  }

  @Test("a clip's familiarity is the median of its frames'")
  func median() {
    #expect(UnknownThresholds.clipFamiliarity([]) == nil)
    #expect(UnknownThresholds.clipFamiliarity([2.0, -5.0, 2.2]) == 2.0)
    #expect(UnknownThresholds.clipFamiliarity([1.0, 2.0, 3.0, 10.0]) == 2.5)
    #expect(UnknownThresholds.familiarity(shape: 0.5, colour: 0.75, pattern: 0.5) == 1.5)
  }
}

@Suite("Prototypes")
struct PrototypeTests {
  @Test("farthest-point sampling keeps both modes of a two-mode class")
  func coversModes() {
    // Class 0: 40 rows near e0 and 2 rows near e1 (a rare state); class 1: near e2.
    let n = 16
    var set = LabelledBottlenecks(inputSize: n)
    var rng = SeededGenerator(seed: 3)
    func row(_ axis: Int) -> [Float] {
      (0..<n).map { j in (j == axis ? 5 : 0) + 0.05 * rng.nextGaussian() }
    }
    for _ in 0..<40 { set.append(row(0), label: 0) }
    for _ in 0..<2 { set.append(row(1), label: 0) }
    for _ in 0..<20 { set.append(row(2), label: 1) }
    let p = Prototypes(training: set, classCount: 2, perClass: 3)
    #expect(p.labels == [0, 0, 0, 1, 1, 1])
    // A fresh rare-state row is still close to class 0.
    let sims = p.similarities(row(1))
    #expect(sims[0] > 0.9)
    #expect(sims[1] < 0.5)
    for r in 0..<p.labels.count {
      let norm = (0..<n).reduce(Float(0)) { $0 + p.vectors[r * n + $1] * p.vectors[r * n + $1] }
      // n elements divided by a norm (a square root of a sum of n), squared and summed.
      #expect(Double(abs(norm - 1)) <= RoundingBound.gamma(2 * n + 8), "\(norm)")
    }
  }
}

@Suite("Colour signature")
struct ColourSignatureTests {
  @Test("a unit vector; equal colours give 1, different hues far less; the corners are ignored")
  func signature() {
    let pink = ColourSignature.of(RGBImageFixture.flat(224, 96, 158, side: 40))
    let blue = ColourSignature.of(RGBImageFixture.flat(74, 104, 208, side: 40))
    func dot(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
    #expect(Double(abs(dot(pink, pink) - 1)) <= RoundingBound.gamma(2 * pink.count + 8))
    #expect(dot(pink, blue) < 0.1)
    // Pink button on a blue background: only the centre disc counts.
    var image = RGBImageFixture.flat(74, 104, 208, side: 40)
    for y in 0..<40 {
      for x in 0..<40 where (x - 20) * (x - 20) + (y - 20) * (y - 20) <= 17 * 17 {
        let i = (y * 40 + x) * 3
        image.pixels[i] = 224
        image.pixels[i + 1] = 96
        image.pixels[i + 2] = 158
      }
    }
    #expect(dot(ColourSignature.of(image), pink) > 0.95)
  }
}
