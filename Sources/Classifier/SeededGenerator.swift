import Foundation
import HeroCore
import InceptionKernels

/// The seeded generator of training runs (batch order, initial weights, distortions), so that a
/// run repeats exactly with `--seed`: HeroCore's SplitMix64.
public typealias SeededGenerator = SplitMix64

extension SplitMix64 {
  /// A uniform Float in [0, 1).
  public mutating func nextUnit() -> Float { Float(next() >> 40) * 0x1p-24 }

  /// A standard normal sample (Box–Muller).
  public mutating func nextGaussian() -> Float {
    let u1 = max(nextUnit(), 1e-7)
    let u2 = nextUnit()
    return (-2 * logf(u1)).squareRoot() * cosf(2 * .pi * u2)
  }
}
