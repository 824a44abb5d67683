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

  public init(
    labels: [String], layer: FinalLayer, prototypes: Prototypes, colourPrototypes: Prototypes,
    patternPrototypes: Prototypes, thresholds: UnknownThresholds, info: ModelInfo
  ) {
    precondition(colourPrototypes.classCount == labels.count)
    precondition(patternPrototypes.classCount == labels.count)
    precondition(patternPrototypes.inputSize == IconPattern.size)
    precondition(labels.count == layer.classCount && prototypes.classCount == labels.count)
    precondition(prototypes.inputSize == layer.inputSize)
    self.labels = labels
    self.layer = layer
    self.prototypes = prototypes
    self.colourPrototypes = colourPrototypes
    self.patternPrototypes = patternPrototypes
    self.thresholds = thresholds
    self.info = info
  }

  /// Per-row class probabilities and best similarities to each class's prototypes, for raw
  /// bottlenecks (`rows × inputSize`); both `rows × classCount`.
  public func scores(_ bottlenecks: [Float]) -> (probabilities: [Float], similarities: [Float]) {
    (layer.probabilities(bottlenecks), prototypes.similarities(bottlenecks))
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

  enum CodingKeys: String, CodingKey {
    case baseNetworkSHA1 = "base_network_sha1"
    case baseNetwork = "base_network"
    case preprocessing, layout, training
  }

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
public struct TrainingSummary: Sendable, Codable, Equatable {
  public var options: TrainingOptions
  public var images: [String: Int]
  public var validationAccuracy: Double?
  public var testAccuracy: Double?
  public var distortions: ImageDistortion
  public var trainedAt: String
  public var seconds: Double

  enum CodingKeys: String, CodingKey {
    case options, images, distortions, seconds
    case validationAccuracy = "validation_accuracy"
    case testAccuracy = "test_accuracy"
    case trainedAt = "trained_at"
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
}
