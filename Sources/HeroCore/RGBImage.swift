/// An 8-bit RGB image, row-major, 3 bytes per pixel, no padding between rows.
public struct RGBImage: Sendable, Equatable {
  public let width: Int
  public let height: Int
  /// `width * height * 3` bytes: R, G, B for each pixel, rows top to bottom.
  public var pixels: [UInt8]

  public init(width: Int, height: Int, pixels: [UInt8]) {
    precondition(width > 0 && height > 0 && pixels.count == width * height * 3)
    self.width = width
    self.height = height
    self.pixels = pixels
  }

  /// A new image filled with one colour.
  public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8) = (0, 0, 0)) {
    precondition(width > 0 && height > 0)
    var p = [UInt8](repeating: 0, count: width * height * 3)
    if fill != (0, 0, 0) {
      for i in stride(from: 0, to: p.count, by: 3) {
        p[i] = fill.0
        p[i + 1] = fill.1
        p[i + 2] = fill.2
      }
    }
    self.init(width: width, height: height, pixels: p)
  }

  /// The pixel at (x, y).
  public func pixel(x: Int, y: Int) -> (r: UInt8, g: UInt8, b: UInt8) {
    let i = (y * width + x) * 3
    return (pixels[i], pixels[i + 1], pixels[i + 2])
  }

  /// The sub-image `rect` (must lie inside the image).
  public func cropped(to rect: PixelRect) -> RGBImage {
    precondition(rect.x >= 0 && rect.y >= 0 && rect.maxX <= width && rect.maxY <= height)
    var out = [UInt8](repeating: 0, count: rect.width * rect.height * 3)
    let rowBytes = rect.width * 3
    pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for row in 0..<rect.height {
          let s = ((rect.y + row) * width + rect.x) * 3
          let d = row * rowBytes
          for k in 0..<rowBytes { dst[d + k] = src[s + k] }
        }
      }
    }
    return RGBImage(width: rect.width, height: rect.height, pixels: out)
  }
}

/// An axis-aligned rectangle in pixels: `x..<x+width`, `y..<y+height`.
public struct PixelRect: Sendable, Equatable, Codable, CustomStringConvertible {
  public var x: Int
  public var y: Int
  public var width: Int
  public var height: Int
  public init(x: Int, y: Int, width: Int, height: Int) {
    self.x = x
    self.y = y
    self.width = width
    self.height = height
  }
  public var maxX: Int { x + width }
  public var maxY: Int { y + height }
  public var description: String { "x \(x)..\(maxX - 1), y \(y)..\(maxY - 1)" }
}
