import Foundation
import HeroCore
import InceptionKernels

/// What one key frame of a clip showed: its screen and, for gameplay frames, the model's
/// per-class probabilities and similarities to each class's prototypes.
public struct FrameObservation: Sendable, Equatable {
  public var ptsSeconds: Double
  public var screen: Screen
  /// Class probabilities (gameplay frames only).
  public var probabilities: [Float]?
  /// Best cosine similarity to each class's prototypes (gameplay frames only).
  public var similarities: [Float]?
  /// Best similarity of the crop's colour signature to each class's (gameplay frames only).
  public var colourSimilarities: [Float]?
  /// Best correlation of the crop's icon pattern with each class's (gameplay frames only).
  public var patternSimilarities: [Float]?

  public init(
    ptsSeconds: Double, screen: Screen, probabilities: [Float]? = nil,
    similarities: [Float]? = nil, colourSimilarities: [Float]? = nil,
    patternSimilarities: [Float]? = nil
  ) {
    self.ptsSeconds = ptsSeconds
    self.screen = screen
    self.probabilities = probabilities
    self.similarities = similarities
    self.colourSimilarities = colourSimilarities
    self.patternSimilarities = patternSimilarities
  }
}

extension FrameObservation {
  /// One frame's observation from the observations of its skill slots' crops (a model that
  /// reads all three slots, ``ModelInfo/cropSlots``): the class probabilities are the slots'
  /// geometric mean, renormalised (a product of experts, each floored at
  /// ``ClipVerdict/frameProbabilityFloor`` so one slot under an effect cannot veto a hero), and
  /// each similarity is the slots' mean. A swapped layout shows the same three icons in other
  /// places, so it gives the same frame. One slot gives itself back; none gives nil.
  public static func combining(_ slots: [FrameObservation]) -> FrameObservation? {
    guard let first = slots.first else { return nil }
    guard slots.count > 1 else { return first }
    func mean(_ values: (FrameObservation) -> [Float]?) -> [Float]? {
      let all = slots.compactMap(values)
      guard all.count == slots.count, let n = all.first?.count, all.allSatisfy({ $0.count == n })
      else { return nil }
      return (0..<n).map { j in all.reduce(0) { $0 + $1[j] } / Float(all.count) }
    }
    var p: [Float]?
    let probabilities = slots.compactMap(\.probabilities)
    if probabilities.count == slots.count, let n = probabilities.first?.count,
      probabilities.allSatisfy({ $0.count == n })
    {
      let logs = (0..<n).map { j in
        probabilities.reduce(0.0) {
          $0 + log(max(Double($1[j]), ClipVerdict.frameProbabilityFloor))
        } / Double(probabilities.count)
      }
      let top = logs.max() ?? 0
      let e = logs.map { exp($0 - top) }
      let sum = e.reduce(0, +)
      p = e.map { Float($0 / sum) }
    }
    return FrameObservation(
      ptsSeconds: first.ptsSeconds, screen: first.screen, probabilities: p,
      similarities: mean(\.similarities), colourSimilarities: mean(\.colourSimilarities),
      patternSimilarities: mean(\.patternSimilarities))
  }
}

/// One answer for a clip from all its gameplay frames.
///
/// Each class is scored by its mean log-probability over the voting frames (a product of
/// experts: many consistent frames win, and one odd frame cannot veto a hero), each probability
/// floored at `frameProbabilityFloor`; the best class wins (`top` gives each class's geometric
/// mean of its floored per-frame probabilities). The voting frames are the gameplay frames
/// whose crop is familiar enough with their own best hero (a crop under a comment, a subtitle
/// or an effect looks like no hero's, so it cannot outvote the clean frames, however
/// confidently it reads), or every gameplay frame when none is. The answer is "unknown"
/// (`hero == nil`, with a `reason`) when there is no gameplay frame, or when the clip's
/// familiarity with the winner (``UnknownThresholds``: the median over the frames of pattern,
/// colour and half the shape similarity) is below the model's `minFamiliarity`: the softmax
/// always names somebody, and a hero the model never saw is named with confidence as often as
/// not, so the decision rests on how much the crops look like the winner's training crops.
///
/// `confidence` is the share of the gameplay frames that support the answer given, read from
/// the same evidence as the decision: for a named hero, the frames whose own best class is
/// that hero and whose familiarity with it clears the threshold; for "unknown" because the
/// crops are unlike the best guess's, the frames whose familiarity with it is below the
/// threshold; 0 when there is no gameplay frame (no evidence either way). 0.875 reads "7 of 8
/// gameplay frames say so".
public struct ClipVerdict: Sendable, Equatable {
  public struct Candidate: Sendable, Equatable {
    public var hero: String
    /// Geometric mean over the voting frames of this hero's probability.
    public var p: Double
  }

  public struct TimelineEntry: Sendable, Equatable {
    public var t: Double
    public var screen: Screen
    /// The frame's own best hero (gameplay frames only).
    public var hero: String?
    public var p: Double?
  }

  public var hero: String?
  /// The share of the gameplay frames that support the answer (see the type's notes).
  public var confidence: Double
  /// Median over the gameplay frames of the best similarity to the winner's prototypes.
  public var similarity: Double?
  /// The same for the colour signatures, and for the icon patterns.
  public var colourSimilarity: Double?
  public var patternSimilarity: Double?
  /// The clip's familiarity with the winner (median over the frames), compared with the
  /// threshold.
  public var familiarity: Double?
  public var reason: String?
  public var frames: Int
  public var gameplayFrames: Int
  /// The gameplay frames that voted on the name (``voters(_:classes:thresholds:)``): those
  /// familiar enough with their own best hero, or all when none is.
  public var voterFrames: Int
  public var top: [Candidate]
  public var timeline: [TimelineEntry]

  /// Per-frame probabilities are floored at this value before their logs are averaged, so one
  /// odd frame (a transition, an effect over the button) costs a hero at most `log(0.02)` / n
  /// instead of vetoing it.
  public static let frameProbabilityFloor = 0.02

  public init(
    observations: [FrameObservation], labels: [String], thresholds: UnknownThresholds,
    topCount: Int = 3
  ) {
    let c = labels.count
    frames = observations.count
    timeline = observations.map { o in
      guard o.screen == .gameplay, let p = o.probabilities, p.count == c else {
        return TimelineEntry(t: o.ptsSeconds, screen: o.screen, hero: nil, p: nil)
      }
      let best = p.indices.max { p[$0] < p[$1] } ?? 0
      return TimelineEntry(
        t: o.ptsSeconds, screen: o.screen, hero: labels[best], p: Double(p[best]))
    }
    let gameplay = observations.filter {
      $0.screen == .gameplay && $0.probabilities?.count == c
    }
    gameplayFrames = gameplay.count
    guard !gameplay.isEmpty, c > 0 else {
      hero = nil
      confidence = 0
      voterFrames = 0
      similarity = nil
      colourSimilarity = nil
      patternSimilarity = nil
      familiarity = nil
      top = []
      reason =
        "no gameplay frame among \(observations.count) key frame\(observations.count == 1 ? "" : "s")"
      return
    }
    // The voters: the frames whose crop is familiar enough with their own best hero, when
    // there is one; else every gameplay frame. A crop under a comment, a subtitle or an effect
    // looks like no hero's training crops, so it cannot outvote the clean frames however
    // confidently it reads as somebody else (issue 26).
    let voters = Self.voters(gameplay, classes: c, thresholds: thresholds)
    voterFrames = voters.count
    var score = [Double](repeating: 0, count: c)
    for o in voters {
      guard let p = o.probabilities else { continue }
      for j in 0..<c { score[j] += log(max(Double(p[j]), Self.frameProbabilityFloor)) }
    }
    for j in 0..<c { score[j] /= Double(voters.count) }
    let order = score.indices.sorted {
      score[$0] > score[$1] || (score[$0] == score[$1] && $0 < $1)
    }
    let best = order[0]
    top = order.prefix(max(topCount, 1)).map { Candidate(hero: labels[$0], p: exp(score[$0])) }
    func winner(_ values: (FrameObservation) -> [Float]?) -> [Double]? {
      let v = gameplay.compactMap { o -> Double? in
        guard let s = values(o), s.count == c else { return nil }
        return Double(s[best])
      }
      return v.count == gameplay.count ? v : nil
    }
    let shape = winner { $0.similarities }
    let colour = winner { $0.colourSimilarities }
    let pattern = winner { $0.patternSimilarities }
    similarity = shape.flatMap(UnknownThresholds.clipFamiliarity)
    colourSimilarity = colour.flatMap(UnknownThresholds.clipFamiliarity)
    patternSimilarity = pattern.flatMap(UnknownThresholds.clipFamiliarity)
    if let shape, let colour, let pattern {
      familiarity = UnknownThresholds.clipFamiliarity(
        gameplay.indices.map {
          UnknownThresholds.familiarity(shape: shape[$0], colour: colour[$0], pattern: pattern[$0])
        })
    } else {
      familiarity = nil
    }
    let guess = labels[best]
    // Per frame: its own best class, and whether its crop is familiar enough with the winner.
    let frameBest = gameplay.map { o -> Int in
      let p = o.probabilities ?? []
      return p.indices.max { p[$0] < p[$1] || (p[$0] == p[$1] && $0 > $1) } ?? 0
    }
    let familiar: [Bool]? =
      if let shape, let colour, let pattern {
        gameplay.indices.map {
          UnknownThresholds.familiarity(shape: shape[$0], colour: colour[$0], pattern: pattern[$0])
            >= thresholds.minFamiliarity
        }
      } else { nil }
    let n = Double(gameplay.count)
    if let f = familiarity, f < thresholds.minFamiliarity {
      confidence = Double((familiar ?? []).filter { !$0 }.count) / n
      hero = nil
      reason =
        "crops unlike \(guess)'s (the best guess): familiarity \(Self.fixed(f)) < "
        + "\(Self.fixed(thresholds.minFamiliarity)) (medians over \(gameplay.count) frame"
        + "\(gameplay.count == 1 ? "" : "s"): pattern \(Self.fixed(patternSimilarity ?? 0)), "
        + "colour \(Self.fixed(colourSimilarity ?? 0)), shape \(Self.fixed(similarity ?? 0)))"
    } else {
      confidence =
        Double(
          gameplay.indices.filter { frameBest[$0] == best && (familiar?[$0] ?? true) }.count) / n
      hero = guess
      reason = nil
    }
  }

  static func fixed(_ v: Double) -> String { String(format: "%.3f", v) }

  /// The gameplay frames that vote on the name: those whose familiarity with their own best
  /// class clears `thresholds.minFamiliarity`, or all of them when none does or a frame has no
  /// similarities (a model without prototypes). The "unknown" test and `confidence` still
  /// read every gameplay frame.
  static func voters(
    _ gameplay: [FrameObservation], classes c: Int, thresholds: UnknownThresholds
  ) -> [FrameObservation] {
    let familiar = gameplay.filter { o in
      guard let p = o.probabilities, let s = o.similarities, let k = o.colourSimilarities,
        let q = o.patternSimilarities, p.count == c, s.count == c, k.count == c, q.count == c
      else { return false }
      let best = p.indices.max { p[$0] < p[$1] || (p[$0] == p[$1] && $0 > $1) } ?? 0
      return UnknownThresholds.familiarity(
        shape: Double(s[best]), colour: Double(k[best]), pattern: Double(q[best]))
        >= thresholds.minFamiliarity
    }
    let complete = gameplay.allSatisfy { $0.similarities != nil }
    return complete && !familiar.isEmpty ? familiar : gameplay
  }
}
