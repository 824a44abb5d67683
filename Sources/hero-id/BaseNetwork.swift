import Classifier
import Foundation
import HeroCore

/// The base network as the CLI uses it: loaded once, its SHA-1 for caches and models, and a
/// factory of per-task bottleneck encoders.
struct BaseNetwork: Sendable {
  let path: String
  let sha1: String
  let makeEncoder: @Sendable () throws -> any BottleneckEncoder

  /// Loads the weights at `--inception`, `$HERO_ID_INCEPTION` or the home folder.
  static func load(override: String?) throws -> BaseNetwork {
    let path = HeroIDHome.inceptionPath(override: override)
    throw BaseNetworkError.unavailable(path: path)
  }

  /// Threads for OpenBLAS: 1 when tasks run in parallel, else the cores.
  static func setBLASThreads(_ n: Int) {}
}

enum BaseNetworkError: Error, CustomStringConvertible {
  case unavailable(path: String)
  var description: String {
    switch self {
    case .unavailable(let p): "\(p): the Inception v3 forward pass is not in this build yet"
    }
  }
}
