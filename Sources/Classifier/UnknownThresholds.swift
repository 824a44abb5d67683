import Foundation

/// When a clip's answer is "unknown": the two tests a clip must pass, with thresholds chosen at
/// training time on the validation set and stored in the model.
public struct UnknownThresholds: Sendable, Codable, Equatable {
  /// Minimum geometric-mean probability of the chosen hero over the clip's gameplay frames.
  public var minConfidence: Double
  /// Minimum mean (over the clip's gameplay frames) of the best cosine similarity between a
  /// frame's bottleneck and the chosen hero's prototypes (``Prototypes``).
  public var minSimilarity: Double
  /// The fraction of validation frames of known heroes that fall below each threshold.
  public var frameRejectRate: Double

  enum CodingKeys: String, CodingKey {
    case minConfidence = "min_confidence"
    case minSimilarity = "min_similarity"
    case frameRejectRate = "frame_reject_rate"
  }

  public init(minConfidence: Double, minSimilarity: Double, frameRejectRate: Double = 0) {
    self.minConfidence = minConfidence
    self.minSimilarity = minSimilarity
    self.frameRejectRate = frameRejectRate
  }

  /// Thresholds from validation frames of known heroes: each is the `frameRejectRate` quantile of
  /// that measure for the true class (probability of the true hero, similarity to its prototypes),
  /// so a single known frame is rejected with about that rate, and a clip, which averages
  /// several frames, far less often. The confidence threshold is capped at `maxConfidence`.
  public static func choose(
    probabilities: [Float], similarities: [Float], labels: [Int], classCount: Int,
    frameRejectRate: Double = 0.02, maxConfidence: Double = 0.5
  ) -> UnknownThresholds {
    precondition(probabilities.count == labels.count * classCount)
    precondition(similarities.count == labels.count * classCount)
    guard !labels.isEmpty else {
      return UnknownThresholds(
        minConfidence: 0, minSimilarity: -1, frameRejectRate: frameRejectRate)
    }
    var conf: [Double] = []
    var sim: [Double] = []
    for (r, y) in labels.enumerated() {
      conf.append(Double(probabilities[r * classCount + y]))
      sim.append(Double(similarities[r * classCount + y]))
    }
    return UnknownThresholds(
      minConfidence: min(quantile(conf, frameRejectRate), maxConfidence),
      minSimilarity: quantile(sim, frameRejectRate), frameRejectRate: frameRejectRate)
  }

  /// The q-quantile (lower, no interpolation) of `values`.
  static func quantile(_ values: [Double], _ q: Double) -> Double {
    let s = values.sorted()
    let i = Int((Double(s.count - 1) * min(max(q, 0), 1)).rounded(.down))
    return s[i]
  }
}
