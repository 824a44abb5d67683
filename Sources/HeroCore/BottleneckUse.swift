import Foundation

/// How a run got its crops' bottlenecks (issue 28, "no work done twice"): `crops` needed one;
/// `computed` went through the network; `reused` took the bottleneck of a crop pixel for pixel
/// identical to one already encoded in the run (``reused`` of ``crops``); `cached` (`train`
/// only) came from the bottleneck cache. `crops` = `computed` + `reused` + `cached` + the
/// crops that could not be read.
public struct BottleneckUse: Codable, Sendable, Equatable {
  public var crops: Int
  public var computed: Int
  public var reused: Int
  /// Found in the bottleneck cache (`train`); nil where there is no cache (`identify`).
  public var cached: Int?

  public init(crops: Int = 0, computed: Int = 0, reused: Int = 0, cached: Int? = nil) {
    self.crops = crops
    self.computed = computed
    self.reused = reused
    self.cached = cached
  }

  /// Whether runs reuse bottlenecks: yes, unless the environment has `HERO_ID_REUSE=off` (a
  /// switch for comparing and timing; docs/inception.md).
  public static var reuseByDefault: Bool {
    ProcessInfo.processInfo.environment["HERO_ID_REUSE"]?.lowercased() != "off"
  }

  /// Both runs' counts added (a batch's clips).
  public static func + (a: BottleneckUse, b: BottleneckUse) -> BottleneckUse {
    BottleneckUse(
      crops: a.crops + b.crops, computed: a.computed + b.computed, reused: a.reused + b.reused,
      cached: a.cached == nil && b.cached == nil ? nil : (a.cached ?? 0) + (b.cached ?? 0))
  }

  /// `{"crops", "computed", "reused"}`, then `"cached"` where there is a cache.
  public var json: JSONValue {
    .object([
      "crops": .int(crops), "computed": .int(computed), "reused": .int(reused),
      "cached": cached.map { .int($0) },
    ])
  }

  /// "bottlenecks reused: R of C (K computed[, N from the cache])".
  public var text: String {
    "bottlenecks reused: \(reused) of \(crops) (\(computed) computed"
      + (cached.map { ", \($0) from the cache" } ?? "") + ")"
  }
}
