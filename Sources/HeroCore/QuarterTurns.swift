import Foundation

/// A picture turned clockwise by a whole number of quarter turns: how a player shows a video
/// whose container carries a rotation (a phone recording stored portrait with a display
/// matrix saying "turn me", as phones store landscape play). The decoder reads the frames as
/// coded and hands them out turned, so every later step sees the picture as a viewer does.
public enum QuarterTurns: Int, Sendable, Equatable, CaseIterable {
  case none = 0, clockwise = 1, half = 2, counterclockwise = 3

  /// The turn a player applies for a display matrix whose rotation is `degrees`
  /// (`av_display_rotation_get`: counterclockwise, in [-180, 180]); the nearest quarter turn,
  /// `none` for a value that is not a number.
  public init(displayMatrixDegrees degrees: Double) {
    // The player turns the picture by minus the matrix's angle (ffmpeg's autorotate).
    let clockwise = (-degrees / 90).rounded()
    // libav gives [-180, 180], or NaN for a matrix that is not a rotation.
    guard clockwise.isFinite, abs(clockwise) <= 4 else {
      self = .none
      return
    }
    let q = ((Int(clockwise) % 4) + 4) % 4
    self = QuarterTurns(rawValue: q) ?? .none
  }

  /// Whether width and height trade places.
  public var swapsSides: Bool { self == .clockwise || self == .counterclockwise }

  /// The size shown for a coded `width`×`height`.
  public func shown(width: Int, height: Int) -> (width: Int, height: Int) {
    swapsSides ? (height, width) : (width, height)
  }

  /// The coded-frame rectangle of `r`, a rectangle of the shown picture, for a coded frame of
  /// `width`×`height`.
  public func codedRect(_ r: PixelRect, codedWidth w: Int, codedHeight h: Int) -> PixelRect {
    switch self {
    case .none: r
    case .clockwise: PixelRect(x: r.y, y: h - r.x - r.width, width: r.height, height: r.width)
    case .half:
      PixelRect(x: w - r.x - r.width, y: h - r.y - r.height, width: r.width, height: r.height)
    case .counterclockwise:
      PixelRect(x: w - r.y - r.height, y: r.x, width: r.height, height: r.width)
    }
  }

  /// `pixels` (`width`×`height`, `channels` bytes a pixel, rows top to bottom) turned.
  public func turn(_ pixels: [UInt8], width w: Int, height h: Int, channels c: Int) -> [UInt8] {
    guard self != .none, pixels.count == w * h * c else { return pixels }
    let (ow, _) = shown(width: w, height: h)
    var out = [UInt8](repeating: 0, count: pixels.count)
    pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for y in 0..<h {
          for x in 0..<w {
            // Where coded (x, y) lands in the shown picture.
            let (ox, oy): (Int, Int)
            switch self {
            case .none: (ox, oy) = (x, y)
            case .clockwise: (ox, oy) = (h - 1 - y, x)
            case .half: (ox, oy) = (w - 1 - x, h - 1 - y)
            case .counterclockwise: (ox, oy) = (y, w - 1 - x)
            }
            let s = (y * w + x) * c
            let d = (oy * ow + ox) * c
            for k in 0..<c { dst[d + k] = src[s + k] }
          }
        }
      }
    }
    return out
  }

  /// `image` turned.
  public func turn(_ image: RGBImage) -> RGBImage {
    guard self != .none else { return image }
    let (w, h) = shown(width: image.width, height: image.height)
    return RGBImage(
      width: w, height: h,
      pixels: turn(image.pixels, width: image.width, height: image.height, channels: 3))
  }

  /// `probe` turned.
  public func turn(_ probe: GreyProbe) -> GreyProbe {
    guard self != .none else { return probe }
    let (w, h) = shown(width: probe.width, height: probe.height)
    return GreyProbe(
      width: w, height: h,
      pixels: turn(probe.pixels, width: probe.width, height: probe.height, channels: 1))
  }
}

extension RGBImage {
  /// The image flipped left to right (a mirrored upload read back the right way round).
  public func mirrored() -> RGBImage {
    var out = [UInt8](repeating: 0, count: pixels.count)
    let w = width
    pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for y in 0..<height {
          let row = y * w * 3
          for x in 0..<w {
            let s = row + 3 * x
            let d = row + 3 * (w - 1 - x)
            dst[d] = src[s]
            dst[d + 1] = src[s + 1]
            dst[d + 2] = src[s + 2]
          }
        }
      }
    }
    return RGBImage(width: width, height: height, pixels: out)
  }
}
