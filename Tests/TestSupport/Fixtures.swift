import Foundation
import HeroCore

/// Small image helpers for the tests.
public enum RGBImageFixture {
  public static func make(width: Int, height: Int, pixels: [UInt8]) -> RGBImage {
    RGBImage(width: width, height: height, pixels: pixels)
  }

  /// A skill-button-like image for hero `kind` (0 red, 1 green, 2 blue, 3 yellow, ...): a disc
  /// with `kind + 3` light spokes on a darker base, on a grey background; `brightness` scales the
  /// disc as a cooldown does, `digit` paints a white block over its centre (the seconds left),
  /// and (`dx`, `dy`) moves it off centre.
  public static func icon(
    _ kind: Int, side: Int = 104, brightness: Double = 1, digit: Bool = false, dx: Int = 0,
    dy: Int = 0, twist: Double = 0
  ) -> RGBImage {
    let palette: [(Double, Double, Double)] = [
      (220, 50, 50), (50, 200, 70), (50, 80, 220), (230, 210, 40), (200, 60, 200),
    ]
    let (r, g, b) = palette[kind % palette.count]
    var image = RGBImage(width: side, height: side, fill: (90, 90, 90))
    let c = Double(side - 1) / 2
    for y in 0..<side {
      for x in 0..<side {
        let u = Double(x - dx) - c
        let v = Double(y - dy) - c
        let rho = (u * u + v * v).squareRoot() / (Double(side) / 2)
        guard rho < 0.8 else { continue }
        let spoke = sin(Double(kind + 3) * atan2(v, u) + twist) > 0 ? 1.0 : 0.45
        var value = (r * spoke, g * spoke, b * spoke)
        value = (value.0 * brightness, value.1 * brightness, value.2 * brightness)
        if digit && abs(u) < Double(side) * 0.1 && abs(v) < Double(side) * 0.14 {
          value = (255, 255, 255)
        }
        let i = (y * side + x) * 3
        image.pixels[i] = UInt8(min(max(value.0, 0), 255))
        image.pixels[i + 1] = UInt8(min(max(value.1, 0), 255))
        image.pixels[i + 2] = UInt8(min(max(value.2, 0), 255))
      }
    }
    return image
  }

  /// A flat-colour image.
  public static func flat(_ r: UInt8, _ g: UInt8, _ b: UInt8, side: Int = 16) -> RGBImage {
    RGBImage(width: side, height: side, fill: (r, g, b))
  }
}

/// A temporary folder removed when the value is dropped (tests only).
public final class TemporaryFolder {
  public let path: String
  public init() {
    path =
      FileManager.default.temporaryDirectory
      .appendingPathComponent("hero-id-tests-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }
  deinit { try? FileManager.default.removeItem(atPath: path) }
  public func sub(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
}
