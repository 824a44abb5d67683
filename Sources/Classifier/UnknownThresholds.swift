import Foundation

/// When a clip's answer is "unknown": the two tests a clip must pass, with thresholds chosen at
/// training time on the validation set and stored in the model.
public struct UnknownThresholds: Sendable, Codable, Equatable {
  /// Minimum geometric-mean probability of the chosen hero over the clip's gameplay frames.
  public var minConfidence: Double
  /// Minimum mean (over the clip's gameplay frames) of the best cosine similarity between a
  /// frame's bottleneck and the chosen hero's prototypes (``Prototypes``).
  public var minSimilarity: Double
  /// Minimum mean (over the clip's gameplay frames) of the best similarity between a frame's
  /// colour signature and the chosen hero's colour prototypes (``ColourSignature``).
  public var minColourSimilarity: Double
  /// The fraction of simulated known clips (drawn from validation frames) that fall below each
  /// threshold when it was chosen.
  public var frameRejectRate: Double

  enum CodingKeys: String, CodingKey {
    case minConfidence = "min_confidence"
    case minSimilarity = "min_similarity"
    case minColourSimilarity = "min_colour_similarity"
    case frameRejectRate = "clip_reject_rate"
  }

  public init(
    minConfidence: Double, minSimilarity: Double, minColourSimilarity: Double = 0,
    frameRejectRate: Double = 0
  ) {
    self.minConfidence = minConfidence
    self.minSimilarity = minSimilarity
    self.minColourSimilarity = minColourSimilarity
    self.frameRejectRate = frameRejectRate
  }

  /// Thresholds from validation frames of known heroes, at the level `identify` applies them:
  /// clips. `simulatedClips` clips of `framesPerClip` frames are drawn (seeded, with replacement)
  /// from each hero's validation frames; each is scored as `ClipVerdict` scores a clip (geometric
  /// mean of the hero's floored probability, mean prototype and colour similarity), and each
  /// threshold is the `clipRejectRate` quantile of those scores, so about that fraction of known
  /// clips would be rejected. Each threshold is also capped (`maxConfidence`, `maxSimilarity`,
  /// `maxColourSimilarity`): validation frames come from the same videos as the training frames
  /// and are more alike than frames of new videos (docs/training.md has the figures).
  public static func choose(
    probabilities: [Float], similarities: [Float], colourSimilarities: [Float], labels: [Int],
    classCount: Int, clipRejectRate: Double = 0.02, framesPerClip: Int = 3,
    simulatedClips: Int = 500, maxConfidence: Double = 0.5, maxSimilarity: Double = 0.4,
    maxColourSimilarity: Double = 0.8
  ) -> UnknownThresholds {
    precondition(probabilities.count == labels.count * classCount)
    precondition(similarities.count == labels.count * classCount)
    precondition(colourSimilarities.count == labels.count * classCount)
    var byClass = [[Int]](repeating: [], count: classCount)
    for (r, y) in labels.enumerated() { byClass[y].append(r) }
    var rng = SeededGenerator(seed: 0x7E57)
    var conf: [Double] = []
    var sim: [Double] = []
    var colour: [Double] = []
    for (y, rows) in byClass.enumerated() where !rows.isEmpty {
      for _ in 0..<simulatedClips {
        var logP = 0.0
        var s = 0.0
        var c = 0.0
        for _ in 0..<max(framesPerClip, 1) {
          let r = rows[Int(rng.next() % UInt64(rows.count))]
          let p = Double(probabilities[r * classCount + y])
          logP += log(max(p, ClipVerdict.frameProbabilityFloor))
          s += Double(similarities[r * classCount + y])
          c += Double(colourSimilarities[r * classCount + y])
        }
        let n = Double(max(framesPerClip, 1))
        conf.append(exp(logP / n))
        sim.append(s / n)
        colour.append(c / n)
      }
    }
    guard !conf.isEmpty else {
      return UnknownThresholds(
        minConfidence: 0, minSimilarity: -1, minColourSimilarity: -1,
        frameRejectRate: clipRejectRate)
    }
    return UnknownThresholds(
      minConfidence: min(quantile(conf, clipRejectRate), maxConfidence),
      minSimilarity: min(quantile(sim, clipRejectRate), maxSimilarity),
      minColourSimilarity: min(quantile(colour, clipRejectRate), maxColourSimilarity),
      frameRejectRate: clipRejectRate)
  }

  /// The q-quantile (lower, no interpolation) of `values`.
  static func quantile(_ values: [Double], _ q: Double) -> Double {
    let s = values.sorted()
    let i = Int((Double(s.count - 1) * min(max(q, 0), 1)).rounded(.down))
    return s[i]
  }
}
