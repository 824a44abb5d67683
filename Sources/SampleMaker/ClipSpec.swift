import Foundation
import HeroCore

/// One stretch of a clip that shows one kind of screen, from `start` (inclusive) to `end`
/// (exclusive), in seconds. Cuts are hard: the frame at `start` already shows `screen` fully.
public struct ScreenSpan: Sendable, Equatable, Codable {
  public var start: Double
  public var end: Double
  public var screen: Screen

  public init(start: Double, end: Double, screen: Screen) {
    self.start = start
    self.end = end
    self.screen = screen
  }
}

/// The per-video look: HUD offset in canonical 1280x720 pixels, brightness and a colour cast.
public struct ClipLook: Sendable, Equatable {
  /// HUD offset (each within ±4) in pixels of the canonical 1280x720 frame.
  public var hudDX: Int
  public var hudDY: Int
  /// -0.12 ... 0.12: negative darkens the whole frame, positive lightens it.
  public var brightness: Double
  /// A colour laid softly over the whole frame with strength `tintStrength` (0 ... 0.1).
  public var tint: Color
  public var tintStrength: Double

  public init(
    hudDX: Int = 0, hudDY: Int = 0, brightness: Double = 0, tint: Color = .white,
    tintStrength: Double = 0
  ) {
    self.hudDX = hudDX
    self.hudDY = hudDY
    self.brightness = brightness
    self.tint = tint
    self.tintStrength = tintStrength
  }

  /// A look drawn from `seed`: offsets in -4...4, brightness ±0.1, tint up to 0.08.
  public static func random(seed: UInt64) -> ClipLook {
    var g = SplitMix64(seed: SplitMix64.derive(seed, 7))
    return ClipLook(
      hudDX: g.int(-4...4), hudDY: g.int(-4...4), brightness: g.uniform(-0.1, 0.1),
      tint: Color(g.unit(), g.unit(), g.unit()), tintStrength: g.uniform(0, 0.08))
  }
}

/// Everything that defines a clip; the same spec always renders the same frames.
public struct ClipSpec: Sendable, Equatable {
  public var seed: UInt64
  /// The hero the player controls; nil for a clip without gameplay.
  public var hero: HeroSpec?
  public var width: Int
  public var height: Int
  public var fps: Int
  /// Maximum distance between key frames (x264 `keyint`).
  public var keyint: Int
  public var bitrateKbps: Int
  /// Seconds; a multiple of 0.5.
  public var duration: Double
  /// The screen script: spans that cover `0..<duration` in order.
  public var spans: [ScreenSpan]
  public var look: ClipLook
  /// Real-footage variations (device aspect, upload style, the player's HUD); nil renders the
  /// standard 16:9 frame with the default layout scaled to the output size.
  public var style: FootageStyle?
  /// The hero's skin (0: the default icons; `hero` is already `HeroSpec.skinned(skin)`), for
  /// the sidecar.
  public var skin = 0
  /// What a re-uploader did to the recording (mirror, zoom, colour, vertical frame, rotation
  /// flag, danmaku); nil: the recording as rendered.
  public var reupload: Reupload?

  /// A spec whose script and look come from `seed` unless given.
  public init(
    seed: UInt64, hero: HeroSpec?, width: Int = 1280, height: Int = 720, fps: Int = 30,
    keyint: Int = 60, bitrateKbps: Int = 800, duration: Double = 15, spans: [ScreenSpan]? = nil,
    look: ClipLook? = nil, style: FootageStyle? = nil
  ) {
    self.style = style
    self.seed = seed
    self.hero = hero
    self.width = width
    self.height = height
    self.fps = fps
    self.keyint = keyint
    self.bitrateKbps = bitrateKbps
    self.duration = (duration * 2).rounded() / 2
    self.spans =
      spans ?? ClipSpec.script(seed: seed, duration: self.duration, hasGameplay: hero != nil)
    self.look = look ?? ClipLook.random(seed: seed)
  }

  /// The number of frames: `duration * fps`, rounded.
  public var frameCount: Int { Int((duration * Double(fps)).rounded()) }

  /// The first frame of a span that starts at `seconds`.
  public func frameIndex(at seconds: Double) -> Int { Int((seconds * Double(fps)).rounded()) }

  /// The span shown at frame `index` (the last span for frames past the end).
  public func span(at index: Int) -> ScreenSpan {
    for s in spans where index < frameIndex(at: s.end) { return s }
    return spans[spans.count - 1]
  }

  /// The screen shown at frame `index`.
  public func screen(at index: Int) -> Screen { span(at: index).screen }

  /// Checks sizes, rates and that the spans cover the clip without gaps.
  public func validate() throws {
    func fail(_ why: String) -> ClipError { .invalidSpec(reason: why) }
    if let why = reupload?.problem { throw fail("re-upload: \(why)") }
    guard width >= 160, height >= 90, width <= 3840, height <= 2160, width % 2 == 0, height % 2 == 0
    else { throw fail("size \(width)x\(height) must be even and between 160x90 and 3840x2160") }
    guard (1...120).contains(fps) else { throw fail("fps \(fps) must be 1...120") }
    guard (1...600).contains(keyint) else { throw fail("keyint \(keyint) must be 1...600") }
    guard (20...100_000).contains(bitrateKbps) else {
      throw fail("bitrate \(bitrateKbps) kbps must be 20...100000")
    }
    guard duration >= 1, duration <= 3600 else {
      throw fail("duration \(duration) s must be 1...3600")
    }
    guard let first = spans.first, first.start == 0, let last = spans.last, last.end == duration
    else {
      throw fail("spans must start at 0 and end at the duration \(duration)")
    }
    for (a, b) in zip(spans, spans.dropFirst()) where a.end != b.start || a.end <= a.start {
      throw fail(
        "spans must be contiguous and non-empty (\(a.start)..\(a.end), \(b.start)..\(b.end))")
    }
    if hero == nil, spans.contains(where: { $0.screen == .gameplay }) {
      throw fail("gameplay spans need a hero")
    }
    if let style {
      if let why = style.problem { throw fail("footage style: \(why)") }
      let ratio = Double(width) / Double(height)
      if style.upload == .native, abs(ratio / style.aspect - 1) > 0.01 {
        throw fail(
          "a native upload needs the output size to have the picture's aspect ratio "
            + String(format: "%.3f (got %dx%d)", style.aspect, width, height))
      }
    }
  }

  /// The default script: loading first (3 to 5 s), then gameplay, with a visit to the shop and
  /// an `other` screen (hero selection or a victory banner) now and then. Times are multiples
  /// of 0.5 s, so every span starts on a whole frame at 30 or 60 fps.
  public static func script(seed: UInt64, duration: Double, hasGameplay: Bool) -> [ScreenSpan] {
    var g = SplitMix64(seed: SplitMix64.derive(seed, 11))
    func half(_ lo: Double, _ hi: Double) -> Double { (g.uniform(lo, hi) * 2).rounded() / 2 }
    let total = max((duration * 2).rounded() / 2, 1)
    let loading = min(half(3, 5), max(total - 0.5, 0.5))
    var out = [ScreenSpan(start: 0, end: loading, screen: .loading)]
    var t = loading
    let rest = total - loading
    guard rest > 0 else { return [ScreenSpan(start: 0, end: total, screen: .loading)] }
    guard hasGameplay else {
      let mid = t + max(0.5, (rest / 2 * 2).rounded() / 2)
      if mid < total {
        out.append(ScreenSpan(start: t, end: mid, screen: .other))
        out.append(ScreenSpan(start: mid, end: total, screen: .shop))
      } else {
        out.append(ScreenSpan(start: t, end: total, screen: .other))
      }
      return out
    }
    // Inserts into the gameplay: a shop visit (likely) and an other screen (sometimes).
    var inserts: [(Screen, Double)] = []
    if g.chance(0.75) { inserts.append((.shop, half(2, 3.5))) }
    if g.chance(0.5) { inserts.append((.other, half(2, 3))) }
    if g.chance(0.5) { inserts.reverse() }
    let insertTime = inserts.reduce(0) { $0 + $1.1 }
    if rest - insertTime < max(0.6 * rest, 1.5 * Double(inserts.count + 1)) { inserts = [] }
    let gameplayTime = rest - inserts.reduce(0) { $0 + $1.1 }
    // Split the gameplay into inserts.count + 1 pieces of at least 1.5 s.
    var pieces: [Double] = []
    var left = gameplayTime
    for k in 0..<inserts.count {
      let others = Double(inserts.count - k) * 1.5
      let p = max(1.5, min(left - others, half(1.5, max(1.5, left * 0.6))))
      pieces.append(p)
      left -= p
    }
    pieces.append(left)
    for (k, p) in pieces.enumerated() {
      if p > 0 {
        out.append(ScreenSpan(start: t, end: t + p, screen: .gameplay))
        t += p
      }
      if k < inserts.count {
        out.append(ScreenSpan(start: t, end: t + inserts[k].1, screen: inserts[k].0))
        t += inserts[k].1
      }
    }
    out[out.count - 1].end = total
    return out
  }
}

/// Errors of the sample generator; each names the file or says what is wrong with the spec.
public enum ClipError: Error, CustomStringConvertible, Equatable {
  case invalidSpec(reason: String)
  case encodeFailed(path: String, reason: String)
  case writeFailed(path: String, reason: String)
  case unknownHero(name: String)

  public var description: String {
    switch self {
    case .invalidSpec(let r): "invalid clip spec: \(r)"
    case .encodeFailed(let p, let r): "\(p): cannot encode video (\(r))"
    case .writeFailed(let p, let r): "\(p): cannot write (\(r))"
    case .unknownHero(let n):
      "unknown hero \"\(n)\" (known: \(Heroes.all.map(\.name).joined(separator: ", ")))"
    }
  }
}
