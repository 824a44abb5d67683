import Foundation
import HeroCore

/// One video's HUD geometry: voted over its first gameplay-looking frames, then kept, and
/// looked for again when the evidence at the kept place fades (a layout change mid-video).
///
/// - Until a geometry is locked, a frame is first scored at the layout's default place and at
///   the places voted for so far (±4 px); when none holds, it is searched (`HUDLocator.search`).
///   A frame whose constellation scores at least `accept` is a vote, and uses its own match.
///   Two votes that agree (within `agreePixels` and `agreeScale`) lock the better-fitting one.
///   A standard 16:9 video with the default HUD is thus locked without any search.
/// - Once locked, a frame costs nothing here: the screen sorter reads the HUD at the lock and
///   reports its ring score (`noteEvidence`). When that stays below `keep` for two frames in a
///   row (a menu, or another layout), the next frame is searched (at most every third frame);
///   two agreeing votes elsewhere move the lock.
/// - Without a lock, a fruitless search is not repeated on the next frame, and after
///   `patience` of them (a video without gameplay) only every third frame is searched.
public struct HUDTracker: Sendable {
  public let locator: HUDLocator
  /// Mean ring score a frame's best constellation needs to count as a vote.
  public var accept: Float = 0.7
  /// Mean ring score at the locked place below which the evidence has faded.
  public var keep: Float = 0.5
  public var agreePixels = 6.0
  public var agreeScale = 0.04
  public var patience = 6

  /// The locked geometry (nil until two frames agree).
  public private(set) var geometry: HUDGeometry?
  /// How often the lock moved after it was first set.
  public private(set) var changes = 0
  /// Full searches run so far.
  public private(set) var searches = 0
  /// Frames seen so far.
  public private(set) var frames = 0
  private var votes: [HUDMatch] = []
  private var faded = 0
  private var lastSearch = -10
  private var fruitless = 0

  public init(locator: HUDLocator) {
    self.locator = locator
  }

  /// What the tracker says about one frame.
  public struct Observation: Sendable {
    /// The geometry to read this frame at: the lock, else this frame's own confident match,
    /// else nil (no HUD found yet).
    public var geometry: HUDGeometry?
    /// The scores at that geometry (nil when none).
    public var match: HUDMatch?
    /// Whether a full search ran on this frame.
    public var searched: Bool
  }

  /// Observes the next frame of the video (frames in order; all of one size). With
  /// `mayHaveHUD` false (the frame is clearly a menu), nothing is spent on it.
  public mutating func observe(_ frame: RGBImage, mayHaveHUD: Bool = true) -> Observation {
    observe(Luma(frame), mayHaveHUD: mayHaveHUD)
  }

  /// ``observe(_:mayHaveHUD:)`` on the frame's luma (made once per frame by ``VideoScreens``
  /// for the tracker and the sorter).
  mutating func observe(_ frame: Luma, mayHaveHUD: Bool = true) -> Observation {
    frames += 1
    let index = frames
    if let g = geometry, g.frameWidth == frame.width, g.frameHeight == frame.height {
      // Locked: nothing to do until the evidence at the lock fades (`noteEvidence`).
      guard faded >= 2, index - lastSearch >= 3 else {
        return Observation(geometry: g, match: nil, searched: false)
      }
      let found = search(frame, index: index)
      if found.score >= accept {
        if agrees(found.geometry, g) {
          faded = 0
        } else if vote(found) {
          faded = 0
          changes += 1
        }
      }
      return Observation(geometry: geometry ?? g, match: found, searched: true)
    }
    if geometry != nil {
      // Frames of another size than the lock (a size change mid-stream): start again.
      geometry = nil
      votes = []
    }
    // A menu (the caller says so) has no HUD to look for, not even cheaply.
    if !mayHaveHUD { return Observation(geometry: nil, match: nil, searched: false) }
    // Cheap checks first: the layout's default place, then the places voted for so far.
    let identity = HUDGeometry(frameWidth: frame.width, frameHeight: frame.height)
    for place in [identity] + votes.reversed().map(\.geometry) {
      let here = locator.score(frame, at: place, slack: 4)
      if here.score >= accept {
        fruitless = 0
        _ = vote(here)
        return Observation(geometry: geometry ?? here.geometry, match: here, searched: false)
      }
    }
    // A full search, but not on a menu, nor on every frame of a stretch without the HUD.
    if fruitless > 0 && index - lastSearch < 2 {
      return Observation(geometry: nil, match: nil, searched: false)
    }
    if fruitless >= patience, index % 3 != 0 {
      return Observation(geometry: nil, match: nil, searched: false)
    }
    let found = search(frame, index: index)
    guard found.score >= accept else {
      fruitless += 1
      return Observation(geometry: nil, match: nil, searched: true)
    }
    fruitless = 0
    _ = vote(found)
    return Observation(geometry: geometry ?? found.geometry, match: found, searched: true)
  }

  /// The evidence for the HUD at the geometry a frame was read at (the screen sorter's mean
  /// ring score): below `keep` twice in a row, the next frame is searched again.
  public mutating func noteEvidence(_ score: Float) {
    guard geometry != nil else { return }
    if score >= keep { faded = 0 } else { faded += 1 }
  }

  private mutating func search(_ frame: Luma, index: Int) -> HUDMatch {
    searches += 1
    lastSearch = index
    return locator.search(frame)
  }

  /// Adds a vote; locks (returns true) when an earlier vote agrees with it.
  private mutating func vote(_ m: HUDMatch) -> Bool {
    if let other = votes.last(where: { agrees($0.geometry, m.geometry) }) {
      geometry = (other.fit >= m.fit ? other : m).geometry
      votes = []
      return true
    }
    votes.append(m)
    if votes.count > 6 { votes.removeFirst() }
    return false
  }

  private func agrees(_ a: HUDGeometry, _ b: HUDGeometry) -> Bool {
    let unit = Double(a.frameHeight) / 720
    return a.frameWidth == b.frameWidth && a.frameHeight == b.frameHeight
      && abs(a.dx - b.dx) <= agreePixels * unit && abs(a.dy - b.dy) <= agreePixels * unit
      && abs(a.scale - b.scale) <= agreeScale
  }
}

/// Sorting one video's frames at its HUD geometry: a `HUDTracker` finds the buttons, and the
/// screen sorter reads its ring features at their found place (a sorter per geometry, kept).
/// A frame without a found HUD is sorted at the layout's default place for its size.
public struct VideoScreens: Sendable {
  public let layout: LayoutProfile
  public let model: ScreenModel
  public private(set) var tracker: HUDTracker
  private let sorters: ScreenSorterCache

  /// `sorters`: the screen sorters per geometry, shared by the videos of one run (making one
  /// costs a few milliseconds; the videos of a run mostly need the same few); nil: this
  /// video's own.
  public init(
    layout: LayoutProfile, model: ScreenModel = .default, sorters: ScreenSorterCache? = nil
  ) {
    self.layout = layout
    self.model = model
    self.sorters = sorters ?? ScreenSorterCache(layout: layout, model: model)
    tracker = HUDTracker(locator: HUDLocator(layout: layout))
  }

  /// A frame's screen and the geometry its HUD was read at (nil when none was found).
  public struct Result: Sendable {
    public var decision: ScreenDecision
    public var geometry: HUDGeometry?
    public var searched: Bool
  }

  /// Sorts the next frame of the video (in order).
  ///
  /// Until the HUD is locked, a frame of the layout's own size (16:9, where the screen model's
  /// thumbnail was trained) is first sorted at the layout's default place: a frame sorted there
  /// as a loading screen with a score of at least `menuScore` is taken for one (loading screens
  /// are told apart by the thumbnail, not the buttons), and no full search is spent on it; that
  /// sorting is also the frame's decision when no HUD is found on it. (Other sizes, and the
  /// shop, are not gated: there the thumbnail takes gameplay frames of a moved or rescaled HUD
  /// for a menu.)
  public mutating func sort(_ frame: RGBImage) throws -> Result {
    // One luma for the tracker and the sorters.
    let luma = Luma(frame)
    let identity = HUDGeometry(frameWidth: frame.width, frameHeight: frame.height)
    var atIdentity: ScreenDecision?
    if tracker.geometry == nil, frame.width == layout.frame.width,
      frame.height == layout.frame.height
    {
      atIdentity = try sorter(at: identity).sort(frame, luma: luma)
    }
    let menu = atIdentity.map {
      $0.screen == .loading && $0.score >= Self.menuScore
    }
    let seen = tracker.observe(luma, mayHaveHUD: !(menu ?? false))
    let g = seen.geometry ?? identity
    // A HUD found within the sorter's own reach of the default place (its ring features look
    // ±6 px and ±4 px of radius around each button) is read at the default place, by the sort
    // already made there if there is one: a standard video is sorted exactly as without
    // footage mode, by one sorter.
    let unit = Double(frame.height) / 720
    let nearDefault =
      abs(g.scale - 1) <= 0.02 && abs(g.dx) <= 4 * unit && abs(g.dy) <= 4 * unit
    let decision =
      try (nearDefault ? atIdentity : nil)
      ?? sorter(at: nearDefault ? identity : g).sort(frame, luma: luma)
    tracker.noteEvidence(decision.hudScore)
    return Result(
      decision: decision, geometry: seen.geometry ?? (decision.screen == .gameplay ? g : nil),
      searched: seen.searched)
  }

  /// The score of a loading or shop decision at the default place above which the frame is
  /// taken for a menu and not searched for the HUD.
  public static let menuScore: Float = 0.8

  /// The sorter for the (rounded) geometry `g`, made once.
  private func sorter(at g: HUDGeometry) throws -> ScreenSorter {
    try sorters.sorter(at: Self.rounded(g))
  }

  /// The geometry with whole-pixel shifts and a scale in steps of 0.01 (the sorter's key).
  static func rounded(_ g: HUDGeometry) -> HUDGeometry {
    HUDGeometry(
      frameWidth: g.frameWidth, frameHeight: g.frameHeight, scale: (g.scale * 100).rounded() / 100,
      dx: g.dx.rounded(), dy: g.dy.rounded())
  }
}

/// Screen sorters for one layout and screen model, per (rounded) HUD geometry, made once and
/// shared by the videos of a run (by reference, thread-safe); at most `capacity` are kept.
public final class ScreenSorterCache: @unchecked Sendable {
  public let layout: LayoutProfile
  public let model: ScreenModel
  public let capacity: Int
  private var sorters: [HUDGeometry: ScreenSorter] = [:]
  private let lock = NSLock()

  public init(layout: LayoutProfile, model: ScreenModel = .default, capacity: Int = 64) {
    self.layout = layout
    self.model = model
    self.capacity = capacity
  }

  /// The sorter for geometry `g` (a profile placed there).
  public func sorter(at g: HUDGeometry) throws -> ScreenSorter {
    if let s = lock.withLock({ sorters[g] }) { return s }
    let s = try ScreenSorter(layout: layout.placed(at: g), model: model)
    lock.withLock {
      if sorters.count >= capacity { sorters.removeAll() }
      sorters[g] = s
    }
    return s
  }
}
