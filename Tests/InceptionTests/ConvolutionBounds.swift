import Foundation
import InceptionKernels
import TestSupport

/// Rounding bounds of the convolution kernels (``RoundingBound`` applied to a layer): for each
/// output, the sum of |weight · input| over its window plus |bias| is the scale of its error,
/// and the filter length plus one (the bias) its number of terms.
enum ConvolutionBounds {
  /// Σ|w·x| + |b| for every output of `conv` on `input` (the direct convolution of the
  /// absolute values; ReLU leaves its non-negative sums alone). Its own rounding is γ_K of
  /// itself, far below what it bounds.
  static func magnitudes(
    _ conv: FoldedConv, input: [Float], batch: Int, height: Int, width: Int
  ) -> [Double] {
    let absolute = FoldedConv(
      shape: conv.shape, weights: conv.weights.map(abs), bias: conv.bias.map(abs))
    return Kernels.convolution(
      absolute, input: input.map(abs), batch: batch, height: height, width: width, packed: false
    ).map(Double.init)
  }

  /// The amplification κ of the Winograd form F(`m`, `r`) (``RoundingBound/winogradAmplification``)
  /// in `dimensions` dimensions, from the same matrices the kernels derive theirs from.
  static func winograd(m: Int, r: Int, dimensions: Int) -> Double {
    guard let w = WinogradMatrices(m: m, r: r) else { preconditionFailure("F(\(m), \(r))") }
    return RoundingBound.winogradAmplification(
      at: w.at, g: w.g, bt: w.bt, m: m, r: r, dimensions: dimensions)
  }

  /// Compares two evaluations of `conv` on `input` (each within its bound of the exact
  /// convolution): `gotAmplification` and `wantAmplification` are 1 for GEMM and direct
  /// convolution, a Winograd form's κ for it.
  static func compare(
    _ got: [Float], _ want: [Float], conv: FoldedConv, input: [Float], batch: Int, height: Int,
    width: Int, gotAmplification: Double = 1, wantAmplification: Double = 1
  ) -> Comparison {
    let scale = magnitudes(conv, input: input, batch: batch, height: height, width: width)
    let terms = conv.shape.filterLength + 1
    let perUnit =
      RoundingBound.dotProduct(terms: terms, magnitude: 1, amplification: gotAmplification)
      + RoundingBound.dotProduct(terms: terms, magnitude: 1, amplification: wantAmplification)
    // ReLU (max(0, ·)) only shrinks a difference; the smallest normal float covers outputs whose
    // every term is zero.
    return Comparison(
      got, want, bound: { perUnit * scale[$0] + Double(Float.leastNormalMagnitude) },
      scale: { scale[$0] })
  }
}

extension ConvolutionBounds {
  /// The RMS amplification κ₂ of F(`m`, `r`): for output o, √(Σᵢ (Aᵀ_oi ‖G_i‖₂ ‖Bᵀ_i‖₂)²) / √r,
  /// the largest over o, to the power `dimensions`: how much the transforms scale independent
  /// rounding errors (the probabilistic counterpart of ``winograd(m:r:dimensions:)``).
  static func winogradRMS(m: Int, r: Int, dimensions: Int) -> Double {
    guard let w = WinogradMatrices(m: m, r: r) else { preconditionFailure("F(\(m), \(r))") }
    let alpha = w.alpha
    var worst = 1.0
    for o in 0..<m {
      var sum = 0.0
      for i in 0..<alpha {
        let g = (0..<r).reduce(0.0) { $0 + w.g[i * r + $1] * w.g[i * r + $1] }.squareRoot()
        let b = (0..<alpha).reduce(0.0) { $0 + w.bt[i * alpha + $1] * w.bt[i * alpha + $1] }
          .squareRoot()
        let term = w.at[o * alpha + i] * g * b
        sum += term * term
      }
      worst = max(worst, (sum / Double(r)).squareRoot())
    }
    return pow(worst, Double(dimensions))
  }

  /// The terms of Inception v3 up to `pool_3` for the probabilistic bound: Σ over its layers of
  /// the filter length times κ₂² of the form it may run in (F(4x4, 3x3) for every 3x3 stride-1
  /// layer, F(2x2, 5x5), F(4, 7) for 1x7 and 7x1, F(4, 3) for 1x3 and 3x1, GEMM otherwise).
  static let inceptionTerms: Int = {
    let f3 = winogradRMS(m: 4, r: 3, dimensions: 2)
    let f5 = winogradRMS(m: 2, r: 5, dimensions: 2)
    let f7 = winogradRMS(m: 4, r: 7, dimensions: 1)
    let f13 = winogradRMS(m: 4, r: 3, dimensions: 1)
    var terms = 0.0
    for s in InceptionLayers.table {
      var kappa = 1.0
      if s.stride == 1 {
        switch (s.kernelH, s.kernelW) {
        case (3, 3): kappa = f3
        case (5, 5): kappa = f5
        case (1, 7), (7, 1): kappa = f7
        case (1, 3), (3, 1): kappa = f13
        default: break
        }
      }
      terms += Double(s.filterLength + 1) * kappa * kappa
    }
    // The pools: ten 3x3 pools of 9 terms on the longest path, and the final 8x8 average.
    terms += 10 * 9 + 64
    return Int(terms.rounded(.up))
  }()

  /// The relative bound between two evaluations of the network (``RoundingBound/network``),
  /// relative to the largest element of the bottleneck.
  static var inceptionRelative: Double { RoundingBound.network(terms: inceptionTerms) }
}
