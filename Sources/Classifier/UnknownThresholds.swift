import Foundation
import InceptionKernels

/// When a clip's answer is "unknown": the clip's *familiarity* with the hero it looks most like
/// is below `minFamiliarity`.
///
/// A frame's familiarity with a hero (``familiarity(shape:colour:pattern:)``) adds up how much
/// its crop looks like one of the hero's training crops three ways: the icon's pattern
/// (``IconPattern``, correlation, which sees through cooldown dimming), its colours
/// (``ColourSignature``) and, at half weight, Inception's features (``Prototypes``): about
/// 1.9–2.3 for a frame of a trained hero, lower for a button the model has not seen. A clip's
/// familiarity is the median over its gameplay frames, for the hero that wins the vote: a frame
/// under a flash or a damage number cannot sink a clip. The threshold is chosen at training
/// time (``choose(_:knownRejectRate:framesPerClip:clipsPerGroup:seed:)``) and stored in the model.
public struct UnknownThresholds: Sendable, Codable, Equatable {
  /// Minimum familiarity (median over the frames) of a clip with its winning hero.
  public var minFamiliarity: Double
  /// At that threshold, the fraction of simulated clips of trained heroes that would be
  /// rejected, and of simulated clips of a hero left out of training that would be.
  public var knownRejectRate: Double
  public var unknownRejectRate: Double
  /// Training videos left out of the known clips the threshold is chosen on because, against
  /// their hero's other videos, they look as unfamiliar as a hero never trained (a skin or a
  /// look only they show; see ``choose(_:knownRejectRate:framesPerClip:clipsPerGroup:seed:)``).
  /// Nil in models trained before it was counted.
  public var novelVideos: Int?

  enum CodingKeys: String, CodingKey {
    case minFamiliarity = "min_familiarity"
    case knownRejectRate = "known_clip_reject_rate"
    case unknownRejectRate = "unknown_clip_reject_rate"
    case novelVideos = "novel_training_videos"
  }

  public init(
    minFamiliarity: Double, knownRejectRate: Double = 0, unknownRejectRate: Double = 0,
    novelVideos: Int? = nil
  ) {
    self.minFamiliarity = minFamiliarity
    self.knownRejectRate = knownRejectRate
    self.unknownRejectRate = unknownRejectRate
    self.novelVideos = novelVideos
  }

  /// Weight of Inception's shape similarity in a frame's familiarity: it adds a little on ready
  /// frames and is at chance on cooldown frames (docs/training.md).
  public static let shapeWeight = 0.5
  /// The default share of simulated clips of trained heroes the threshold may reject.
  public static let defaultKnownRejectRate = 0.03

  /// At most this many training and validation crops per hero go into the calibration: the
  /// pattern similarities cost 49 correlations per crop and prototype, and a few hundred clips
  /// per hero are simulated from them anyway.
  public static let calibrationFramesPerClass = 150

  /// The indices of the crops to calibrate on: for each class, all of its crops (`labels[i]`,
  /// nil for a crop not to use) when it has at most `perClass`, else `perClass` of them chosen
  /// by `seed`.
  public static func calibrationSample(
    labels: [Int?], perClass: Int = calibrationFramesPerClass, seed: UInt64 = 0xCA1B
  ) -> Set<Int> {
    var rng = SeededGenerator(seed: seed)
    var byClass: [Int: [Int]] = [:]
    for (i, label) in labels.enumerated() {
      if let label { byClass[label, default: []].append(i) }
    }
    var out = Set<Int>()
    for label in byClass.keys.sorted() {
      var members = byClass[label] ?? []
      if members.count > perClass {
        // Fisher–Yates, far enough to fill the first `perClass` places.
        for k in 0..<perClass {
          let j = k + Int(rng.next() % UInt64(members.count - k))
          members.swapAt(k, j)
        }
        members = Array(members.prefix(perClass))
      }
      out.formUnion(members)
    }
    return out
  }

  /// A frame's familiarity with a hero from its best similarities to the hero's prototypes.
  public static func familiarity(shape: Double, colour: Double, pattern: Double) -> Double {
    colour + pattern + shapeWeight * shape
  }

  /// A clip's familiarity from its frames': the median (the mean of the middle two for an even
  /// count); nil for no frame.
  public static func clipFamiliarity(_ frames: [Double]) -> Double? {
    guard !frames.isEmpty else { return nil }
    let s = frames.sorted()
    let m = s.count / 2
    return s.count % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2
  }

  /// The labelled frames the threshold is chosen on: every training and validation crop, with
  /// the video it came from, its class probabilities, and its similarity to every prototype.
  public struct Calibration: Sendable {
    /// One kind of prototype: `frames × prototypes` similarities (``Prototypes/allSimilarities(_:)``
    /// or ``IconPattern/similarities(_:to:)``), and each prototype's class and video.
    public struct Cue: Sendable {
      public var similarities: [Float]
      public var labels: [Int]
      public var videos: [Int]

      public init(similarities: [Float], labels: [Int], videos: [Int]) {
        precondition(videos.count == labels.count)
        self.similarities = similarities
        self.labels = labels
        self.videos = videos
      }

      /// Best similarity of frame `row` to a prototype of class `c` from another video than
      /// `excluding` (nil: any prototype of `c`, including the frame itself if it is one).
      func best(row: Int, class c: Int, excluding video: Int?) -> Double? {
        let p = labels.count
        var best: Float?
        for k in 0..<p where labels[k] == c {
          if let video, videos[k] == video { continue }
          let s = similarities[row * p + k]
          if best.map({ s > $0 }) ?? true { best = s }
        }
        return best.map(Double.init)
      }
    }

    public var classCount: Int
    /// Per frame: class, video (-1: not known), and whether it was held out of training.
    public var labels: [Int]
    public var videos: [Int]
    public var heldOut: [Bool]
    /// `frames × classCount` class probabilities from the trained final layer.
    public var probabilities: [Float]
    public var shape: Cue
    public var colour: Cue
    public var pattern: Cue

    public init(
      classCount: Int, labels: [Int], videos: [Int], heldOut: [Bool], probabilities: [Float],
      shape: Cue, colour: Cue, pattern: Cue
    ) {
      precondition(videos.count == labels.count && heldOut.count == labels.count)
      precondition(probabilities.count == labels.count * classCount)
      for cue in [shape, colour, pattern] {
        precondition(cue.similarities.count == labels.count * cue.labels.count)
      }
      self.classCount = classCount
      self.labels = labels
      self.videos = videos
      self.heldOut = heldOut
      self.probabilities = probabilities
      self.shape = shape
      self.colour = colour
      self.pattern = pattern
    }

    var count: Int { labels.count }

    /// Familiarity of frame `row` with class `c`, or nil without prototypes.
    func familiarity(row: Int, class c: Int, excluding video: Int? = nil) -> Double? {
      guard let s = shape.best(row: row, class: c, excluding: video),
        let k = colour.best(row: row, class: c, excluding: video),
        let q = pattern.best(row: row, class: c, excluding: video)
      else { return nil }
      return UnknownThresholds.familiarity(shape: s, colour: k, pattern: q)
    }
  }

  /// Chooses the threshold from simulated clips of trained heroes and of a hero the model never
  /// saw, all drawn (seeded) from the calibration frames:
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
  /// A video whose own clips (against the hero's other videos) have a median familiarity below
  /// the absent-hero clips' median is a *novel look*: a skin, or a look only it shows, which the
  /// hero's other videos do not prepare for. Its clips would otherwise set the threshold as low
  /// as a stranger's (with one skin video of eight a hero, the 3 % quantile falls among them and
  /// nearly every absent hero is named), so they are left out of the known clips; the video's
  /// validation frames, scored against every prototype, stay. ``novelVideos`` counts them. With
  /// none, the threshold is the one chosen before the rule (the same draws).
  ///
  /// The threshold rejects `knownRejectRate` of the known clips (a price set in advance, rather
  /// than the point that best trades one kind of error for the other: a trained hero wrongly
  /// called "unknown" is the costlier mistake); the share of absent-hero clips it rejects is
  /// stored with it.
  public static func choose(
    _ data: Calibration, knownRejectRate: Double = defaultKnownRejectRate, framesPerClip: Int = 4,
    clipsPerGroup: Int = 200, seed: UInt64 = 0x7E57
  ) -> UnknownThresholds {
    let c = data.classCount
    let n = max(framesPerClip, 1)
    var rng = SeededGenerator(seed: seed)
    func draw(_ scores: [Double], into out: inout [Double]) {
      guard !scores.isEmpty else { return }
      for _ in 0..<clipsPerGroup {
        let clip = (0..<n).map { _ in scores[Int(rng.next() % UInt64(scores.count))] }
        if let f = clipFamiliarity(clip) { out.append(f) }
      }
    }
    var known: [Double] = []
    var absent: [Double] = []
    // Each video's known clips against the hero's other videos, kept apart until the novel
    // looks are known (drawn in the same order as the others, so the draws do not change).
    var perVideo: [[Double]] = []
    for y in 0..<c {
      let rows = (0..<data.count).filter { data.labels[$0] == y }
      // Known, validation frames against all of the hero's prototypes.
      draw(
        rows.filter { data.heldOut[$0] }.compactMap { data.familiarity(row: $0, class: y) },
        into: &known)
      // Known, each video against the hero's other videos.
      let videos = Set(rows.map { data.videos[$0] }).filter { $0 >= 0 }.sorted()
      for v in videos {
        var clips: [Double] = []
        draw(
          rows.filter { data.videos[$0] == v }.compactMap {
            data.familiarity(row: $0, class: y, excluding: v)
          }, into: &clips)
        perVideo.append(clips)
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
        if f.count == clip.count, let m = clipFamiliarity(f) { absent.append(m) }
      }
    }
    // Novel looks: videos as unfamiliar to their hero's other videos as a stranger is.
    let strangers = absent.isEmpty ? nil : quantile(absent, 0.5)
    var novel = 0
    for clips in perVideo where !clips.isEmpty {
      if let strangers, quantile(clips, 0.5) < strangers {
        novel += 1
      } else {
        known += clips
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
    var t = at(knownRejectRate: knownRejectRate, known: known, absent: absent)
    t.novelVideos = novel
    return t
  }

  /// The threshold below which `knownRejectRate` of the `known` scores fall (a clip is rejected
  /// when its score is below it), with the shares of `known` and `absent` it rejects.
  public static func at(knownRejectRate rate: Double, known: [Double], absent: [Double])
    -> UnknownThresholds
  {
    guard !known.isEmpty else { return UnknownThresholds(minFamiliarity: 0) }
    let t = quantile(known, rate)
    func share(_ v: [Double]) -> Double {
      v.isEmpty ? 0 : Double(v.filter { $0 < t }.count) / Double(v.count)
    }
    return UnknownThresholds(
      minFamiliarity: t, knownRejectRate: share(known), unknownRejectRate: share(absent))
  }

  /// The q-quantile (lower, no interpolation) of `values`.
  static func quantile(_ values: [Double], _ q: Double) -> Double {
    let s = values.sorted()
    let i = Int((Double(s.count - 1) * min(max(q, 0), 1)).rounded(.down))
    return s[i]
  }
}
