import Foundation

/// When a clip's answer is "unknown": the clip's *familiarity* with the hero it looks most like
/// is below `minFamiliarity`.
///
/// A frame's familiarity with a hero is its best cosine similarity to one of the hero's
/// bottleneck prototypes (shape, ``Prototypes``) plus its best similarity to one of the hero's
/// colour prototypes (``ColourSignature``): about 1.4–1.6 for a frame of a trained hero, lower for
/// a button the model has not seen. A clip's familiarity is the mean over its gameplay frames,
/// for the hero that wins the vote. The threshold is chosen at training time
/// (``choose(_:framesPerClip:clipsPerGroup:seed:)``) and stored in the model.
public struct UnknownThresholds: Sendable, Codable, Equatable {
  /// Minimum mean familiarity (shape + colour similarity) of a clip with its winning hero.
  public var minFamiliarity: Double
  /// At that threshold, the fraction of simulated clips of trained heroes that would be
  /// rejected, and of simulated clips of a hero left out of training that would be.
  public var knownRejectRate: Double
  public var unknownRejectRate: Double

  enum CodingKeys: String, CodingKey {
    case minFamiliarity = "min_familiarity"
    case knownRejectRate = "known_clip_reject_rate"
    case unknownRejectRate = "unknown_clip_reject_rate"
  }

  public init(minFamiliarity: Double, knownRejectRate: Double = 0, unknownRejectRate: Double = 0) {
    self.minFamiliarity = minFamiliarity
    self.knownRejectRate = knownRejectRate
    self.unknownRejectRate = unknownRejectRate
  }

  /// The labelled frames the threshold is chosen on: every training and validation crop, with
  /// the video it came from, its class probabilities, and its similarity to every prototype.
  public struct Calibration: Sendable {
    public var classCount: Int
    /// Per frame: class, video (-1: not known), and whether it was held out of training.
    public var labels: [Int]
    public var videos: [Int]
    public var heldOut: [Bool]
    /// `frames × classCount` class probabilities from the trained final layer.
    public var probabilities: [Float]
    /// `frames × prototypes` similarities (``Prototypes/allSimilarities(_:)``), and each
    /// prototype's class and video; the same for the colour prototypes.
    public var shape: [Float]
    public var shapeLabels: [Int]
    public var shapeVideos: [Int]
    public var colour: [Float]
    public var colourLabels: [Int]
    public var colourVideos: [Int]

    public init(
      classCount: Int, labels: [Int], videos: [Int], heldOut: [Bool], probabilities: [Float],
      shape: [Float], shapeLabels: [Int], shapeVideos: [Int], colour: [Float],
      colourLabels: [Int], colourVideos: [Int]
    ) {
      precondition(videos.count == labels.count && heldOut.count == labels.count)
      precondition(probabilities.count == labels.count * classCount)
      precondition(shape.count == labels.count * shapeLabels.count)
      precondition(colour.count == labels.count * colourLabels.count)
      precondition(shapeVideos.count == shapeLabels.count)
      precondition(colourVideos.count == colourLabels.count)
      self.classCount = classCount
      self.labels = labels
      self.videos = videos
      self.heldOut = heldOut
      self.probabilities = probabilities
      self.shape = shape
      self.shapeLabels = shapeLabels
      self.shapeVideos = shapeVideos
      self.colour = colour
      self.colourLabels = colourLabels
      self.colourVideos = colourVideos
    }

    var count: Int { labels.count }

    /// Best similarity of frame `row` to a prototype of class `c` from another video than
    /// `excluding` (nil: any prototype of `c`, including the frame itself if it is one).
    func best(
      _ matrix: [Float], _ protoLabels: [Int], _ protoVideos: [Int], row: Int, class c: Int,
      excluding video: Int?
    ) -> Float? {
      let p = protoLabels.count
      var best: Float?
      for k in 0..<p where protoLabels[k] == c {
        if let video, protoVideos[k] == video { continue }
        let s = matrix[row * p + k]
        if best.map({ s > $0 }) ?? true { best = s }
      }
      return best
    }

    /// Familiarity of frame `row` with class `c` (shape + colour), or nil without prototypes.
    func familiarity(row: Int, class c: Int, excluding video: Int? = nil) -> Double? {
      guard let s = best(shape, shapeLabels, shapeVideos, row: row, class: c, excluding: video),
        let k = best(colour, colourLabels, colourVideos, row: row, class: c, excluding: video)
      else { return nil }
      return Double(s) + Double(k)
    }
  }

  /// Chooses the threshold that best separates simulated clips of trained heroes from simulated
  /// clips of a hero the model never saw, all drawn (seeded) from the calibration frames:
  ///
  /// - *known* clips: `framesPerClip` frames of one hero scored against that hero, two ways.
  ///   Validation frames against all its prototypes; they come from the training videos, so
  ///   they look more alike than a new video would (optimistic). And frames of each video
  ///   against the prototypes of the hero's *other* videos only, as if the video were new
  ///   (pessimistic: fewer prototypes to match). Both kinds are pooled.
  /// - *absent-hero* clips (leave one hero out): frames of hero `h`, with `h` removed from the
  ///   vote; the winner among the other heroes (mean floored log-probability, as
  ///   ``ClipVerdict`` votes) is the hero the clip would be taken for, and the clip is scored
  ///   against that hero.
  ///
  /// The threshold maximises (absent-hero clips rejected) − (known clips rejected), Youden's J.
  public static func choose(
    _ data: Calibration, framesPerClip: Int = 4, clipsPerGroup: Int = 200, seed: UInt64 = 0x7E57
  ) -> UnknownThresholds {
    let c = data.classCount
    let n = max(framesPerClip, 1)
    var rng = SeededGenerator(seed: seed)
    func draw(_ scores: [Double], into out: inout [Double]) {
      guard !scores.isEmpty else { return }
      for _ in 0..<clipsPerGroup {
        var sum = 0.0
        for _ in 0..<n { sum += scores[Int(rng.next() % UInt64(scores.count))] }
        out.append(sum / Double(n))
      }
    }
    var known: [Double] = []
    var absent: [Double] = []
    for y in 0..<c {
      let rows = (0..<data.count).filter { data.labels[$0] == y }
      // Known, validation frames against all of the hero's prototypes.
      draw(
        rows.filter { data.heldOut[$0] }.compactMap { data.familiarity(row: $0, class: y) },
        into: &known)
      // Known, each video against the hero's other videos.
      let videos = Set(rows.map { data.videos[$0] }).filter { $0 >= 0 }.sorted()
      for v in videos {
        draw(
          rows.filter { data.videos[$0] == v }.compactMap {
            data.familiarity(row: $0, class: y, excluding: v)
          }, into: &known)
      }
      // The hero left out: clips of its frames, scored against the hero they are taken for.
      guard !rows.isEmpty, c > 1 else { continue }
      for _ in 0..<(2 * clipsPerGroup) {
        let clip = (0..<n).map { _ in rows[Int(rng.next() % UInt64(rows.count))] }
        var vote = [Double](repeating: 0, count: c)
        for r in clip {
          for j in 0..<c where j != y {
            vote[j] += log(
              max(Double(data.probabilities[r * c + j]), ClipVerdict.frameProbabilityFloor))
          }
        }
        var winner = y == 0 ? 1 : 0
        for j in 0..<c where j != y && vote[j] > vote[winner] { winner = j }
        let f = clip.compactMap { data.familiarity(row: $0, class: winner) }
        if f.count == clip.count { absent.append(f.reduce(0, +) / Double(n)) }
      }
    }
    if known.isEmpty {
      // No validation frames and no second video of any hero: the training frames themselves.
      for y in 0..<c {
        draw(
          (0..<data.count).filter { data.labels[$0] == y }.compactMap {
            data.familiarity(row: $0, class: y)
          }, into: &known)
      }
    }
    return best(known: known, absent: absent)
  }

  /// The threshold `t` (a clip is rejected when its score is below `t`) with the largest
  /// (absent rejected) − (known rejected); the lowest such `t`, placed midway in its gap.
  public static func best(known: [Double], absent: [Double]) -> UnknownThresholds {
    guard !known.isEmpty else { return UnknownThresholds(minFamiliarity: 0) }
    guard !absent.isEmpty else {
      // Nothing to separate from: reject the lowest 2% of known clips.
      let t = quantile(known, 0.02)
      return UnknownThresholds(minFamiliarity: t, knownRejectRate: 0.02)
    }
    let k = known.sorted()
    let a = absent.sorted()
    let candidates = Array(Set(k + a)).sorted()
    var i = 0
    var j = 0
    var bestJ = -Double.infinity
    var bestIndex = 0
    for (index, t) in candidates.enumerated() {
      while i < k.count && k[i] < t { i += 1 }
      while j < a.count && a[j] < t { j += 1 }
      let score = Double(j) / Double(a.count) - Double(i) / Double(k.count)
      if score > bestJ {
        bestJ = score
        bestIndex = index
      }
    }
    let upper = candidates[bestIndex]
    let t = bestIndex > 0 ? (candidates[bestIndex - 1] + upper) / 2 : upper
    let knownRejected = Double(k.filter { $0 < t }.count) / Double(k.count)
    let absentRejected = Double(a.filter { $0 < t }.count) / Double(a.count)
    return UnknownThresholds(
      minFamiliarity: t, knownRejectRate: knownRejected, unknownRejectRate: absentRejected)
  }

  /// The q-quantile (lower, no interpolation) of `values`.
  static func quantile(_ values: [Double], _ q: Double) -> Double {
    let s = values.sorted()
    let i = Int((Double(s.count - 1) * min(max(q, 0), 1)).rounded(.down))
    return s[i]
  }
}
