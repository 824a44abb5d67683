import Foundation
import HeroCore

/// How a clip departs from the standard 16:9 render, as real footage does: the device's aspect
/// ratio, how the video was uploaded, and how the player arranged the HUD.
///
/// The game picture has the device's aspect ratio (`aspect`, width / height). In canonical units
/// it is 720 high and `720 × aspect` wide; the minimap and joystick keep their place at the left,
/// the score stays centred, and the attack and skill buttons stay anchored to the bottom-right
/// corner: a button of the default layout at (cx, cy) is drawn at
/// `(W + shiftX + hudScale × (cx − 1280), 720 + shiftY + hudScale × (cy − 720))` with radius
/// `hudScale × r` (W the canonical picture width). The picture is then placed into the output
/// frame by `upload`.
public struct FootageStyle: Sendable, Equatable {
  /// How the uploader framed the game picture in the output frame.
  public enum Upload: String, Sendable, CaseIterable {
    /// The whole frame is the game picture (the output must have the picture's aspect ratio).
    case native
    /// The picture fitted into the frame with black bars (top and bottom, or left and right).
    case letterbox
    /// The frame is filled at full height and the picture's right edge cut (`rightCut`
    /// canonical pixels, then whatever does not fit at the left).
    case crop
    /// A streamer's layout: the picture scaled into the left of the frame beside a chat panel,
    /// with a webcam box and a watermark over the picture.
    case stream
  }

  /// A short name for the sidecar and the manifests (e.g. "phone-19.5x9-native").
  public var name: String
  /// Width / height of the device's screen, e.g. 19.5 / 9.
  public var aspect: Double
  public var upload: Upload
  /// Size of the buttons relative to the default layout (the player's custom layout).
  public var hudScale: Double
  /// Shift of the buttons in canonical pixels (720 lines), besides the clip look's offset.
  public var shiftX: Double
  public var shiftY: Double
  /// `slots[k]`: which of the hero's skills (0, 1, 2) is drawn on skill button k + 1.
  public var slots: [Int]
  /// Canonical pixels cut off the picture's right edge (`crop` only).
  public var rightCut: Double

  public init(
    name: String, aspect: Double, upload: Upload = .native, hudScale: Double = 1,
    shiftX: Double = 0, shiftY: Double = 0, slots: [Int] = [0, 1, 2], rightCut: Double = 0
  ) {
    self.name = name
    self.aspect = aspect
    self.upload = upload
    self.hudScale = hudScale
    self.shiftX = shiftX
    self.shiftY = shiftY
    self.slots = slots
    self.rightCut = rightCut
  }

  /// Canonical width of the game picture (720 lines high).
  public var canonicalWidth: Double { 720 * aspect }

  /// Why this style cannot be rendered, or nil.
  public var problem: String? {
    if !(aspect >= 1 && aspect <= 3) { return "aspect \(aspect) must be 1...3" }
    if !(hudScale >= 0.5 && hudScale <= 1.6) { return "HUD scale \(hudScale) must be 0.5...1.6" }
    if abs(shiftX) > 150 || abs(shiftY) > 150 { return "HUD shift must be within ±150 px" }
    if slots.sorted() != [0, 1, 2] { return "slots must be a permutation of 0, 1, 2" }
    if rightCut < 0 || rightCut > 200 { return "right cut must be 0...200 px" }
    return nil
  }
}

/// Where a footage clip's picture and buttons land in its output frame: the ground truth the
/// sidecar carries.
public struct FootageGeometry: Sendable, Equatable {
  /// The game picture in output pixels (x, y, width, height): the active picture a detector
  /// should find (for `crop`, the whole frame).
  public var picture: (x: Double, y: Double, width: Double, height: Double)
  /// Output pixels per canonical pixel.
  public var pixelScale: Double
  /// Canonical x of the picture box's left edge (> 0 only for `crop`).
  public var viewX: Double
  /// Button centres and radii in output pixels: skill1, skill2, skill3, attack.
  public var buttons: [(name: String, cx: Double, cy: Double, r: Double)]

  public static func == (a: FootageGeometry, b: FootageGeometry) -> Bool {
    a.picture == b.picture && a.pixelScale == b.pixelScale && a.viewX == b.viewX
      && a.buttons.elementsEqual(b.buttons) { $0 == $1 }
  }

  /// The geometry of `style` with the look's HUD offset, in a `width`×`height` output frame.
  public init(style: FootageStyle, look: ClipLook, width: Int, height: Int) {
    let (w, h) = (Double(width), Double(height))
    let cw = style.canonicalWidth
    switch style.upload {
    case .native:
      picture = (0, 0, w, h)
      pixelScale = h / 720
      viewX = 0
    case .letterbox:
      if cw / 720 >= w / h {
        let ph = (w / style.aspect / 2).rounded() * 2
        picture = (0, ((h - ph) / 2).rounded(), w, ph)
        pixelScale = ph / 720
      } else {
        let pw = (h * style.aspect / 2).rounded() * 2
        picture = (((w - pw) / 2).rounded(), 0, pw, h)
        pixelScale = h / 720
      }
      viewX = 0
    case .crop:
      picture = (0, 0, w, h)
      pixelScale = h / 720
      viewX = cw - style.rightCut - w / pixelScale
    case .stream:
      let pw = (w * 0.72 / 2).rounded() * 2
      let ph = (pw / style.aspect / 2).rounded() * 2
      picture = ((w * 0.015).rounded(), ((h - ph) / 2).rounded(), pw, ph)
      pixelScale = ph / 720
      viewX = 0
    }
    let layout = LayoutProfile.default
    let fw = Double(layout.frame.width)
    let fh = Double(layout.frame.height)
    let dx = style.shiftX + Double(look.hudDX)
    let dy = style.shiftY + Double(look.hudDY)
    let (px, py, s, vx) = (picture.x, picture.y, pixelScale, viewX)
    buttons = (layout.orderedSkills.map { ($0.name, $0.slot) } + [("attack", layout.attack)]).map {
      name, b in
      let x = cw + dx + style.hudScale * (Double(b.cx) - fw)
      let y = 720 + dy + style.hudScale * (Double(b.cy) - fh)
      return (name, px + s * (x - vx), py + s * y, s * style.hudScale * Double(b.r))
    }
  }
}

extension FootageStyle {
  /// The variations the footage presets render, each with its output size: phones of 19.5:9,
  /// 20:9 and 21:9 (2340x1080, 2400x1080, 2520x1080 scaled to 720 lines), tablets of 4:3 and
  /// 16:10, letterboxed, pillarboxed and cropped uploads, two streamer layouts, and HUDs from 0.8
  /// to 1.25 of the default size, moved by up to 50 px, with swapped skill slots.
  public static let catalogue: [(style: FootageStyle, size: (Int, Int))] = [
    (FootageStyle(name: "phone-19.5x9-native", aspect: 19.5 / 9), (1560, 720)),
    (
      FootageStyle(
        name: "phone-20x9-native-hud1.15", aspect: 20 / 9, hudScale: 1.15, shiftX: -30,
        shiftY: -18),
      (1600, 720)
    ),
    (FootageStyle(name: "phone-21x9-letterbox", aspect: 21 / 9, upload: .letterbox), (1280, 720)),
    (
      FootageStyle(
        name: "tablet-4x3-pillarbox-hud0.85", aspect: 4 / 3, upload: .letterbox, hudScale: 0.85,
        shiftX: 10, shiftY: 8),
      (1280, 720)
    ),
    (
      FootageStyle(
        name: "tablet-16x10-native-hud0.9", aspect: 16 / 10, hudScale: 0.9, shiftX: 24,
        shiftY: 12),
      (1152, 720)
    ),
    (
      FootageStyle(name: "phone-20x9-crop16x9", aspect: 20 / 9, upload: .crop, rightCut: 40),
      (1280, 720)
    ),
    (FootageStyle(name: "stream-16x9", aspect: 16 / 9, upload: .stream), (1280, 720)),
    (
      FootageStyle(
        name: "stream-19.5x9-hud1.1", aspect: 19.5 / 9, upload: .stream, hudScale: 1.1),
      (1280, 720)
    ),
    (
      FootageStyle(
        name: "16x9-hud0.8-swapped", aspect: 16 / 9, hudScale: 0.8, shiftX: 40, shiftY: 30,
        slots: [2, 0, 1]),
      (1280, 720)
    ),
    (
      FootageStyle(
        name: "16x9-hud1.25-moved-swapped", aspect: 16 / 9, hudScale: 1.25, shiftX: -50,
        shiftY: -40, slots: [1, 2, 0]),
      (1280, 720)
    ),
  ]

  /// The catalogue style named `name`.
  public static func named(_ name: String) -> FootageStyle? {
    catalogue.first { $0.style.name == name }?.style
  }
}
