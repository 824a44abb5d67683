import Foundation
import HeroCore

/// Small helpers for the training tests.
enum RGBImageFixture {
  static func make(width: Int, height: Int, pixels: [UInt8]) -> RGBImage {
    RGBImage(width: width, height: height, pixels: pixels)
  }

  /// A flat-colour image.
  static func flat(_ r: UInt8, _ g: UInt8, _ b: UInt8, side: Int = 16) -> RGBImage {
    RGBImage(width: side, height: side, fill: (r, g, b))
  }
}

/// A temporary folder removed when the value is dropped (tests only).
final class TemporaryFolder {
  let path: String
  init() {
    path =
      FileManager.default.temporaryDirectory
      .appendingPathComponent("hero-id-tests-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }
  deinit { try? FileManager.default.removeItem(atPath: path) }
  func sub(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
}
