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

  public var sha1: String { weights.sha1 }

  public init(path: String, weights: InceptionWeights) {
    self.path = path
    self.weights = weights
  }

  /// Loads the weights at `override` (`--inception`), `$HERO_ID_INCEPTION` or the home folder.
  public static func load(override: String?) throws -> BaseNetwork {
    let path = HeroIDHome.inceptionPath(override: override)
    return BaseNetwork(path: path, weights: try InceptionWeights.load(path: path))
  }

  /// A new encoder for one task.
  public var makeEncoder: @Sendable () throws -> any BottleneckEncoder {
    let weights = self.weights
    return { InceptionV3(weights: weights) }
  }
}
