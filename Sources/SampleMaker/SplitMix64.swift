/// A small seeded generator (SplitMix64, Steele et al. 2014): the same seed gives the same
/// sequence on every machine and Swift version, which `SystemRandomNumberGenerator` does not.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  private var state: UInt64

  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A uniform double in `0..<1` (53 random bits).
  public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

  /// A uniform double in `lo..<hi`.
  public mutating func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * unit() }

  /// A uniform integer in `range` (modulo bias is negligible for the small ranges used here).
  public mutating func int(_ range: ClosedRange<Int>) -> Int {
    let span = UInt64(range.upperBound - range.lowerBound + 1)
    return range.lowerBound + Int(next() % span)
  }

  /// True with probability `p`.
  public mutating func chance(_ p: Double) -> Bool { unit() < p }

  /// One element of a non-empty array.
  public mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

  /// A stable seed derived from `seed` and a stream number, for independent sub-sequences.
  public static func derive(_ seed: UInt64, _ stream: UInt64) -> UInt64 {
    var g = SplitMix64(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
    _ = g.next()
    return g.next()
  }
}
