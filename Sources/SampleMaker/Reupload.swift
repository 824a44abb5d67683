import Foundation
import HeroCore

/// What a video site's re-uploader did to a recording (issue 26), applied to every rendered
/// frame before encoding, in this order: danmaku comments and subtitles burned in over the game, a colour
/// filter, a zoom about the centre, a left-right mirror, a vertical 9:16 frame with a blurred,
/// darkened copy of the video as its fill and a title band, and a picture stored turned a quarter
/// counterclockwise with a display matrix that tells players to turn it back (as phones store
/// landscape play). The truth goes into the sidecar's `reupload` object.
public struct Reupload: Codable, Sendable, Equatable {
  /// Flipped left to right (the HUD at the bottom left, every icon mirrored).
  public var mirror = false
  /// Zoom about the centre, 1 (none) to 1.2: bigger buttons, pushed toward the edge.
  public var zoom = 1.0
  /// Hue turned by this many degrees (−30...30).
  public var hue = 0.0
  /// Saturation factor (0.5...1.5) about each pixel's luma.
  public var saturation = 1.0
  /// Contrast factor (0.7...1.3) about mid-grey.
  public var contrast = 1.0
  /// A 9:16 picture (the game's height wide): the game in the middle, a blurred, darkened copy
  /// above and below, a title band on top.
  public var vertical = false
  /// 0, or 90: stored turned a quarter counterclockwise, shown upright by the display matrix.
  public var rotate = 0
  /// Lines of comments scrolling right to left across the picture (0: none); some cross the
  /// buttons for a few frames at a time.
  public var danmaku = 0
  /// Large burned-in subtitles: a line at the bottom centre, a new one every 2–4 s, the longer
  /// ones reaching into the skill buttons.
  public var subtitles = false

  public init() {}

  enum CodingKeys: String, CodingKey {
    case mirror, zoom, hue, saturation, contrast, vertical, rotate, danmaku, subtitles
  }

  /// Reads a sidecar's object; keys added later (`subtitles`) may be missing from older ones.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    mirror = try c.decode(Bool.self, forKey: .mirror)
    zoom = try c.decode(Double.self, forKey: .zoom)
    hue = try c.decode(Double.self, forKey: .hue)
    saturation = try c.decode(Double.self, forKey: .saturation)
    contrast = try c.decode(Double.self, forKey: .contrast)
    vertical = try c.decode(Bool.self, forKey: .vertical)
    rotate = try c.decode(Int.self, forKey: .rotate)
    danmaku = try c.decode(Int.self, forKey: .danmaku)
    subtitles = try c.decodeIfPresent(Bool.self, forKey: .subtitles) ?? false
  }

  /// Whether it changes nothing.
  public var isIdentity: Bool { self == Reupload() }

  /// Why the values cannot be rendered, or nil.
  public var problem: String? {
    if !(1...1.2).contains(zoom) { return "zoom must be 1...1.2" }
    if !(-30...30).contains(hue) { return "hue must be -30...30 degrees" }
    if !(0.5...1.5).contains(saturation) { return "saturation must be 0.5...1.5" }
    if !(0.7...1.3).contains(contrast) { return "contrast must be 0.7...1.3" }
    if rotate != 0 && rotate != 90 { return "rotate must be 0 or 90" }
    if !(0...6).contains(danmaku) { return "danmaku must be 0...6 lines" }
    return nil
  }

  /// The picture as shown (after the vertical frame) for a game of `width`×`height`.
  public func shownSize(width: Int, height: Int) -> (width: Int, height: Int) {
    guard vertical else { return (width, height) }
    // The game's height becomes the width; 16:9 upright, both even.
    return (height, (height * 16 / 9 + 1) / 2 * 2)
  }

  /// The picture as stored in the file (turned when `rotate` is 90).
  public func storedSize(width: Int, height: Int) -> (width: Int, height: Int) {
    let s = shownSize(width: width, height: height)
    return rotate == 90 ? (s.height, s.width) : s
  }

  /// The display matrix's angle for the stream (nil: none written). The player turns the
  /// picture clockwise by minus this angle.
  var displayMatrixDegrees: Double? { rotate == 90 ? 90 : nil }

  /// The sidecar's object, e.g. `{"mirror": true, "zoom": 1.07, ..., "shown": [720, 1280],
  /// "stored": [1280, 720]}`.
  func jsonText(width: Int, height: Int) -> String {
    let shown = shownSize(width: width, height: height)
    let stored = storedSize(width: width, height: height)
    return "{\"mirror\": \(mirror), \"zoom\": \(zoom), \"hue\": \(hue), "
      + "\"saturation\": \(saturation), \"contrast\": \(contrast), \"vertical\": \(vertical), "
      + "\"rotate\": \(rotate), \"danmaku\": \(danmaku), \"subtitles\": \(subtitles), "
      + "\"shown\": [\(shown.width), \(shown.height)], \"stored\": [\(stored.width), \(stored.height)]}"
  }
}

/// Applies a ``Reupload`` to rendered frames: canvases of its own, one per stage, reused.
/// Lives inside one task.
final class ReuploadStage {
  let reupload: Reupload
  let seed: UInt64
  let fps: Int
  private let game: (width: Int, height: Int)
  private let picture: Canvas
  private let shown: Canvas?
  private let blurred: Canvas?
  private let stored: Canvas?
  private let comments: [Comment]
  private let captions: [Caption]

  /// One scrolling comment: its text, line, start time and speed (game pixels per second).
  struct Comment {
    var text: String
    var line: Int
    var start: Double
    var speed: Double
  }

  /// One subtitle: its text and when it shows.
  struct Caption {
    var text: String
    var start: Double
    var end: Double
  }

  init(reupload: Reupload, seed: UInt64, fps: Int, duration: Double, width: Int, height: Int) {
    self.reupload = reupload
    self.seed = seed
    self.fps = fps
    game = (width, height)
    picture = Canvas(width: width, height: height)
    let s = reupload.shownSize(width: width, height: height)
    shown = reupload.vertical ? Canvas(width: s.width, height: s.height) : nil
    blurred =
      reupload.vertical ? Canvas(width: max(s.width / 16, 2), height: max(s.height / 16, 2)) : nil
    let st = reupload.storedSize(width: width, height: height)
    stored = reupload.rotate == 90 ? Canvas(width: st.width, height: st.height) : nil
    // Comments: each line gets one every 1.5-3.5 s, crossing the picture in 4-7 s.
    var g = SplitMix64(seed: SplitMix64.derive(seed, 31))
    let words = [
      "666666", "hhhhhhhh", "GG", "nice!!!", "yyds", "carry carry", "2333333", "what a play",
      "LOL", "too strong", "???", "again!!", "MVP", "wow wow wow", "ez", "1v5",
    ]
    var out: [Comment] = []
    for line in 0..<reupload.danmaku {
      var t = -g.uniform(0, 4)
      while t < duration {
        let text = words[Int(g.next() % UInt64(words.count))]
        out.append(
          Comment(text: text, line: line, start: t, speed: Double(width) / g.uniform(4, 7)))
        t += g.uniform(1.5, 3.5)
      }
    }
    comments = out
    // Subtitles: one line at a time, 2-4 s each, with a short gap now and then.
    var captions: [Caption] = []
    if reupload.subtitles {
      var h = SplitMix64(seed: SplitMix64.derive(seed, 37))
      let lines = [
        "这波团战打得太漂亮了", "注意看他的走位", "大招一定要留到最后", "兄弟们这把稳了",
        "Watch the timing on this combo", "one more fight and we win the game",
        "这个操作我给满分", "对面已经没有办法了",
      ]
      var t = h.uniform(0, 1)
      while t < duration {
        let length = h.uniform(2, 4)
        captions.append(
          Caption(
            text: lines[Int(h.next() % UInt64(lines.count))], start: t, end: t + length))
        t += length + (h.next() % 3 == 0 ? h.uniform(0.3, 1) : 0)
      }
    }
    self.captions = captions
  }

  /// The frame as stored, from the game canvas `frame` at frame `index` (which it may draw on).
  func apply(_ frame: Canvas, index: Int) -> Canvas {
    let r = reupload
    let t = Double(index) / Double(fps)
    if r.danmaku > 0 { drawComments(frame, t: t) }
    if r.subtitles { drawCaption(frame, t: t) }
    if r.hue != 0 || r.saturation != 1 || r.contrast != 1 { filterColour(frame) }
    var out = frame
    if r.zoom != 1 || r.mirror {
      let c = picture
      let (w, h) = (Double(game.width), Double(game.height))
      c.resetTransform()
      c.set(.black)
      c.paint()
      c.translate(w / 2, h / 2)
      c.scale(r.zoom * (r.mirror ? -1 : 1), r.zoom)
      c.translate(-w / 2, -h / 2)
      c.paintFiltered(frame)
      c.resetTransform()
      out = c
    }
    if let shown, let blurred {
      frameVertically(out, into: shown, fill: blurred)
      out = shown
    }
    if let stored {
      // Turned a quarter counterclockwise: shown (x, y) lands at (y, W − x).
      stored.resetTransform()
      stored.translate(0, Double(stored.height))
      stored.rotate(-Double.pi / 2)
      stored.paintFiltered(out)
      stored.resetTransform()
      out = stored
    }
    return out
  }

  private func drawComments(_ c: Canvas, t: Double) {
    let h = Double(game.height)
    let w = Double(game.width)
    let size = h / 16
    c.resetTransform()
    for comment in comments {
      let x = w - (t - comment.start) * comment.speed
      guard x < w, x > -w / 2 else { continue }
      // Lines from a fifth of the way down to the buttons' band at the bottom right.
      let lines = max(reupload.danmaku, 1)
      let y = h * (0.22 + 0.7 * Double(comment.line + 1) / Double(lines + 1))
      c.text(
        comment.text, x: x, y: y, size: size, color: .white, outline: .black,
        outlineWidth: size / 10)
    }
  }

  /// The subtitle showing at `t`: large, white with a black outline, centred near the bottom
  /// (a long line spans most of the width and reaches the skill buttons).
  private func drawCaption(_ c: Canvas, t: Double) {
    guard let caption = captions.first(where: { $0.start <= t && t < $0.end }) else { return }
    let h = Double(game.height)
    let size = h / 12
    c.resetTransform()
    c.text(
      caption.text, x: Double(game.width) / 2, y: h * 0.94, size: size, color: .white,
      align: .center, outline: .black, outlineWidth: size / 8,
      family: "WenQuanYi Micro Hei")  // Chinese glyphs (fonts-wqy-microhei, make setup)
  }

  /// Hue turned about the grey axis, saturation about the luma, contrast about mid-grey.
  private func filterColour(_ c: Canvas) {
    let r = reupload
    let a = r.hue * Double.pi / 180
    let (cosA, sinA) = (cos(a), sin(a))
    // The hue rotation about (1, 1, 1) (Rodrigues), then saturation toward the luma.
    let k = 1.0 / 3
    let sq = (1.0 / 3).squareRoot()
    var m = [[Double]](repeating: [0, 0, 0], count: 3)
    for i in 0..<3 {
      for j in 0..<3 {
        let cross: Double =
          i == j ? 0 : ((j - i + 3) % 3 == 1 ? -sq : sq)
        m[i][j] = (i == j ? cosA : 0) + k * (1 - cosA) + sinA * cross
      }
    }
    let luma = [0.299, 0.587, 0.114]
    for i in 0..<3 {
      for j in 0..<3 {
        m[i][j] = r.saturation * m[i][j] + (1 - r.saturation) * luma[j]
      }
    }
    let f = m.map { $0.map { Float($0 * r.contrast) } }
    let offset = Float(128 * (1 - r.contrast))
    c.withMutableBGRX { px, stride in
      for y in 0..<c.height {
        let row = px + y * stride
        for x in 0..<c.width {
          let p = row + 4 * x
          let (b, g, rr) = (Float(p[0]), Float(p[1]), Float(p[2]))
          let rgb = (rr, g, b)
          func channel(_ i: Int) -> UInt8 {
            let v = f[i][0] * rgb.0 + f[i][1] * rgb.1 + f[i][2] * rgb.2 + offset
            return UInt8(max(0, min(255, v.rounded())))
          }
          let (nr, ng, nb) = (channel(0), channel(1), channel(2))
          p[0] = nb
          p[1] = ng
          p[2] = nr
        }
      }
    }
  }

  /// The picture in the middle of `into`, a blurred, darkened copy covering the rest, a title
  /// band on top.
  private func frameVertically(_ pic: Canvas, into v: Canvas, fill: Canvas) {
    let (vw, vh) = (Double(v.width), Double(v.height))
    let (pw, ph) = (Double(pic.width), Double(pic.height))
    // The fill: the picture covering the whole frame, drawn small (a box blur by scaling).
    let cover = max(vh / ph, vw / pw)
    let fw = Double(fill.width) / vw
    fill.resetTransform()
    fill.scale(fw * cover)
    fill.translate(-(pw * cover - vw) / 2 / cover, -(ph * cover - vh) / 2 / cover)
    fill.paintFiltered(pic)
    fill.resetTransform()
    v.resetTransform()
    v.scale(vw / Double(fill.width), vh / Double(fill.height))
    v.paintFiltered(fill)
    v.resetTransform()
    v.setAlpha(.black, 0.55)
    v.paint()
    // The game, the full width, in the middle.
    let s = vw / pw
    let top = ((vh - ph * s) / 2).rounded()
    v.translate(0, top)
    v.scale(s)
    v.paintFiltered(pic)
    v.resetTransform()
    // The title band.
    v.setAlpha(.black, 0.7)
    v.rect(0, vh * 0.06, vw, vh * 0.07)
    v.fill()
    v.text(
      "Top plays #\(seed % 100)", x: vw / 2, y: vh * 0.115, size: vh * 0.04, color: .white,
      align: .center)
  }
}
