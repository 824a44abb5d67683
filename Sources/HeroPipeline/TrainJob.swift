import Classifier
import Foundation
import HeroCore
import Inception
import InceptionKernels
import Labeler
import Preprocess
import Synchronization

/// `train`: a crop folder → bottlenecks (cached) → a new final layer, the prototypes and the
/// "unknown" threshold → a model directory (docs/training.md, docs/model-format.md).
///
/// The run, in order: list and split the crops (``splitCrops()``), compute their bottlenecks and
/// looks (``features(of:base:control:)``), gather them per split set (``TrainingData``), train
/// the final layer, choose the prototypes and the threshold, save.
public struct TrainJob: Sendable {
  public struct Options: Sendable {
    /// One sub-folder of `.jpg` crops per hero.
    public var cropsDir = "crops"
    /// The model directory to write.
    public var model = "hero-model"
    public var training = TrainingOptions()
    public var validationPercentage = 10.0
    public var testingPercentage = 10.0
    /// Crops of one video within this many seconds share a split set (0: per file).
    public var groupSeconds = 5.0
    /// The bottleneck cache (nil: `cropsDir/.bottlenecks`).
    public var bottleneckDir: String?
    public var distortion = ImageDistortion()
    public var knownRejectRate = UnknownThresholds.defaultKnownRejectRate
    /// `--inception` (nil: `$HERO_ID_INCEPTION` or the home folder's).
    public var inception: String?
    /// The layout profile file the crops were made with (nil: the default).
    public var layout: String?
    /// A crop identical to one already encoded in the run (the same file content, or the same
    /// decoded pixels) reuses its bottleneck; off with `HERO_ID_REUSE=off`.
    public var reuseBottlenecks = BottleneckUse.reuseByDefault
    /// Tasks computing bottlenecks.
    public var jobs = 2
    /// Refuse the whole folder when a hero has too few crops (the old behaviour); by default
    /// such a hero is left out with a warning and recorded in the model.
    public var strict = false
    /// `--slots`: train on the crops of these skill slots only (names, e.g. "skill2"; a crop's
    /// slot is in its file name, ``CropFileName``). Nil: every crop in the folder.
    public var slots: [String]?
    /// `--review N`: the review sheet's length, the crops whose label the model disputes most
    /// (0: none).
    public var reviewCount = 20
    /// `--precision`: the base network's arithmetic for the bottlenecks (docs/int8.md: int8 by
    /// default, fp32 on request); the model records it and `identify` runs the same.
    public var precision = Precision.int8
    public init() {}
  }

  /// A test image the final layer got wrong.
  public struct Misclassified: Sendable {
    public var path: String
    public var truth: String
    public var predicted: String
  }

  /// What training gave.
  public struct Outcome: Sendable {
    public var classes: [String]
    /// Images per split set: "training", "validation", "testing".
    public var images: [String: Int]
    public var validationAccuracy: Double?
    public var testAccuracy: Double?
    public var thresholds: UnknownThresholds
    public var misclassified: [Misclassified]
    /// Images that could not be used (each was named in a note).
    public var failedImages: Int
    /// The model directory written.
    public var model: String
    /// Heroes left out for too few crops, with their counts.
    public var leftOut: [String: Int] = [:]
    /// The skill slots the model reads (``ModelInfo/cropSlots``).
    public var slots: [String] = []
    /// The review sheet (``TrainingSummary/disputed(paths:cropsDir:classes:labels:probabilities:sets:count:)``).
    public var disputed: [TrainingSummary.Disputed] = []
    /// How the crops got their bottlenecks: from the cache, computed, or reused from an
    /// identical crop of the run (issue 28).
    public var bottlenecks = BottleneckUse()

    /// The human summary `train` prints: accuracies, the "unknown" threshold, the model.
    public var summaryLines: [String] {
      func percent(_ what: String, _ accuracy: Double, _ n: Int) -> String {
        String(format: "%@ = %.1f%% (N=%d)", what, accuracy * 100, n)
      }
      var lines: [String] = []
      if let v = validationAccuracy {
        lines.append(percent("Final validation accuracy", v, images["validation"] ?? 0))
      }
      if let t = testAccuracy {
        lines.append(percent("Final test accuracy", t, images["testing"] ?? 0))
      }
      lines.append(
        String(
          format:
            "Unknown below familiarity %.3f (simulated clips rejected: %.1f%% of trained heroes', "
            + "%.1f%% of a left-out hero's)",
          thresholds.minFamiliarity, 100 * thresholds.knownRejectRate,
          100 * thresholds.unknownRejectRate))
      if let novel = thresholds.novelVideos, novel > 0 {
        lines.append(
          "\(novel) training video\(novel == 1 ? "" : "s") unlike \(novel == 1 ? "its" : "their") "
            + "hero's other videos (a skin or a look only \(novel == 1 ? "it shows" : "they show")): "
            + "left out of the known clips the threshold is chosen on")
      }
      lines.append("Model written to \(model) (\(classes.count) heroes)")
      return lines
    }

    /// The `--json` object (CONTRACT.md).
    public var json: JSONValue {
      .object([
        "classes": .strings(classes),
        "images": .object([
          "training": .int(images["training"] ?? 0),
          "validation": .int(images["validation"] ?? 0), "testing": .int(images["testing"] ?? 0),
        ]),
        "validation_accuracy": validationAccuracy.map { .rounded($0) } ?? .null,
        "test_accuracy": testAccuracy.map { .rounded($0) } ?? .null,
        "model": .string(model),
        // Only for a model of several slots (`extract --slots`): the default output is as before.
        "slots": slots.count > 1 ? .strings(slots) : nil,
        "disputed": .array(disputed.map(\.json)),
        "left_out": leftOut.isEmpty
          ? nil
          : .object(leftOut.keys.sorted().map { JSONValue.Field($0, .int(leftOut[$0] ?? 0)) }),
        "bottlenecks": bottlenecks.json,
      ])
    }
  }

  public var options: Options

  public init(options: Options) { self.options = options }

  /// Trains and writes the model. Progress: stage "bottlenecks"; the training steps and
  /// warnings are notes. Throws for a folder that cannot be trained on.
  public func run(control: JobControl) async throws -> Outcome {
    let started = Date()
    let policy = ThreadPolicy.forRun(jobs: options.jobs, items: Int.max)
    policy.apply()
    let profile = try Layouts.load(path: options.layout)
    let (collection, leftOut) = try splitCrops(control: control)
    let base = try BaseNetwork.load(override: options.inception, precision: options.precision)
    try control.checkCancelled()
    let data = try await features(of: collection, base: base, policy: policy, control: control)
    try control.checkCancelled()
    for (label, name) in collection.classes.enumerated()
    where !data.sets[.training].bottlenecks.labels.contains(label) {
      throw TrainingDataError.noTrainingImages(
        path: URL(fileURLWithPath: options.cropsDir).appendingPathComponent(name).path, count: 0)
    }
    let training = data.sets[.training].bottlenecks
    let validation = data.sets[.validation].bottlenecks
    let testing = data.sets[.testing].bottlenecks
    control.observer.note(
      "train: \(collection.classes.count) classes, \(training.count) training, "
        + "\(validation.count) validation, \(testing.count) testing images")

    // The slots the crops came from (file names): recorded when there is more than the layout's
    // crop slot, so that `identify` crops them all; a skill-2 set gives a model as before. Such
    // a model has one final-layer class per (hero, slot) (``HeroModel/iconsPerClass``).
    let slots = Set(
      collection.images.map { CropFileName.slot(ofFile: $0.path) ?? profile.crop.slot }
    ).filter { profile.skills[$0] != nil }.sorted()
    let icons = slots != [profile.crop.slot] && slots.count > 1 ? slots.count : 1
    func iconLabel(_ path: String, _ label: Int) -> Int {
      guard icons > 1 else { return label }
      let slot = CropFileName.slot(ofFile: path) ?? profile.crop.slot
      return label * icons + (slots.firstIndex(of: slot) ?? 0)
    }
    func byIcon(_ set: DataSet) -> LabelledBottlenecks {
      var b = data.sets[set].bottlenecks
      b.labels = zip(b.labels, data.sets[set].paths).map { iconLabel($1, $0) }
      return b
    }
    let distortedBatch = try distortedBatches(
      collection: collection, base: base, inputSize: training.inputSize, control: control,
      label: { iconLabel($0.path, $0.label) })
    // The review sheet's training crops are scored by layers trained on the other folds
    // (below): those three trainings run on other threads while this one trains the model.
    let review: BackgroundResult<[ReviewFold]>? =
      options.reviewCount > 0
      ? Self.reviewFolds(
        collection: collection, training: data.sets[.training], iconLabels: byIcon(.training),
        classCount: collection.classes.count * icons, iconsPerClass: icons,
        options: options.training,
        cancelled: { [cancellation = control.cancellation] in cancellation.isCancelled })
      : nil
    var curve: [TrainingSummary.CurvePoint] = []
    let trainer = Trainer.train(
      classCount: collection.classes.count * icons, training: byIcon(.training),
      validation: byIcon(.validation),
      options: options.training, distortedBatch: distortedBatch,
      stop: { [cancellation = control.cancellation] in cancellation.isCancelled },
      report: {
        control.observer.note(Self.progressLine($0))
        curve.append(TrainingSummary.CurvePoint($0))
      })
    // A cancelled run stopped training where it was: nothing of it is kept.
    try control.checkCancelled()
    let validEval =
      validation.count > 0
      ? trainer.evaluate(standardized: standardized(validation, trainer), iconsPerClass: icons)
      : nil
    let testEval =
      testing.count > 0
      ? trainer.evaluate(standardized: standardized(testing, trainer), iconsPerClass: icons) : nil

    let model = Self.decideUnknown(
      data: data, trainer: trainer, classes: collection.classes,
      knownRejectRate: options.knownRejectRate, iconsPerClass: icons)
    let counts = [
      "training": training.count, "validation": validation.count, "testing": testing.count,
    ]
    var summary = TrainingSummary(
      options: options.training, images: counts, validationAccuracy: validEval?.accuracy,
      testAccuracy: testEval?.accuracy, distortions: options.distortion,
      trainedAt: ISO8601DateFormatter().string(from: Date()),
      seconds: Date().timeIntervalSince(started))
    if !leftOut.isEmpty { summary.leftOut = leftOut }
    // What `hero-id report` draws (docs/model-format.md).
    summary.curve = curve
    summary.cropsDir = options.cropsDir
    summary.imagesPerHero = TrainingSummary.imagesPerHero(
      classes: collection.classes,
      sets: Dictionary(
        uniqueKeysWithValues: DataSet.allCases.map { ($0, data.sets[$0].bottlenecks.labels) }))
    if let testEval {
      summary.testConfusion = TrainingSummary.confusion(
        labels: testing.labels, predictions: testEval.predictions,
        classCount: collection.classes.count)
      summary.misclassified = TrainingSummary.misclassified(
        paths: data.sets[.testing].paths, cropsDir: options.cropsDir,
        classes: collection.classes, labels: testing.labels, predictions: testEval.predictions)
    }
    // The review sheet: every crop scored by a layer that never trained on it (validation and
    // testing by this one; training crops by layers trained on the other folds of the training
    // set, folds by group), the widest disputes first.
    var disputed: [TrainingSummary.Disputed] = []
    if options.reviewCount > 0 {
      var paths: [String] = []
      var labels: [Int] = []
      var probabilities: [Float] = []
      var sets: [String] = []
      for set in [DataSet.validation, .testing] where data.sets[set].bottlenecks.count > 0 {
        let b = data.sets[set].bottlenecks
        let e = trainer.evaluate(standardized: standardized(b, trainer), iconsPerClass: icons)
        paths += data.sets[set].paths
        labels += b.labels
        probabilities += e.probabilities
        sets += Array(repeating: set.rawValue, count: b.count)
      }
      let held = try review?.get() ?? []
      try control.checkCancelled()
      for fold in held {
        paths += fold.paths
        labels += fold.labels
        probabilities += fold.probabilities
        sets += Array(repeating: DataSet.training.rawValue, count: fold.labels.count)
      }
      disputed = TrainingSummary.disputed(
        paths: paths, cropsDir: options.cropsDir, classes: collection.classes, labels: labels,
        probabilities: probabilities, sets: sets, count: options.reviewCount)
      summary.disputed = disputed
    }
    var info = ModelInfo(baseNetworkSHA1: base.sha1, layout: profile, training: summary)
    if icons > 1 { info.slots = slots }
    info.precision = base.precision
    let heroModel = HeroModel(
      labels: collection.classes, layer: trainer.layer, prototypes: model.shape,
      colourPrototypes: model.colour, patternPrototypes: model.pattern,
      thresholds: model.thresholds, info: info, iconsPerClass: icons)
    try heroModel.save(to: options.model)

    var misclassified: [Misclassified] = []
    if let testEval {
      for (i, predicted) in testEval.predictions.enumerated() where predicted != testing.labels[i] {
        misclassified.append(
          Misclassified(
            path: data.sets[.testing].paths[i], truth: collection.classes[testing.labels[i]],
            predicted: collection.classes[predicted]))
      }
    }
    return Outcome(
      classes: collection.classes, images: counts, validationAccuracy: validEval?.accuracy,
      testAccuracy: testEval?.accuracy, thresholds: model.thresholds,
      misclassified: misclassified, failedImages: data.failed, model: options.model,
      leftOut: leftOut, slots: info.cropSlots, disputed: disputed,
      bottlenecks: data.bottleneckUse)
  }

  /// Lists the crop folder and splits each hero's crops, keeping crops of the same few seconds
  /// of one video together (per `index.csv`, read by ``CropIndex``).
  func splitCrops(control: JobControl) throws -> (ImageCollection, [String: Int]) {
    var groups: [String: String] = [:]
    do {
      for row in try CropIndex.read(root: options.cropsDir) {
        let parts = row.file.split(separator: "/")
        guard parts.count >= 2,
          let key = DataSplit.videoKey(
            video: row.video, ptsSeconds: row.ptsSeconds, groupSeconds: options.groupSeconds)
        else { continue }
        groups["\(parts[parts.count - 2])/\(parts[parts.count - 1])"] = key
      }
    } catch {
      control.observer.note("warning: \(error); splitting by file name")
    }
    var collection = try ImageCollection.scan(
      options.cropsDir, validationPercentage: options.validationPercentage,
      testingPercentage: options.testingPercentage, groupKeys: groups)
    // One hero in several Unicode spellings is one class (HeroSpelling, as extract and batch).
    for (hero, folders) in collection.spellings.sorted(by: { $0.key < $1.key }) {
      control.observer.note(HeroSpelling.warning(hero: hero, spellings: folders, of: "folders"))
    }
    for entry in collection.skipped { control.observer.note("train: \(entry.message)") }
    if let slots = options.slots {
      let main = (try? Layouts.load(path: options.layout))?.crop.slot ?? "skill2"
      collection = collection.filtering {
        slots.contains(CropFileName.slot(ofFile: $0.path) ?? main)
      }
      if collection.images.isEmpty {
        throw TrainingDataError.noCropsOfSlots(path: options.cropsDir, slots: slots)
      }
    }
    var leftOut: [String: Int] = [:]
    if !options.strict {
      let (kept, thin) = collection.leavingOutThin(minimumImages: 3)
      for (name, count) in thin {
        let dir = URL(fileURLWithPath: options.cropsDir).appendingPathComponent(name).path
        control.observer.note(
          "warning: \(dir): only \(count) crop\(count == 1 ? "" : "s") (at least 3 with one in "
            + "training needed); \(name) left out of the model (--strict refuses instead)")
        leftOut[name] = count
      }
      if kept.classes.count < 2 {
        throw kept.classes.isEmpty
          ? TrainingDataError.noClasses(path: options.cropsDir)
          : TrainingDataError.oneClass(path: options.cropsDir, name: kept.classes[0])
      }
      collection = kept
    }
    for warning in try collection.checkSplit(validationPercentage: options.validationPercentage) {
      control.observer.note(warning)
    }
    return (collection, leftOut)
  }

  /// Training crops scored by a final layer that never saw them, for the review sheet.
  struct ReviewFold: Sendable {
    var paths: [String]
    var labels: [Int]
    /// `labels.count × classes`, row-major.
    var probabilities: [Float]
  }

  /// The review sheet's folds, begun on other threads: the training set cut in three by group
  /// (so a video's neighbouring crops share a fold), a final layer trained on each two thirds
  /// (the run's options, quiet), the held third scored by it; the folds in order, those with no
  /// crop held or none left to train on skipped, none once `cancelled()` (a fold in training
  /// stops at its next step).
  static func reviewFolds(
    collection: ImageCollection, training train: TrainingData.Split,
    iconLabels icon: LabelledBottlenecks, classCount: Int, iconsPerClass icons: Int,
    options: TrainingOptions, cancelled: @escaping @Sendable () -> Bool
  ) -> BackgroundResult<[ReviewFold]> {
    let groups = Dictionary(
      collection.images.map { ($0.path, $0.group) }, uniquingKeysWith: { a, _ in a })
    let folds = train.paths.map {
      Int(DataSplit.percentage("review-fold:" + (groups[$0] ?? $0)) * 3 / 100) % 3
    }
    let n = icon.inputSize
    let (features, labels, paths) = (
      train.bottlenecks.features, train.bottlenecks.labels, train.paths
    )
    return BackgroundResult {
      let results = Mutex([ReviewFold?](repeating: nil, count: 3))
      DispatchQueue.concurrentPerform(iterations: 3) { fold in
        guard !cancelled() else { return }
        var rest = LabelledBottlenecks(inputSize: n)
        var held = LabelledBottlenecks(inputSize: n)
        var heldPaths: [String] = []
        for (i, f) in folds.enumerated() {
          let row = Array(features[(i * n)..<((i + 1) * n)])
          if f == fold {
            held.append(row, label: labels[i])
            heldPaths.append(paths[i])
          } else {
            rest.append(row, label: icon.labels[i])
          }
        }
        guard held.count > 0, rest.count > 0 else { return }
        var quiet = options
        quiet.evalStepInterval = quiet.steps
        let other = Trainer.train(
          classCount: classCount, training: rest, validation: LabelledBottlenecks(inputSize: n),
          options: quiet, stop: cancelled)
        guard !cancelled() else { return }
        let e = other.evaluate(standardized: standardized(held, other), iconsPerClass: icons)
        results.withLock {
          $0[fold] = ReviewFold(
            paths: heldPaths, labels: held.labels, probabilities: e.probabilities)
        }
      }
      return results.withLock { $0.compactMap { $0 } }
    }
  }

  /// Every crop's bottleneck (cached), colour signature and icon pattern, gathered per split
  /// set, plus the calibration crops of the "unknown" threshold.
  func features(
    of collection: ImageCollection, base: BaseNetwork, policy: ThreadPolicy, control: JobControl
  ) async throws -> TrainingData {
    let cacheDir =
      options.bottleneckDir
      ?? URL(fileURLWithPath: options.cropsDir).appendingPathComponent(".bottlenecks").path
    let cache = BottleneckCache(
      directory: URL(fileURLWithPath: cacheDir, isDirectory: true),
      baseSHA1: base.bottleneckIdentity)
    let (bottlenecks, use) = await cache.bottlenecksAndUse(
      for: collection.images.map(\.path), jobs: policy.tasks,
      reuse: options.reuseBottlenecks, decode: { try JPEG.decode(fileAt: $0) },
      makeEncoder: base.makeEncoder, observer: control.observer)
    control.observer.note("train: " + use.text)
    // For the "unknown" test (docs/training.md): each crop's colour signature and icon pattern,
    // cheap, computed afresh from the image (which is not kept); the calibration crops (up to
    // 150 training and validation crops per hero) also keep their 10 KB icon thumbnail.
    let calibrationPick = UnknownThresholds.calibrationSample(
      labels: collection.images.map { $0.set == .testing ? nil : $0.label })
    let looks = await mapBounded(Array(collection.images.enumerated()), jobs: policy.tasks) {
      i, image in
      (try? JPEG.decode(fileAt: image.path)).map { decoded in
        let look = CropLook.of(decoded)
        return TrainingData.Look(
          colour: look.colour, pattern: IconPattern.template(look.thumbnail),
          thumbnail: calibrationPick.contains(i) ? look.thumbnail : nil)
      }
    }
    var data = TrainingData(inputSize: cache.size)
    data.bottleneckUse = use
    data.setSources((try? CropIndex.read(root: options.cropsDir)) ?? [])
    for (i, (image, result)) in zip(collection.images, bottlenecks).enumerated() {
      switch result {
      case .success(let v):
        data.add(
          image, bottleneck: v, look: looks[i],
          hero: collection.classes[image.label])
      case .failure(let error):
        control.observer.note("\(error)")
        data.failed += 1
      }
    }
    return data
  }

  /// The prototypes of each cue and the "unknown" threshold, chosen on simulated clips of the
  /// calibration crops (docs/training.md, "Unknown").
  static func decideUnknown(
    data: TrainingData, trainer: Trainer, classes: [String], knownRejectRate: Double,
    iconsPerClass icons: Int = 1
  ) -> (
    shape: Prototypes, colour: Prototypes, pattern: Prototypes, thresholds: UnknownThresholds
  ) {
    let classCount = classes.count
    let training = data.sets[.training].bottlenecks
    let shapeChoice = Prototypes.select(training: training, classCount: classCount)
    let shape = Prototypes(
      training: training, classCount: classCount, mean: shapeChoice.mean, rows: shapeChoice.rows)
    let colourTraining = data.sets[.training].colours
    let colourChoice = Prototypes.select(
      training: colourTraining, classCount: classCount, centred: false)
    let colour = Prototypes(
      training: colourTraining, classCount: classCount, mean: colourChoice.mean,
      rows: colourChoice.rows)
    let patternChoice = Prototypes.select(
      training: data.patternTraining, classCount: classCount, centred: false)
    let pattern = Prototypes(
      training: data.patternTraining, classCount: classCount, mean: patternChoice.mean,
      rows: patternChoice.rows)
    let trainVideos = data.sets[.training].videos
    let calibration = data.calibration
    let thresholds = UnknownThresholds.choose(
      UnknownThresholds.Calibration(
        classCount: classCount, labels: calibration.bottlenecks.labels,
        videos: calibration.videos, heldOut: calibration.heldOut,
        probabilities: trainer.evaluate(
          standardized: standardized(calibration.bottlenecks, trainer), iconsPerClass: icons
        ).probabilities,
        shape: .init(
          similarities: shape.allSimilarities(calibration.bottlenecks.features),
          labels: shape.labels, videos: shapeChoice.rows.map { trainVideos[$0] }),
        colour: .init(
          similarities: colour.allSimilarities(calibration.colours),
          labels: colour.labels, videos: colourChoice.rows.map { trainVideos[$0] }),
        pattern: .init(
          similarities: IconPattern.similarities(calibration.thumbnails, to: pattern),
          labels: pattern.labels, videos: patternChoice.rows.map { trainVideos[$0] })),
      knownRejectRate: knownRejectRate)
    return (shape, colour, pattern, thresholds)
  }

  /// With distortions on, a closure giving each step a batch of fresh bottlenecks of distorted
  /// training images (one encoder); nil otherwise.
  func distortedBatches(
    collection: ImageCollection, base: BaseNetwork, inputSize: Int, control: JobControl,
    label: @escaping (LabelledImage) -> Int = { $0.label }
  ) throws -> ((inout Classifier.SeededGenerator, Int) -> LabelledBottlenecks)? {
    let distortion = options.distortion
    guard distortion.isActive else { return nil }
    let pool = collection.images.filter { $0.set == .training }
    guard !pool.isEmpty else { return nil }
    // The steps run one after another, each waiting on its batch: one encoder on every core.
    let encoder = base.encoder(
      for: ThreadPolicy(
        tasks: 1, decoderThreads: 0, blasThreads: ProcessInfo.processInfo.activeProcessorCount))
    control.observer.note(
      "train: distortions on; every step computes \(options.training.batchSize) bottlenecks afresh")
    return { rng, count in
      var images: [RGBImage] = []
      var labels: [Int] = []
      var attempts = 0
      while images.count < count && attempts < 4 * count {
        attempts += 1
        let pick = pool[Int(rng.next() % UInt64(pool.count))]
        guard let image = try? JPEG.decode(fileAt: pick.path) else { continue }
        images.append(distortion.apply(image, using: &rng))
        labels.append(label(pick))
      }
      var batch = LabelledBottlenecks(inputSize: inputSize)
      for (v, label) in zip(encoder.bottlenecks(images), labels) { batch.append(v, label: label) }
      return batch
    }
  }

  /// One line per evaluation step.
  public static func progressLine(_ p: TrainingProgress) -> String {
    var line = String(
      format: "step %d: train accuracy %.1f%%, cross entropy %.4f", p.step, p.trainAccuracy * 100,
      p.crossEntropy)
    if let v = p.validationAccuracy {
      line += String(format: ", validation accuracy %.1f%%", v * 100)
    }
    return line
  }
}

/// `set` standardised by `trainer` (a copy).
private func standardized(_ set: LabelledBottlenecks, _ trainer: Trainer) -> LabelledBottlenecks {
  var copy = set
  trainer.standardize(&copy)
  return copy
}

/// The features of a crop folder, per split set, as `train` gathers them.
struct TrainingData {
  /// A crop's colour signature, icon pattern and (calibration crops only) thumbnail.
  struct Look: Sendable {
    var colour: [Float]
    var pattern: [Float]
    var thumbnail: [UInt8]?
  }

  /// One split set: bottlenecks, colour signatures, paths and source videos, row for row.
  struct Split {
    var bottlenecks: LabelledBottlenecks
    var colours: LabelledBottlenecks
    var paths: [String] = []
    /// The source video of each row (an id; -1 when unknown).
    var videos: [Int] = []

    init(inputSize: Int) {
      bottlenecks = LabelledBottlenecks(inputSize: inputSize)
      colours = LabelledBottlenecks(inputSize: ColourSignature.size)
    }
  }

  /// The three split sets.
  struct Sets {
    var training: Split
    var validation: Split
    var testing: Split

    subscript(_ set: DataSet) -> Split {
      get {
        switch set {
        case .training: training
        case .validation: validation
        case .testing: testing
        }
      }
      set {
        switch set {
        case .training: training = newValue
        case .validation: validation = newValue
        case .testing: testing = newValue
        }
      }
    }
  }

  /// The crops the "unknown" threshold is calibrated on.
  struct Calibration {
    var bottlenecks: LabelledBottlenecks
    var colours: [Float] = []
    var thumbnails: [UInt8] = []
    var videos: [Int] = []
    var heldOut: [Bool] = []
  }

  var sets: Sets
  var patternTraining = LabelledBottlenecks(inputSize: IconPattern.size)
  var calibration: Calibration
  var failed = 0
  /// How the bottlenecks were got (cache, computed, reused).
  var bottleneckUse = BottleneckUse()

  init(inputSize: Int) {
    sets = Sets(
      training: Split(inputSize: inputSize), validation: Split(inputSize: inputSize),
      testing: Split(inputSize: inputSize))
    calibration = Calibration(bottlenecks: LabelledBottlenecks(inputSize: inputSize))
  }

  /// Adds one crop with its features.
  mutating func add(_ image: LabelledImage, bottleneck: [Float], look: Look?, hero: String) {
    let colour = look?.colour ?? [Float](repeating: 0, count: ColourSignature.size)
    let key = "\(hero)/\((image.path as NSString).lastPathComponent)"
    sets[image.set].bottlenecks.append(bottleneck, label: image.label)
    sets[image.set].colours.append(colour, label: image.label)
    sets[image.set].paths.append(image.path)
    let video = videoID(key)
    sets[image.set].videos.append(video)
    if image.set == .training {
      patternTraining.append(
        look?.pattern ?? [Float](repeating: 0, count: IconPattern.size), label: image.label)
    }
    if let thumbnail = look?.thumbnail {
      calibration.bottlenecks.append(bottleneck, label: image.label)
      calibration.colours += colour
      calibration.thumbnails += thumbnail
      calibration.videos.append(video)
      calibration.heldOut.append(image.set == .validation)
    }
  }

  /// The source video of each crop, by `<hero>/<file name>`, from `index.csv` rows.
  var videoOf: [String: String] = [:]
  /// Ids of the source videos, numbered as first seen.
  private var videoIDs: [String: Int] = [:]

  /// Reads the crops' source videos from `index.csv` rows.
  mutating func setSources(_ rows: [IndexRow]) {
    for row in rows {
      let parts = row.file.split(separator: "/")
      guard parts.count >= 2 else { continue }
      videoOf["\(parts[parts.count - 2])/\(parts[parts.count - 1])"] = row.video
    }
  }

  /// The id of the video `key` came from; -1 when not known.
  private mutating func videoID(_ key: String) -> Int {
    guard let video = videoOf[key] else { return -1 }
    if let id = videoIDs[video] { return id }
    videoIDs[video] = videoIDs.count
    return videoIDs.count - 1
  }
}

/// The training benchmark (`train --bench-synthetic N`): the final layer trained on synthetic
/// 2048-d clusters, timed, on one BLAS thread.
public enum TrainBenchmark {
  /// Trains on about `images` synthetic bottlenecks of `classes` classes; one line of figures.
  public static func run(
    images: Int, classes: Int, spread: Float, options: TrainingOptions
  ) -> String {
    let classes = max(2, classes)
    let perClass = max(2, images / classes)
    let all = SyntheticBottlenecks.clusters(
      classes: classes, perClass: perClass + perClass / 8, spread: spread, seed: options.seed &+ 1)
    let (training, validation) = SyntheticBottlenecks.split(all, held: classes * (perClass / 8))
    ThreadPolicy(tasks: 1, decoderThreads: 0, blasThreads: 1).apply()
    let t0 = Date()
    let cpu0 = clock()
    var last: TrainingProgress?
    let trainer = Trainer.train(
      classCount: classes, training: training, validation: validation, options: options,
      report: { last = $0 })
    let seconds = Date().timeIntervalSince(t0)
    let cpuSeconds = Double(clock() - cpu0) / Double(CLOCKS_PER_SEC)
    let accuracy = trainer.evaluate(standardized: standardized(validation, trainer)).accuracy
    return String(
      format:
        "train bench: %d bottlenecks, %d classes, %d steps of batch %d (%@): %.2f s (CPU %.2f s), "
        + "final train accuracy %.3f, validation accuracy %.3f",
      training.count, classes, options.steps, options.batchSize, options.optimizer.rawValue,
      seconds, cpuSeconds, last?.trainAccuracy ?? 0, accuracy)
  }
}
