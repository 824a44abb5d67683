import ArgumentParser
import Classifier
import Foundation
import HeroCore
import Labeler
import Preprocess

extension Optimizer: ExpressibleByArgument {}

struct Train: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Train the new final layer on a folder of labelled crops.",
    discussion: """
      CROPS_DIR holds one sub-folder per hero with .jpg crops (what `hero-id extract --out` \
      writes). Each image's bottleneck is computed once and cached (by file content and base \
      network) under CROPS_DIR/.bottlenecks or --bottleneck-dir. Each hero's images are split \
      into training / validation / testing by a stable hash (crops from the same few seconds of \
      one video, per CROPS_DIR/index.csv, stay together), the final layer is trained, the \
      "unknown" threshold is chosen on simulated clips of the training and validation crops \
      (left-out heroes against trained ones), and the model is written to --model.
      Progress goes to stderr; results to stdout (one JSON object with --json).
      See docs/training.md.
      """)

  @Argument(help: "Crop folder: one sub-folder of .jpg files per hero.")
  var cropsDir: String?

  @Option(help: "Model directory to write.")
  var model = "hero-model"

  @Option(help: "Training steps (mini-batches).")
  var steps = 4000

  @Option(help: "Learning rate.")
  var learningRate: Float = 0.01

  @Option(help: "Images per training batch.")
  var batchSize = 100

  @Option(help: "Print training and validation accuracy every this many steps.")
  var evalStepInterval = 100

  @Option(help: "Percentage of images used for validation.")
  var validationPercentage = 10.0

  @Option(help: "Percentage of images used for testing.")
  var testingPercentage = 10.0

  @Option(help: "Crops of one video within this many seconds share a split set (0: per file).")
  var groupSeconds = 5.0

  @Option(help: "Bottleneck cache folder (default: CROPS_DIR/.bottlenecks).")
  var bottleneckDir: String?

  @Option(help: "Random seed (batch order, initial weights, distortions).")
  var seed: UInt64 = 0

  @Option(help: "Optimizer: sgd (retrain.py), momentum or adam.")
  var optimizer = Optimizer.momentum

  @Option(help: "L2 weight penalty.")
  var l2: Float = 0.001

  @Flag(
    inversion: .prefixedNo,
    help: "Standardise bottleneck features with the training set's mean and std.")
  var standardize = true

  @Flag(help: "List the misclassified test images.")
  var printMisclassified = false

  @Flag(help: "Randomly mirror training images (bottlenecks then computed fresh every step).")
  var flipLeftRight = false

  @Option(help: "Random crop margin, percent (retrain.py's --random_crop).")
  var randomCrop = 0.0

  @Option(help: "Random scale-up, percent (retrain.py's --random_scale).")
  var randomScale = 0.0

  @Option(help: "Random brightness change, percent (retrain.py's --random_brightness).")
  var randomBrightness = 0.0

  @Option(
    help: """
      Share of (simulated) clips of trained heroes the "unknown" threshold may reject: higher \
      catches more heroes the model never saw, and calls more known ones "unknown".
      """)
  var knownRejectRate = UnknownThresholds.defaultKnownRejectRate

  @Option(help: "Inception v3 weights (default: $HERO_ID_INCEPTION or $HERO_ID_HOME's).")
  var inception: String?

  @Option(help: "Layout profile the crops were made with (recorded in the model).")
  var layout: String?

  @Option(help: "Parallel tasks computing bottlenecks.")
  var jobs = 2

  @Flag(help: "Print one JSON object at the end on stdout.")
  var json = false

  @Option(help: .hidden)
  var benchSynthetic: Int?

  @Option(help: .hidden)
  var benchClasses = 20

  @Option(help: .hidden)
  var benchSpread: Float = 2

  func validate() throws {
    if cropsDir == nil && benchSynthetic == nil { throw ValidationError("missing CROPS_DIR") }
    guard steps > 0 else { throw ValidationError("--steps must be at least 1") }
    guard batchSize > 0 else { throw ValidationError("--batch-size must be at least 1") }
    guard evalStepInterval > 0 else { throw ValidationError("--eval-step-interval must be >= 1") }
    guard learningRate > 0, learningRate.isFinite else {
      throw ValidationError("--learning-rate must be positive")
    }
    guard l2 >= 0 else { throw ValidationError("--l2 must be >= 0") }
    guard (0...1).contains(knownRejectRate) else {
      throw ValidationError("--known-reject-rate must be between 0 and 1")
    }
    guard (0..<100).contains(validationPercentage), (0..<100).contains(testingPercentage),
      validationPercentage + testingPercentage < 100
    else {
      throw ValidationError(
        "--validation-percentage and --testing-percentage must be in 0..<100 and leave room for training"
      )
    }
    for (name, v) in [
      ("--random-crop", randomCrop), ("--random-scale", randomScale),
      ("--random-brightness", randomBrightness),
    ] where !(v >= 0 && v < 100) {
      throw ValidationError("\(name) must be a percentage in 0..<100")
    }
    guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
    guard groupSeconds >= 0 else { throw ValidationError("--group-seconds must be >= 0") }
  }

  var options: TrainingOptions {
    var o = TrainingOptions()
    o.steps = steps
    o.learningRate = learningRate
    o.batchSize = batchSize
    o.evalStepInterval = evalStepInterval
    o.seed = seed
    o.optimizer = optimizer
    o.l2 = l2
    o.standardize = standardize
    return o
  }

  var distortion: ImageDistortion {
    ImageDistortion(
      flipLeftRight: flipLeftRight, randomCropPercent: randomCrop, randomScalePercent: randomScale,
      randomBrightnessPercent: randomBrightness)
  }

  func run() async throws {
    if let n = benchSynthetic {
      try runBench(images: n)
      return
    }
    guard let cropsDir else { throw ValidationError("missing CROPS_DIR") }
    let started = Date()
    let profile = try Layouts.load(path: layout)
    let sources = TrainingIndex.sources(cropsDir: cropsDir)
    let groups = TrainingIndex.groupKeys(sources, groupSeconds: groupSeconds)
    let collection = try ImageCollection.scan(
      cropsDir, validationPercentage: validationPercentage, testingPercentage: testingPercentage,
      groupKeys: groups)
    for warning in try collection.checkSplit(validationPercentage: validationPercentage) {
      printError(warning)
    }
    let base = try BaseNetwork.load(override: inception)
    let cacheDir =
      bottleneckDir ?? URL(fileURLWithPath: cropsDir).appendingPathComponent(".bottlenecks").path
    let cache = BottleneckCache(
      directory: URL(fileURLWithPath: cacheDir, isDirectory: true), baseSHA1: base.sha1)
    BLAS.setThreads(jobs > 1 ? 1 : ProcessInfo.processInfo.activeProcessorCount)
    let results = await cache.bottlenecks(
      for: collection.images.map(\.path), jobs: jobs,
      decode: { try JPEG.decode(fileAt: $0) }, makeEncoder: base.makeEncoder,
      progress: { ProgressReporter("bottlenecks", total: $0) })
    // For the "unknown" test (docs/training.md): each crop's colour signature and icon pattern,
    // cheap, computed afresh from the image (which is not kept); the calibration crops (up to
    // 150 training and validation crops per hero) also keep their 10 KB icon thumbnail.
    let calibrationPick = UnknownThresholds.calibrationSample(
      labels: collection.images.map { $0.set == .testing ? nil : $0.label })
    let looks = await mapBounded(Array(collection.images.enumerated()), jobs: jobs) { i, image in
      (try? JPEG.decode(fileAt: image.path)).map { decoded in
        let look = CropLook.of(decoded)
        return (
          colour: look.colour, pattern: IconPattern.template(look.thumbnail),
          thumbnail: calibrationPick.contains(i) ? look.thumbnail : nil
        )
      }
    }

    var sets: [DataSet: LabelledBottlenecks] = [:]
    var colourSets: [DataSet: LabelledBottlenecks] = [:]
    var patternTraining = LabelledBottlenecks(inputSize: IconPattern.size)
    var paths: [DataSet: [String]] = [:]
    var videos: [DataSet: [Int]] = [:]
    var videoIDs: [String: Int] = [:]
    for s in DataSet.allCases {
      sets[s] = LabelledBottlenecks(inputSize: cache.size)
      colourSets[s] = LabelledBottlenecks(inputSize: ColourSignature.size)
      paths[s] = []
      videos[s] = []
    }
    var calibration = CalibrationFrames(inputSize: cache.size)
    var failed = 0
    for (i, (image, result)) in zip(collection.images, results).enumerated() {
      switch result {
      case .success(let v):
        sets[image.set]?.append(v, label: image.label)
        let colour = looks[i]?.colour ?? [Float](repeating: 0, count: ColourSignature.size)
        colourSets[image.set]?.append(colour, label: image.label)
        if image.set == .training {
          patternTraining.append(
            looks[i]?.pattern ?? [Float](repeating: 0, count: IconPattern.size),
            label: image.label)
        }
        paths[image.set]?.append(image.path)
        let key =
          "\(collection.classes[image.label])/\((image.path as NSString).lastPathComponent)"
        let video =
          sources[key].map { source in
            if let id = videoIDs[source.video] { return id }
            videoIDs[source.video] = videoIDs.count
            return videoIDs.count - 1
          } ?? -1
        videos[image.set]?.append(video)
        if let thumbnail = looks[i]?.thumbnail {
          calibration.append(
            bottleneck: v, colour: colour, thumbnail: thumbnail, label: image.label, video: video,
            heldOut: image.set == .validation)
        }
      case .failure(let error):
        printError("\(error)")
        failed += 1
      }
    }
    let training = sets[.training] ?? LabelledBottlenecks(inputSize: cache.size)
    let validation = sets[.validation] ?? LabelledBottlenecks(inputSize: cache.size)
    let testing = sets[.testing] ?? LabelledBottlenecks(inputSize: cache.size)
    for (label, name) in collection.classes.enumerated() where !training.labels.contains(label) {
      throw TrainingDataError.noTrainingImages(
        path: URL(fileURLWithPath: cropsDir).appendingPathComponent(name).path, count: 0)
    }
    printError(
      "train: \(collection.classes.count) classes, \(training.count) training, "
        + "\(validation.count) validation, \(testing.count) testing images")

    let distortedBatch = try makeDistortedBatches(
      collection: collection, base: base, inputSize: cache.size)
    // Small GEMMs (a batch of 100 against 2048 x classes): one BLAS thread is as fast and does
    // not stall when the other core is busy (docs/training.md). Distortions need the cores.
    if distortedBatch == nil { BLAS.setThreads(1) }
    let trainer = Trainer.train(
      classCount: collection.classes.count, training: training, validation: validation,
      options: options, distortedBatch: distortedBatch, report: Self.printProgress)

    var validStd = validation
    trainer.standardize(&validStd)
    var testStd = testing
    trainer.standardize(&testStd)
    var trainStd = training
    trainer.standardize(&trainStd)
    let validEval = validation.count > 0 ? trainer.evaluate(standardized: validStd) : nil
    let testEval = testing.count > 0 ? trainer.evaluate(standardized: testStd) : nil
    let classCount = collection.classes.count
    let colourTraining =
      colourSets[.training] ?? LabelledBottlenecks(inputSize: ColourSignature.size)
    let shapeChoice = Prototypes.select(training: training, classCount: classCount)
    let prototypes = Prototypes(
      training: training, classCount: classCount, mean: shapeChoice.mean, rows: shapeChoice.rows)
    let colourChoice = Prototypes.select(
      training: colourTraining, classCount: classCount, centred: false)
    let colourPrototypes = Prototypes(
      training: colourTraining, classCount: classCount, mean: colourChoice.mean,
      rows: colourChoice.rows)
    let patternChoice = Prototypes.select(
      training: patternTraining, classCount: classCount, centred: false)
    let patternPrototypes = Prototypes(
      training: patternTraining, classCount: classCount, mean: patternChoice.mean,
      rows: patternChoice.rows)
    // The "unknown" threshold: the calibration frames, with the videos they came from
    // (docs/training.md, "Unknown"). One task now: BLAS may use every core.
    BLAS.setThreads(ProcessInfo.processInfo.activeProcessorCount)
    let trainVideos = videos[.training] ?? []
    var calibrationStd = calibration.bottlenecks
    trainer.standardize(&calibrationStd)
    let thresholds = UnknownThresholds.choose(
      UnknownThresholds.Calibration(
        classCount: classCount, labels: calibration.bottlenecks.labels,
        videos: calibration.videos, heldOut: calibration.heldOut,
        probabilities: trainer.evaluate(standardized: calibrationStd).probabilities,
        shape: .init(
          similarities: prototypes.allSimilarities(calibration.bottlenecks.features),
          labels: prototypes.labels, videos: shapeChoice.rows.map { trainVideos[$0] }),
        colour: .init(
          similarities: colourPrototypes.allSimilarities(calibration.colours),
          labels: colourPrototypes.labels, videos: colourChoice.rows.map { trainVideos[$0] }),
        pattern: .init(
          similarities: IconPattern.similarities(calibration.thumbnails, to: patternPrototypes),
          labels: patternPrototypes.labels, videos: patternChoice.rows.map { trainVideos[$0] })),
      knownRejectRate: knownRejectRate)

    let counts = [
      "training": training.count, "validation": validation.count, "testing": testing.count,
    ]
    let summary = TrainingSummary(
      options: options, images: counts, validationAccuracy: validEval?.accuracy,
      testAccuracy: testEval?.accuracy, distortions: distortion,
      trainedAt: ISO8601DateFormatter().string(from: Date()),
      seconds: Date().timeIntervalSince(started))
    let heroModel = HeroModel(
      labels: collection.classes, layer: trainer.layer, prototypes: prototypes,
      colourPrototypes: colourPrototypes, patternPrototypes: patternPrototypes,
      thresholds: thresholds,
      info: ModelInfo(baseNetworkSHA1: base.sha1, layout: profile, training: summary))
    try heroModel.save(to: model)

    if printMisclassified, let testEval {
      let out = json ? printError : { print($0) }
      out("Misclassified test images:")
      for (i, predicted) in testEval.predictions.enumerated() where predicted != testing.labels[i] {
        out(
          "  \(paths[.testing]?[i] ?? "?"): \(collection.classes[testing.labels[i]]) "
            + "taken for \(collection.classes[predicted])")
      }
    }
    if json {
      let object: [(String, JSONValue)] = [
        ("classes", .array(collection.classes.map { .string($0) })),
        (
          "images",
          .object([
            ("training", .int(training.count)), ("validation", .int(validation.count)),
            ("testing", .int(testing.count)),
          ])
        ),
        ("validation_accuracy", validEval.map { JSONValue.rounded($0.accuracy) } ?? .null),
        ("test_accuracy", testEval.map { JSONValue.rounded($0.accuracy) } ?? .null),
        ("model", .string(model)),
      ]
      print(JSONValue.object(object).text)
    } else {
      if let validEval {
        print(Self.percent("Final validation accuracy", validEval.accuracy, validation.count))
      }
      if let testEval {
        print(Self.percent("Final test accuracy", testEval.accuracy, testing.count))
      }
      print(
        String(
          format:
            "Unknown below familiarity %.3f (simulated clips rejected: %.1f%% of trained heroes', "
            + "%.1f%% of a left-out hero's)",
          thresholds.minFamiliarity, 100 * thresholds.knownRejectRate,
          100 * thresholds.unknownRejectRate))
      print("Model written to \(model) (\(collection.classes.count) heroes)")
    }
    if failed > 0 {
      printError("train: \(failed) image\(failed == 1 ? "" : "s") could not be used")
      throw ExitCode(1)
    }
  }

  static func percent(_ what: String, _ accuracy: Double, _ n: Int) -> String {
    String(format: "%@ = %.1f%% (N=%d)", what, accuracy * 100, n)
  }

  static func printProgress(_ p: TrainingProgress) {
    var line = String(
      format: "step %d: train accuracy %.1f%%, cross entropy %.4f", p.step, p.trainAccuracy * 100,
      p.crossEntropy)
    if let v = p.validationAccuracy {
      line += String(format: ", validation accuracy %.1f%%", v * 100)
    }
    printError(line)
  }

  /// With distortions on, a closure giving each step a batch of fresh bottlenecks of distorted
  /// training images (one encoder, BLAS on all cores); nil otherwise.
  func makeDistortedBatches(collection: ImageCollection, base: BaseNetwork, inputSize: Int) throws
    -> ((inout Classifier.SeededGenerator, Int) -> LabelledBottlenecks)?
  {
    guard distortion.isActive else { return nil }
    let pool = collection.images.filter { $0.set == .training }
    guard !pool.isEmpty else { return nil }
    BLAS.setThreads(ProcessInfo.processInfo.activeProcessorCount)
    let encoder = try base.makeEncoder()
    let distortion = self.distortion
    printError("train: distortions on; every step computes \(batchSize) bottlenecks afresh")
    return { rng, count in
      var images: [RGBImage] = []
      var labels: [Int] = []
      var attempts = 0
      while images.count < count && attempts < 4 * count {
        attempts += 1
        let pick = pool[Int(rng.next() % UInt64(pool.count))]
        guard let image = try? JPEG.decode(fileAt: pick.path) else { continue }
        images.append(distortion.apply(image, using: &rng))
        labels.append(pick.label)
      }
      var batch = LabelledBottlenecks(inputSize: inputSize)
      for (v, label) in zip(encoder.bottlenecks(images), labels) { batch.append(v, label: label) }
      return batch
    }
  }

  /// The hidden benchmark: training on synthetic 2048-d clusters, timed.
  func runBench(images: Int) throws {
    let classes = max(2, benchClasses)
    let perClass = max(2, images / classes)
    let all = SyntheticBottlenecks.clusters(
      classes: classes, perClass: perClass + perClass / 8, spread: benchSpread, seed: seed &+ 1)
    let (training, validation) = SyntheticBottlenecks.split(all, held: classes * (perClass / 8))
    BLAS.setThreads(1)
    let t0 = Date()
    let cpu0 = clock()
    var last: TrainingProgress?
    let trainer = Trainer.train(
      classCount: classes, training: training, validation: validation, options: options,
      report: { last = $0 })
    let seconds = Date().timeIntervalSince(t0)
    let cpuSeconds = Double(clock() - cpu0) / Double(CLOCKS_PER_SEC)
    var v = validation
    trainer.standardize(&v)
    let accuracy = trainer.evaluate(standardized: v).accuracy
    print(
      String(
        format:
          "train bench: %d bottlenecks, %d classes, %d steps of batch %d (%@): %.2f s (CPU %.2f s), final train accuracy %.3f, validation accuracy %.3f",
        training.count, classes, steps, batchSize, optimizer.rawValue, seconds, cpuSeconds,
        last?.trainAccuracy ?? 0, accuracy))
  }
}

/// What `index.csv` (written by `hero-id extract`) says about each crop's provenance.
enum TrainingIndex {
  /// Where each crop came from, by `<hero>/<file name>`, from `CROPS_DIR/index.csv` (written by
  /// `hero-id extract`); empty when there is none.
  static func sources(cropsDir: String) -> [String: (video: String, pts: Double)] {
    let url = URL(fileURLWithPath: cropsDir).appendingPathComponent("index.csv")
    guard let data = try? Data(contentsOf: url) else { return [:] }
    guard let records = try? CSV.parse(String(decoding: data, as: UTF8.self)),
      let header = records.first?.fields,
      let fileColumn = header.firstIndex(of: "file"),
      let videoColumn = header.firstIndex(of: "video"),
      let ptsColumn = header.firstIndex(of: "pts_seconds")
    else {
      printError("warning: \(url.path): no file,video,pts_seconds columns; splitting by file name")
      return [:]
    }
    var sources: [String: (video: String, pts: Double)] = [:]
    for record in records.dropFirst() {
      let f = record.fields
      guard f.count > max(fileColumn, videoColumn, ptsColumn), let pts = Double(f[ptsColumn])
      else { continue }
      let parts = f[fileColumn].split(separator: "/")
      guard parts.count >= 2 else { continue }
      sources["\(parts[parts.count - 2])/\(parts[parts.count - 1])"] = (f[videoColumn], pts)
    }
    return sources
  }

  /// Group keys for the split, by `<hero>/<file name>`.
  static func groupKeys(
    _ sources: [String: (video: String, pts: Double)], groupSeconds: Double
  ) -> [String: String] {
    sources.compactMapValues {
      DataSplit.videoKey(video: $0.video, ptsSeconds: $0.pts, groupSeconds: groupSeconds)
    }
  }
}

/// The crops the "unknown" threshold is calibrated on, as `train` collects them.
struct CalibrationFrames {
  var bottlenecks: LabelledBottlenecks
  var colours: [Float] = []
  var thumbnails: [UInt8] = []
  var videos: [Int] = []
  var heldOut: [Bool] = []

  init(inputSize: Int) { bottlenecks = LabelledBottlenecks(inputSize: inputSize) }

  mutating func append(
    bottleneck: [Float], colour: [Float], thumbnail: [UInt8], label: Int, video: Int,
    heldOut: Bool
  ) {
    bottlenecks.append(bottleneck, label: label)
    colours += colour
    thumbnails += thumbnail
    videos.append(video)
    self.heldOut.append(heldOut)
  }
}
