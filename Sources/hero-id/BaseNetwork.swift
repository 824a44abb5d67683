import Classifier
import Foundation
import HeroCore

/// The base network as `train` and `identify` use it: loaded once, its SHA-1 for caches and
/// models, and a factory of per-task bottleneck encoders (one `InceptionV3` each).
struct BaseNetwork: Sendable {
  let path: String
  let weights: InceptionWeights

  var sha1: String { weights.sha1 }

  /// Loads the weights at `--inception`, `$HERO_ID_INCEPTION` or the home folder.
  static func load(override: String?) throws -> BaseNetwork {
    let path = HeroIDHome.inceptionPath(override: override)
    return BaseNetwork(path: path, weights: try InceptionWeights.load(path: path))
  }

  /// A new encoder for one task.
  var makeEncoder: @Sendable () throws -> any BottleneckEncoder {
    let weights = self.weights
    return { InceptionV3(weights: weights) }
  }
}
