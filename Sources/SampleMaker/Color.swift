/// An RGB colour with components in 0...1, plus helpers to derive shades.
public struct Color: Sendable, Equatable, Hashable {
  public var r: Double
  public var g: Double
  public var b: Double

  public init(_ r: Double, _ g: Double, _ b: Double) {
    self.r = r
    self.g = g
    self.b = b
  }

  /// From a 0xRRGGBB literal.
  public init(hex: UInt32) {
    self.init(
      Double((hex >> 16) & 0xFF) / 255, Double((hex >> 8) & 0xFF) / 255, Double(hex & 0xFF) / 255)
  }

  /// Mixes towards `other` by `t` (0 = self, 1 = other).
  public func mix(_ other: Color, _ t: Double) -> Color {
    Color(r + (other.r - r) * t, g + (other.g - g) * t, b + (other.b - b) * t)
  }

  public func lighter(_ t: Double) -> Color { mix(.white, t) }
  public func darker(_ t: Double) -> Color { mix(.black, t) }

  public static let white = Color(1, 1, 1)
  public static let black = Color(0, 0, 0)
}
