import Foundation
import HeroCore
import Inception
import InceptionKernels

/// The base network as the jobs use it: loaded once, its SHA-1 for caches and models, and a
/// factory of per-task bottleneck encoders (one `InceptionV3` each).
public struct BaseNetwork: Sendable {
  /// The weights file.
  public let path: String
  public let weights: InceptionWeights
  /// The arithmetic of the encoders' convolutions (`--precision`; a model records the one it
  /// was trained with, and `identify` runs that one by default).
  public let precision: Precision

  public var sha1: String { weights.sha1 }

  /// What a crop's bottleneck depends on besides the crop (the bottleneck cache's key): for
  /// fp32 the weights' SHA-1 (as caches written before int8 existed), for int8 the SHA-1 of the
  /// weights' SHA-1, the precision, the int8 arithmetic's version and the calibration table the
  /// int8 layers use.
  public var bottleneckIdentity: String {
    switch precision {
    case .fp32: sha1
    case .int8:
      SHA1.hex(
        "\(sha1):int8:\(Int8Calibration.scheme):\(Int8Calibration.bundled.jsonText)")
    }
  }

  /// The same weights, with encoders of `precision`.
  public func with(precision: Precision) -> BaseNetwork {
    BaseNetwork(path: path, weights: weights, precision: precision)
  }

  public init(path: String, weights: InceptionWeights, precision: Precision = .fp32) {
    self.path = path
    self.weights = weights
    self.precision = precision
  }

  /// Loads the weights at `override` (`--inception`), `$HERO_ID_INCEPTION` or the home folder.
  public static func load(override: String?, precision: Precision = .fp32) throws -> BaseNetwork {
    let path = HeroIDHome.inceptionPath(override: override)
    return BaseNetwork(
      path: path, weights: try InceptionWeights.load(path: path), precision: precision)
  }

  /// A new encoder for one task.
  public var makeEncoder: @Sendable () throws -> any BottleneckEncoder {
    let (weights, precision) = (self.weights, self.precision)
    return { InceptionV3(weights: weights, precision: precision) }
  }

  /// The encoder a run of `policy` gives each of its items: with one item at a time, one that
  /// keeps every core busy on its own (lanes across a batch, a team splitting a lone image's
  /// layers, OpenBLAS at one thread), since OpenBLAS's threads alone leave the transforms,
  /// im2col and pools on one core; with several, a one-thread encoder per item.
  public func encoder(for policy: ThreadPolicy) -> any BottleneckEncoder {
    InceptionV3(
      weights: weights, batchSize: 4, threads: policy.tasks == 1 ? policy.blasThreads : 1,
      precision: precision)
  }
}
