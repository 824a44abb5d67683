import Foundation
import HeroCore
import InceptionKernels

/// A trained model: the labels, the final layer, hero prototypes and thresholds for
/// "unknown", and what it was trained with. Stored as a directory (docs/model-format.md):
/// `model.json` (everything but the numbers), `weights.f32` (float32 little-endian arrays, in the
/// order and sizes `model.json` lists) and `labels.txt` (one label a line, for people).
public struct HeroModel: Sendable {
  public var labels: [String]
  public var layer: FinalLayer
  /// Examples of each hero's bottlenecks, for the shape part of the "unknown" test.
  public var prototypes: Prototypes
  /// Examples of each hero's colour signatures (``ColourSignature``).
  public var colourPrototypes: Prototypes
  /// Examples of each hero's icon patterns (``IconPattern``; no mean, unit rows).
  public var patternPrototypes: Prototypes
  public var thresholds: UnknownThresholds
  public var info: ModelInfo
  /// Final-layer outputs per hero: 1, or, for a model of several skill slots, one class per
  /// (hero, slot) — each of a hero's icons its own class, outputs `hero * iconsPerClass + k` —
  /// whose probabilities are summed per hero (``heroProbabilities(_:)``). One linear class per
  /// icon separates the heroes better than one class covering three different icons.
  public var iconsPerClass: Int

  public init(
    labels: [String], layer: FinalLayer, prototypes: Prototypes, colourPrototypes: Prototypes,
    patternPrototypes: Prototypes, thresholds: UnknownThresholds, info: ModelInfo,
    iconsPerClass: Int = 1
  ) {
    precondition(colourPrototypes.classCount == labels.count)
    precondition(patternPrototypes.classCount == labels.count)
    precondition(patternPrototypes.inputSize == IconPattern.size)
    precondition(iconsPerClass >= 1 && labels.count * iconsPerClass == layer.classCount)
    precondition(prototypes.classCount == labels.count)
    precondition(prototypes.inputSize == layer.inputSize)
    self.labels = labels
    self.layer = layer
    self.prototypes = prototypes
    self.colourPrototypes = colourPrototypes
    self.patternPrototypes = patternPrototypes
    self.thresholds = thresholds
    self.info = info
    self.iconsPerClass = iconsPerClass
  }

  /// Per-hero probabilities from the final layer's (`rows × labels.count × iconsPerClass`):
  /// each hero's icons summed.
  public func heroProbabilities(_ p: [Float]) -> [Float] {
    Self.summing(p, icons: iconsPerClass)
  }

  /// `rows × (classes × icons)` probabilities summed over each class's `icons` consecutive
  /// outputs; the same array when `icons` is 1.
  public static func summing(_ p: [Float], icons: Int) -> [Float] {
    guard icons > 1 else { return p }
    var out = [Float](repeating: 0, count: p.count / icons)
    for i in out.indices {
      var sum: Float = 0
      for k in 0..<icons { sum += p[i * icons + k] }
      out[i] = sum
    }
    return out
  }

  /// Per-row class probabilities and best similarities to each class's prototypes, for raw
  /// bottlenecks (`rows × inputSize`); both `rows × classCount`.
  public func scores(_ bottlenecks: [Float]) -> (probabilities: [Float], similarities: [Float]) {
    (heroProbabilities(layer.probabilities(bottlenecks)), prototypes.similarities(bottlenecks))
  }

  /// The observations of gameplay frames from their bottlenecks (`rows × inputSize`) and looks,
  /// row by row.
  public func observe(bottlenecks: [Float], looks: [CropLook], ptsSeconds: [Double])
    -> [FrameObservation]
  {
    let (p, s) = scores(bottlenecks)
    let cs = colourPrototypes.similarities(looks.flatMap(\.colour))
    let ps = patternPrototypes.bestPerClass(
      IconPattern.similarities(looks.flatMap(\.thumbnail), to: patternPrototypes))
    let c = labels.count
    return ptsSeconds.enumerated().map { row, t in
      let range = (row * c)..<((row + 1) * c)
      return FrameObservation(
        ptsSeconds: t, screen: .gameplay, probabilities: Array(p[range]),
        similarities: Array(s[range]), colourSimilarities: Array(cs[range]),
        patternSimilarities: Array(ps[range]))
    }
  }
}

/// What a model was trained with, kept in `model.json`.
public struct ModelInfo: Sendable, Codable, Equatable {
  /// SHA-1 of the Inception v3 weights file the bottlenecks came from.
  public var baseNetworkSHA1: String
  public var baseNetwork = "Inception v3 2015-12-05, pool_3 (2048 floats)"
  public var preprocessing = Preprocessing()
  public var layout: LayoutProfile
  public var training: TrainingSummary
  /// The skill slots whose crops trained the model (e.g. ["skill1", "skill2", "skill3"]); nil
  /// for a model from before slots were recorded, trained on the layout's crop slot alone.
  public var slots: [String]?
  /// The arithmetic of the base network the training bottlenecks came from (`train
  /// --precision`); nil for a model from before int8 training, whose bottlenecks were fp32.
  /// `identify` runs this precision unless told otherwise: the final layer, the prototypes and
  /// the "unknown" threshold were fitted to its bottlenecks.
  public var precision: Precision?

  enum CodingKeys: String, CodingKey {
    case baseNetworkSHA1 = "base_network_sha1"
    case baseNetwork = "base_network"
    case preprocessing, layout, training, slots, precision
  }

  /// The precision the model was trained with (fp32 for a model that does not say).
  public var trainedPrecision: Precision { precision ?? .fp32 }

  /// The slots `identify` crops for this model: the recorded ones, else the layout's crop slot.
  public var cropSlots: [String] { slots ?? [layout.crop.slot] }

  public init(baseNetworkSHA1: String, layout: LayoutProfile, training: TrainingSummary) {
    self.baseNetworkSHA1 = baseNetworkSHA1
    self.layout = layout
    self.training = training
  }
}

/// How an image becomes the network's input (CONTRACT.md), recorded for reproducibility.
public struct Preprocessing: Sendable, Codable, Equatable {
  public var jpeg = "libjpeg-turbo, accurate islow IDCT, fancy upsampling"
  public var resize = "bilinear to 299x299, half-pixel centres, no antialiasing"
  public var normalize = "(x - 128) / 128, RGB"
  public var features = "per-feature standardisation with the training set's mean and std"

  public init() {}
}

/// The numbers of a training run, kept in `model.json`.
///
/// `curve`, `imagesPerHero`, `testConfusion`, `misclassified` and `cropsDir` were added after
/// format version 3 was fixed; they are optional, so models written before them still load (and
/// `hero-id report` says what they lack).
public struct TrainingSummary: Sendable, Codable, Equatable {
  public var options: TrainingOptions
  public var images: [String: Int]
  public var validationAccuracy: Double?
  public var testAccuracy: Double?
  public var distortions: ImageDistortion
  public var trainedAt: String
  public var seconds: Double
  /// Heroes left out of training for too few crops, with their crop counts (absent when none).
  public var leftOut: [String: Int]?
  /// Training accuracy, cross entropy (both on that step's batch) and validation accuracy at
  /// every evaluation step (`--eval-step-interval`), as printed on stderr.
  public var curve: [CurvePoint]?
  /// Images per hero and set (`training`, `validation`, `testing`).
  public var imagesPerHero: [String: [String: Int]]?
  /// The test split's confusion matrix: row = true label, column = predicted label, both in
  /// the order of the model's `labels`.
  public var testConfusion: [[Int]]?
  /// The misclassified test images, as paths relative to `cropsDir`.
  public var misclassified: [Misclassified]?
  /// The crop folder the model was trained on, as given to `train`.
  public var cropsDir: String?
  /// The crops whose label the trained model disputes most (the review sheet, issue 27).
  public var disputed: [Disputed]?

  /// One evaluation step of the training run.
  public struct CurvePoint: Sendable, Codable, Equatable {
    public var step: Int
    public var trainAccuracy: Double
    public var crossEntropy: Double
    public var validationAccuracy: Double?

    enum CodingKeys: String, CodingKey {
      case step
      case trainAccuracy = "train_accuracy"
      case crossEntropy = "cross_entropy"
      case validationAccuracy = "validation_accuracy"
    }

    public init(step: Int, trainAccuracy: Double, crossEntropy: Double, validationAccuracy: Double?)
    {
      self.step = step
      self.trainAccuracy = trainAccuracy
      self.crossEntropy = crossEntropy
      self.validationAccuracy = validationAccuracy
    }

    /// The point of a progress report.
    public init(_ progress: TrainingProgress) {
      self.init(
        step: progress.step, trainAccuracy: progress.trainAccuracy,
        crossEntropy: progress.crossEntropy, validationAccuracy: progress.validationAccuracy)
    }
  }

  /// A test image the final layer got wrong.
  public struct Misclassified: Sendable, Codable, Equatable {
    /// The image, relative to the crop folder (`<hero>/<file>.jpg`).
    public var file: String
    public var hero: String
    public var predicted: String

    public init(file: String, hero: String, predicted: String) {
      self.file = file
      self.hero = hero
      self.predicted = predicted
    }
  }

  /// A crop of any set whose label the model doubts: it names `named` with probability
  /// `pNamed`, the label `hero` with `pLabel`.
  public struct Disputed: Sendable, Codable, Equatable {
    /// The image, relative to the crop folder where it lies under it.
    public var file: String
    public var hero: String
    public var named: String
    public var pNamed: Double
    public var pLabel: Double
    /// Its split set.
    public var set: String

    enum CodingKeys: String, CodingKey {
      case file, hero, named, set
      case pNamed = "p_named"
      case pLabel = "p_label"
    }

    public init(
      file: String, hero: String, named: String, pNamed: Double, pLabel: Double, set: String
    ) {
      self.file = file
      self.hero = hero
      self.named = named
      self.pNamed = pNamed
      self.pLabel = pLabel
      self.set = set
    }

    /// `{"file", "hero", "named", "p_named", "p_label", "set"}`.
    public var json: JSONValue {
      .object([
        "file": .string(file), "hero": .string(hero), "named": .string(named),
        "p_named": .rounded(pNamed), "p_label": .rounded(pLabel), "set": .string(set),
      ])
    }
  }

  enum CodingKeys: String, CodingKey {
    case options, images, distortions, seconds, curve, misclassified, disputed
    case validationAccuracy = "validation_accuracy"
    case testAccuracy = "test_accuracy"
    case trainedAt = "trained_at"
    case leftOut = "left_out"
    case imagesPerHero = "images_per_hero"
    case testConfusion = "test_confusion"
    case cropsDir = "crops_dir"
  }

  public init(
    options: TrainingOptions, images: [String: Int], validationAccuracy: Double?,
    testAccuracy: Double?, distortions: ImageDistortion, trainedAt: String, seconds: Double
  ) {
    self.options = options
    self.images = images
    self.validationAccuracy = validationAccuracy
    self.testAccuracy = testAccuracy
    self.distortions = distortions
    self.trainedAt = trainedAt
    self.seconds = seconds
  }

  /// The confusion matrix of `predictions` against `labels` (class indices below
  /// `classCount`; others are skipped).
  public static func confusion(labels: [Int], predictions: [Int], classCount: Int) -> [[Int]] {
    var m = [[Int]](repeating: [Int](repeating: 0, count: classCount), count: classCount)
    for (t, p) in zip(labels, predictions)
    where (0..<classCount).contains(t)
      && (0..<classCount).contains(p)
    {
      m[t][p] += 1
    }
    return m
  }
}

// The facts `train` records for `hero-id report` beyond the accuracies.
extension TrainingSummary {
  /// Images per hero and set name, from each set's labels.
  public static func imagesPerHero(classes: [String], sets: [DataSet: [Int]]) -> [String: [String:
    Int]]
  {
    var counts: [String: [String: Int]] = [:]
    for name in classes { counts[name] = ["training": 0, "validation": 0, "testing": 0] }
    for (set, labels) in sets {
      for label in labels where classes.indices.contains(label) {
        counts[classes[label], default: [:]][set.rawValue, default: 0] += 1
      }
    }
    return counts
  }

  /// The review sheet: of every image (`paths`, class `labels`, class-level `probabilities`
  /// row-major, `sets`), those the model names another hero for, the widest margin first
  /// (p(named) − p(label)), at most `count`.
  public static func disputed(
    paths: [String], cropsDir: String, classes: [String], labels: [Int], probabilities: [Float],
    sets: [String], count: Int
  ) -> [Disputed] {
    let c = classes.count
    guard count > 0, c > 0, probabilities.count == labels.count * c else { return [] }
    var found: [(margin: Float, item: Disputed)] = []
    for (i, label) in labels.enumerated() where classes.indices.contains(label) && i < paths.count {
      let row = probabilities[(i * c)..<((i + 1) * c)]
      guard let best = row.indices.max(by: { row[$0] < row[$1] }) else { continue }
      let named = best - i * c
      guard named != label else { continue }
      let margin = row[best] - row[i * c + label]
      found.append(
        (
          margin,
          Disputed(
            file: relative(paths[i], to: cropsDir), hero: classes[label], named: classes[named],
            pNamed: Double(row[best]), pLabel: Double(row[i * c + label]),
            set: i < sets.count ? sets[i] : "")
        ))
    }
    return found.sorted { ($0.margin, $1.item.file) > ($1.margin, $0.item.file) }.prefix(count)
      .map(\.item)
  }

  /// `path` relative to `cropsDir` where it lies under it.
  static func relative(_ path: String, to cropsDir: String) -> String {
    let root = URL(fileURLWithPath: cropsDir).standardizedFileURL.path + "/"
    let full = URL(fileURLWithPath: path).standardizedFileURL.path
    return full.hasPrefix(root) ? String(full.dropFirst(root.count)) : path
  }

  /// The misclassified test images, with paths relative to `cropsDir` where they lie under it.
  public static func misclassified(
    paths: [String], cropsDir: String, classes: [String], labels: [Int], predictions: [Int]
  ) -> [Misclassified] {
    var out: [Misclassified] = []
    for (i, (label, predicted)) in zip(labels, predictions).enumerated()
    where label != predicted && i < paths.count && classes.indices.contains(label)
      && classes.indices.contains(predicted)
    {
      out.append(
        .init(
          file: relative(paths[i], to: cropsDir), hero: classes[label],
          predicted: classes[predicted]))
    }
    return out
  }
}
