import Foundation

/// Tolerances for comparing floating-point results, derived from the computation instead of
/// tuned on one CPU: every test that compares floats (kernels, Winograd against direct, split
/// against single, batch against single, golden vectors) takes its bound from here.
///
/// Two results of the same sums computed in another order (OpenBLAS's Haswell kernel against
/// its SkylakeX one, a split GEMM against a whole one, FMA against multiply-then-add) are both
/// right and differ by rounding only. How much they may differ follows from the sums:
///
/// - **A sum of K products**, computed in `Float` in any order and with or without FMA, is within
///   γ_K · Σ|aᵢbᵢ| of the exact value, γ_K = K·u / (1 − K·u), u = 2⁻²⁴ (Higham, *Accuracy and
///   Stability of Numerical Algorithms*, §3.1). Two such results are within twice that of each
///   other. This is a worst case: it holds for any order and any CPU. ``dotProduct(terms:magnitude:)``.
/// - **Winograd** rounds in a transformed space whose matrices have entries larger than one;
///   its bound is the direct one times the transform's amplification κ (``winogradAmplification``),
///   the ratio of the transform's absolute-value chain to the direct sum's for inputs of equal
///   magnitude.
/// - **A whole network** (94 layers) has no useful worst case: the deterministic bounds of its
///   layers add up to percent. Rounding errors of long sums behave as independent random
///   variables, and then |Δ| ≤ λ·√K·u · Σ|aᵢbᵢ| with probability at least
///   1 − 2·exp(−λ²(1 − u)²/2) (Higham and Mary, "A new approach to probabilistic rounding error
///   analysis", SIAM J. Sci. Comput. 41(5), 2019, Theorem 3.1). ``network(terms:lambda:)`` gives
///   that relative bound for a chain of layers, K the sum of their lengths.
///
/// Tests compare with ``Comparison`` and print the largest ratio of the measured difference to
/// the bound, so a loose bound shows how loose it is in practice.
public enum RoundingBound {
  /// The unit roundoff of `Float`: 2⁻²⁴.
  public static let unitRoundoff = Double(Float.ulpOfOne) / 2

  /// γ_n = n·u / (1 − n·u): the relative worst case of a sum of n terms in `Float`.
  public static func gamma(_ n: Int) -> Double {
    let nu = Double(max(n, 1)) * unitRoundoff
    precondition(nu < 1, "no bound for \(n) terms")
    return nu / (1 - nu)
  }

  /// The most a `Float` sum of `terms` products whose absolute values add up to `magnitude`
  /// may differ from the exact value (`amplification` for algorithms that round in a
  /// transformed space).
  public static func dotProduct(terms: Int, magnitude: Double, amplification: Double = 1)
    -> Double
  {
    amplification * gamma(terms) * magnitude
  }

  /// The most two `Float` evaluations of the same sum may differ from each other: each is
  /// within ``dotProduct(terms:magnitude:amplification:)`` of the exact value.
  public static func between(terms: Int, magnitude: Double, amplification: Double = 1)
    -> Double
  {
    2 * dotProduct(terms: terms, magnitude: magnitude, amplification: amplification)
  }

  /// The amplification of a Winograd form whose 1D matrices are `at` (m × α), `g` (α × r),
  /// `bt` (α × α), row-major, in `dimensions` dimensions: for output o, the chain
  /// Σᵢ |Aᵀ_oi| (Σₖ|G_ik|)(Σⱼ|Bᵀ_ij|) over the direct sum's r terms, the largest over o, raised
  /// to the power `dimensions` (the 2D forms are the 1D ones nested).
  public static func winogradAmplification(
    at: [Double], g: [Double], bt: [Double], m: Int, r: Int, dimensions: Int
  ) -> Double {
    let alpha = m + r - 1
    precondition(at.count == m * alpha && g.count == alpha * r && bt.count == alpha * alpha)
    var worst = 1.0
    for o in 0..<m {
      var chain = 0.0
      for i in 0..<alpha {
        let gi = (0..<r).reduce(0.0) { $0 + abs(g[i * r + $1]) }
        let bi = (0..<alpha).reduce(0.0) { $0 + abs(bt[i * alpha + $1]) }
        chain += abs(at[o * alpha + i]) * gi * bi
      }
      worst = max(worst, chain / Double(r))
    }
    return pow(worst, Double(dimensions))
  }

  /// λ of the probabilistic bound: 8 makes the bound fail with probability below 2.6e-14 per
  /// element (2·exp(−32)).
  public static let lambda = 8.0

  /// The relative bound of a chain of float computations whose sums have `terms` terms in all
  /// (Higham and Mary's λ·√K·u), relative to the magnitude of the results. For comparing two
  /// evaluations of a network, the bound applies to each: twice it between them.
  public static func network(terms: Int, lambda: Double = RoundingBound.lambda) -> Double {
    2 * lambda * Double(terms).squareRoot() * unitRoundoff
  }
}

/// Two float vectors compared element by element against a bound for each element.
public struct Comparison: CustomStringConvertible {
  /// The largest |got − want| and where.
  public let maxDiff: Double
  public let worstIndex: Int
  /// The largest |got − want| / bound (≤ 1 passes) and where.
  public let worstRatio: Double
  public let worstRatioIndex: Int
  /// The largest |got − want| / scale, with the scale of each element that the bound came from
  /// (its Σ|aᵢbᵢ|, or the vector's magnitude): the relative error measured.
  public let worstRelative: Double
  public let count: Int

  /// `got` against `want`; `bound(i)` is the most element i may differ, `scale(i)` the
  /// magnitude the bound was derived from (for the relative error reported).
  public init(
    _ got: [Float], _ want: [Float], bound: (Int) -> Double, scale: (Int) -> Double
  ) {
    precondition(got.count == want.count, "\(got.count) against \(want.count) elements")
    var maxDiff = 0.0
    var worstIndex = 0
    var worstRatio = 0.0
    var worstRatioIndex = 0
    var worstRelative = 0.0
    for i in got.indices {
      var d = abs(Double(got[i]) - Double(want[i]))
      if d.isNaN || got[i].isInfinite != want[i].isInfinite { d = .infinity }
      if d > maxDiff {
        maxDiff = d
        worstIndex = i
      }
      let b = bound(i)
      let ratio = d == 0 ? 0 : (b > 0 ? d / b : .infinity)
      if ratio > worstRatio {
        worstRatio = ratio
        worstRatioIndex = i
      }
      let s = scale(i)
      if d > 0 { worstRelative = max(worstRelative, s > 0 ? d / s : .infinity) }
    }
    self.maxDiff = maxDiff
    self.worstIndex = worstIndex
    self.worstRatio = worstRatio
    self.worstRatioIndex = worstRatioIndex
    self.worstRelative = worstRelative
    self.count = got.count
  }

  /// `got` against `want` with a bound `relative` times the largest |want| for every element
  /// (the magnitude of a network's output).
  public init(_ got: [Float], _ want: [Float], relativeToMagnitude relative: Double) {
    let magnitude = want.reduce(0.0) { max($0, abs(Double($1))) }
    self.init(got, want, bound: { _ in relative * magnitude }, scale: { _ in magnitude })
  }

  /// Every element within its bound.
  public var holds: Bool { worstRatio <= 1 }

  public var description: String {
    "max |diff| \(String(format: "%.3g", maxDiff)) at \(worstIndex); "
      + "worst diff/bound \(String(format: "%.3g", worstRatio)) at \(worstRatioIndex); "
      + "worst relative error \(String(format: "%.3g", worstRelative)) over \(count) values"
  }
}

/// The largest measured ratio and relative error of a test, printed as one line that
/// `scripts/test.sh` collects per OpenBLAS kernel (`rounding: <test>: ...`).
public func reportRounding(_ test: String, _ comparisons: [Comparison]) {
  let ratio = comparisons.map(\.worstRatio).max() ?? 0
  let relative = comparisons.map(\.worstRelative).max() ?? 0
  let diff = comparisons.map(\.maxDiff).max() ?? 0
  print(
    "rounding: \(test): worst diff/bound \(String(format: "%.3g", ratio)), "
      + "worst relative error \(String(format: "%.3g", relative)), "
      + "max |diff| \(String(format: "%.3g", diff))")
}

/// ‖got − want‖ / ‖want‖ (L2, in Double), the relative error the numeric tests compare.
public func relativeL2Error(_ got: [Float], _ want: [Float]) -> Double {
  precondition(got.count == want.count)
  var d = 0.0
  var w = 0.0
  for i in want.indices {
    d += Double(got[i] - want[i]) * Double(got[i] - want[i])
    w += Double(want[i]) * Double(want[i])
  }
  return (d / max(w, .leastNormalMagnitude)).squareRoot()
}
