import Foundation

/// What `identify` says about one clip: the one per-clip answer type, the same for `identify`,
/// `batch identify` (whose journal keeps it) and every other front end. Its JSON (``json``) is
/// CONTRACT.md's `identify --json` object.
public struct IdentifyResult: Codable, Sendable, Equatable {
  /// One of the most probable heroes.
  public struct Candidate: Codable, Sendable, Equatable {
    public var hero: String
    public var p: Double
    public init(hero: String, p: Double) {
      self.hero = hero
      self.p = p
    }
  }

  /// One key frame: its time, screen and, for gameplay frames, the top hero and probability.
  public struct TimelineEntry: Codable, Sendable, Equatable {
    public var t: Double
    public var screen: Screen
    public var hero: String?
    public var p: Double?
    public init(t: Double, screen: Screen, hero: String?, p: Double?) {
      self.t = t
      self.screen = screen
      self.hero = hero
      self.p = p
    }
  }

  /// The evidence behind the "unknown" test (medians over the gameplay frames); nil without
  /// gameplay frames.
  public struct Evidence: Codable, Sendable, Equatable {
    public var pattern: Double?
    public var colour: Double?
    public var shape: Double?
    public var familiarity: Double?
    public init(pattern: Double?, colour: Double?, shape: Double?, familiarity: Double?) {
      self.pattern = pattern
      self.colour = colour
      self.shape = shape
      self.familiarity = familiarity
    }
  }

  /// A stretch of the clip with one hero (a compilation has several): its first and last
  /// gameplay frame's time, its answer (nil: "unknown"), the share of its gameplay frames that
  /// support it, and its gameplay frames.
  public struct Segment: Codable, Sendable, Equatable {
    public var start: Double
    public var end: Double
    public var hero: String?
    public var confidence: Double
    public var frames: Int
    /// `{start, end, hero, confidence, frames}`.
    public var json: JSONValue {
      .object([
        "start": .rounded(start, 3), "end": .rounded(end, 3), "hero": .optional(hero),
        "confidence": .rounded(confidence), "frames": .int(frames),
      ])
    }

    public init(start: Double, end: Double, hero: String?, confidence: Double, frames: Int) {
      self.start = start
      self.end = end
      self.hero = hero
      self.confidence = confidence
      self.frames = frames
    }
  }

  /// The hero, nil for "unknown"; with several segments, the hero of the longest one.
  public var hero: String?
  public var confidence: Double
  /// Why the answer is "unknown".
  public var reason: String?
  public var frames: Int
  public var gameplayFrames: Int
  public var top: [Candidate]
  /// Per key frame; empty in journals written before it was kept.
  public var timeline: [TimelineEntry]
  public var evidence: Evidence?
  /// Real-footage mode (`identify --footage`): the picture and the HUD found.
  public var geometry: HUDFound?
  /// `--debug-hud`: the annotated frame written.
  public var debugHUD: String?
  /// Where the hero changes (one segment for a clip of one hero; none without gameplay).
  public var segments: [Segment] = []
  /// How the clip's crops got their bottlenecks: how many reused an identical crop's (issue 28);
  /// nil in journals written before it was kept.
  public var bottlenecks: BottleneckUse?
  /// The arithmetic of the base network's convolutions (`fp32` or `int8`, `--precision`); nil
  /// in journals written before it was recorded.
  public var precision: String?

  public init(
    hero: String?, confidence: Double, reason: String?, frames: Int, gameplayFrames: Int,
    top: [Candidate], timeline: [TimelineEntry], evidence: Evidence?
  ) {
    self.hero = hero
    self.confidence = confidence
    self.reason = reason
    self.frames = frames
    self.gameplayFrames = gameplayFrames
    self.top = top
    self.timeline = timeline
    self.evidence = evidence
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    hero = try c.decodeIfPresent(String.self, forKey: .hero)
    confidence = try c.decode(Double.self, forKey: .confidence)
    reason = try c.decodeIfPresent(String.self, forKey: .reason)
    frames = try c.decode(Int.self, forKey: .frames)
    gameplayFrames = try c.decode(Int.self, forKey: .gameplayFrames)
    top = try c.decodeIfPresent([Candidate].self, forKey: .top) ?? []
    timeline = try c.decodeIfPresent([TimelineEntry].self, forKey: .timeline) ?? []
    evidence = try c.decodeIfPresent(Evidence.self, forKey: .evidence)
    geometry = try c.decodeIfPresent(HUDFound.self, forKey: .geometry)
    debugHUD = try c.decodeIfPresent(String.self, forKey: .debugHUD)
    // Journals written before segments were kept: none.
    segments = try c.decodeIfPresent([Segment].self, forKey: .segments) ?? []
    bottlenecks = try c.decodeIfPresent(BottleneckUse.self, forKey: .bottlenecks)
    precision = try c.decodeIfPresent(String.self, forKey: .precision)
    guard segments.count <= 100_000 else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: c.codingPath, debugDescription: "segments: too many"))
    }
  }

  /// CONTRACT.md's per-clip object: video, hero, confidence, reason (when unknown), frames,
  /// gameplay_frames, top, timeline; then segments (issue 27: `{start, end, hero, confidence,
  /// frames}` each), geometry (``HUDFound``; not with `--fixed-layout`) and, with
  /// `--debug-hud`, debug_hud; then bottlenecks (issue 28: `{crops, computed, reused}`, the
  /// crops that reused an identical crop's bottleneck); then precision (issue 28: `fp32` or
  /// `int8`, the base network's arithmetic).
  public func json(video: String) -> JSONValue {
    .object([
      "video": .string(video), "hero": .optional(hero), "confidence": .rounded(confidence),
      "reason": reason.map { .string($0) }, "frames": .int(frames),
      "gameplay_frames": .int(gameplayFrames),
      "top": .array(top.map { .object(["hero": .string($0.hero), "p": .rounded($0.p)]) }),
      "timeline": .array(
        timeline.map { e in
          .object([
            "t": .rounded(e.t, 3), "screen": .string(e.screen.rawValue),
            "hero": .optional(e.hero), "p": e.p.map { .rounded($0) } ?? .null,
          ])
        }),
      "segments": .array(segments.map(\.json)),
      "geometry": geometry.map { .object($0.fields) },
      "debug_hud": debugHUD.map { .string($0) },
      "bottlenecks": bottlenecks?.json,
      "precision": precision.map { .string($0) },
    ])
  }
}
