import Foundation
import HeroCore

/// The skill-2 crop: the layout's crop square cut out of a canonical frame.
public enum Crop {
  /// JPEG quality of the crops `extract` writes.
  public static let jpegQuality = 95

  /// The layout's crop square (`LayoutProfile.cropRect`) of `frame`, which must have the layout's
  /// frame size. Throws `CropError` when it does not, or when the square leaves the frame.
  public static func skill(frame: RGBImage, layout: LayoutProfile) throws -> RGBImage {
    guard frame.width == layout.frame.width, frame.height == layout.frame.height else {
      throw CropError.frameSize(
        width: frame.width, height: frame.height, layout: layout.name,
        expected: (layout.frame.width, layout.frame.height))
    }
    let r = layout.cropRect
    guard r.x >= 0, r.y >= 0, r.width > 0, r.height > 0, r.maxX <= frame.width,
      r.maxY <= frame.height
    else { throw CropError.outside(rect: r, layout: layout.name) }
    return frame.cropped(to: r)
  }

  /// The crop of skill button `slot` (a key of `layout.skills`, e.g. "skill2") of a frame whose
  /// HUD is at `geometry`: the square of the layout's crop size times the geometry's scale
  /// (`HUDGeometry`), centred on the button, resampled to `layout.crop.size` pixels a side. A
  /// side within 1.5 px of the crop size is taken as the crop size, and a whole-pixel square is
  /// copied as it is: for the identity geometry on the layout's own frame size and slot this is
  /// exactly `skill(frame:layout:)` (x 980..1083, y 447..550 for the default).
  public static func skill(
    frame: RGBImage, layout: LayoutProfile, geometry g: HUDGeometry, slot: String
  ) throws -> RGBImage {
    guard frame.width == g.frameWidth, frame.height == g.frameHeight else {
      throw CropError.frameSize(
        width: frame.width, height: frame.height, layout: layout.name,
        expected: (g.frameWidth, g.frameHeight))
    }
    guard let b = layout.buttons(at: g).first(where: { $0.name == slot }) else {
      throw CropError.noSlot(slot: slot, layout: layout.name)
    }
    let size = Double(layout.crop.size)
    var side = size * b.r / Double(layout.skills[slot]?.r ?? 1)
    if abs(side - size) < 1.5 { side = size }
    let x = b.cx - side / 2
    let y = b.cy - side / 2
    // The button's centre must be in the frame (a cut-off edge of the crop repeats edge pixels).
    guard b.cx >= 0, b.cy >= 0, b.cx < Double(frame.width), b.cy < Double(frame.height) else {
      throw CropError.outside(
        rect: PixelRect(x: Int(x), y: Int(y), width: Int(side), height: Int(side)),
        layout: layout.name)
    }
    let whole = side == size
    return Resample.region(
      frame, x: whole ? x.rounded() : x, y: whole ? y.rounded() : y, width: side, height: side,
      outWidth: layout.crop.size, outHeight: layout.crop.size)
  }

  /// Whether skill button `slot`'s crop at `geometry` is mostly in the frame: its centre inside
  /// and at most `maxCut` of the square's side outside along each axis (that part repeats the
  /// edge pixels). A picture cut at an edge (a wide recording cropped to 16:9) leaves some
  /// buttons out: only the slots in view are cropped and read.
  public static func inView(
    layout: LayoutProfile, geometry g: HUDGeometry, slot: String, maxCut: Double = 0.1
  ) -> Bool {
    guard let b = layout.buttons(at: g).first(where: { $0.name == slot }),
      let r = layout.skills[slot]?.r
    else { return false }
    let side = Double(layout.crop.size) * b.r / Double(r)
    func inside(_ c: Double, _ limit: Int) -> Bool {
      let lo = c - side / 2
      let hi = c + side / 2
      let cut = max(0, -lo) + max(0, hi - Double(limit))
      return c >= 0 && c < Double(limit) && cut <= maxCut * side
    }
    return inside(b.cx, g.frameWidth) && inside(b.cy, g.frameHeight)
  }

  /// The skill slots of `layout` in view at `geometry` (``inView(layout:geometry:slot:maxCut:)``),
  /// in name order.
  public static func slotsInView(layout: LayoutProfile, geometry g: HUDGeometry) -> [String] {
    layout.orderedSkills.map(\.name).filter { inView(layout: layout, geometry: g, slot: $0) }
  }

  /// The crop of `frame` encoded as JPEG at `jpegQuality`.
  public static func skillJPEG(frame: RGBImage, layout: LayoutProfile) throws -> Data {
    try JPEG.encode(skill(frame: frame, layout: layout), quality: jpegQuality)
  }

  /// The JPEG (at `jpegQuality`) of skill button `slot` of `frame`, at the found `geometry`, or
  /// without one at the layout's own places: for the layout's crop slot, exactly
  /// ``skillJPEG(frame:layout:)``. What `extract` writes and `identify` reads.
  public static func skillJPEG(
    frame: RGBImage, layout: LayoutProfile, geometry: HUDGeometry?, slot: String
  ) throws -> Data {
    if geometry == nil, slot == layout.crop.slot {
      return try skillJPEG(frame: frame, layout: layout)
    }
    let g = geometry ?? HUDGeometry(frameWidth: frame.width, frameHeight: frame.height)
    return try JPEG.encode(
      skill(frame: frame, layout: layout, geometry: g, slot: slot), quality: jpegQuality)
  }
}

/// `cropSkill(frame:layout:)`: the same as `Crop.skill(frame:layout:)`.
public func cropSkill(frame: RGBImage, layout: LayoutProfile) throws -> RGBImage {
  try Crop.skill(frame: frame, layout: layout)
}

public enum CropError: Error, CustomStringConvertible {
  case frameSize(width: Int, height: Int, layout: String, expected: (Int, Int))
  case outside(rect: PixelRect, layout: String)
  case noSlot(slot: String, layout: String)

  public var description: String {
    switch self {
    case .frameSize(let w, let h, let l, let e):
      "frame is \(w)x\(h) but layout \(l) expects \(e.0)x\(e.1)"
    case .outside(let r, let l): "layout \(l): crop \(r) leaves the frame"
    case .noSlot(let s, let l): "layout \(l) has no skill slot \"\(s)\""
    }
  }
}

/// Loading the layout `extract` and `identify` use.
public enum Layouts {
  /// The canonical frame size every frame is rescaled to.
  public static let frameWidth = LayoutProfile.canonicalFrame.width
  public static let frameHeight = LayoutProfile.canonicalFrame.height

  /// The built-in default (CONTRACT.md) when `path` is nil, else the profile in the JSON file
  /// `path`, validated, and required to describe the canonical 1280x720 frame.
  public static func load(path: String?) throws -> LayoutProfile {
    guard let path else { return .default }
    return try LayoutProfile.loadUsable(path: path)
  }
}
