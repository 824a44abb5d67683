import HeroCore
import Inception
import InceptionKernels
import TestSupport
import Testing

/// Convolution, pooling and resize against cases worked out by hand, and batch-norm folding
/// against the unfolded maths.
@Suite struct KernelTests {
  @Test func conv3x3PaddedSumsNeighbourhoodsThenBiasAndReLU() {
    // Input 1..9 in a 3x3 image, an all-ones 3x3 filter with padding 1: each output is the sum
    // of the cells its window covers. Bias -20, then ReLU.
    let conv = FoldedConv(
      shape: shape(1, 1, 3, 3, pad: (1, 1)), weights: [Float](repeating: 1, count: 9),
      bias: [-20])
    let out = Kernels.convolution(
      conv, input: (1...9).map(Float.init), batch: 1, height: 3, width: 3)
    // sums: 12 21 16 / 27 45 33 / 24 39 28
    #expect(out == [0, 1, 0, 7, 25, 13, 4, 19, 8])
  }

  @Test func conv2x2Stride2WithTwoChannelsAndTwoImages() {
    // Two images of two channels 4x4; filter 0 takes channel 0's top-left cell, filter 1 sums
    // channel 1's 2x2 window. Planar layout: plane c * batch + n.
    var input = [Float](repeating: 0, count: 2 * 2 * 16)
    for c in 0..<2 {
      for n in 0..<2 {
        for i in 0..<16 { input[(c * 2 + n) * 16 + i] = Float(100 * c + 10 * n + i) }
      }
    }
    var w = [Float](repeating: 0, count: 2 * 2 * 4)
    w[0] = 1  // out 0, in 0, (0, 0)
    for k in 0..<4 { w[8 + 4 + k] = 1 }  // out 1 (row 8..<16), in 1, all four
    let conv = FoldedConv(shape: shape(2, 2, 2, 2, stride: 2), weights: w, bias: [0, -400])
    let out = Kernels.convolution(conv, input: input, batch: 2, height: 4, width: 4)
    // out 0, image n: cells (0,0),(0,2),(2,0),(2,2) of channel 0 = 10n + {0, 2, 8, 10}
    #expect(Array(out[0..<4]) == [0, 2, 8, 10])
    #expect(Array(out[4..<8]) == [10, 12, 18, 20])
    // out 1, image 0: 4*100 + window sums {0+1+4+5, 2+3+6+7, 8+9+12+13, 10+11+14+15} - 400
    #expect(Array(out[8..<12]) == [10, 18, 42, 50])
    #expect(Array(out[12..<16]) == [50, 58, 82, 90])
  }

  @Test func conv1x3WithHorizontalPaddingOnly() {
    // [1 2 3] filter over rows of 1..6 (2x3), padding (0, 1).
    let conv = FoldedConv(shape: shape(1, 1, 1, 3, pad: (0, 1)), weights: [1, 2, 3], bias: [0])
    let out = Kernels.convolution(
      conv, input: (1...6).map(Float.init), batch: 1, height: 2, width: 3)
    // row 1 2 3: (0*1+1*2+2*3)=8, (1+4+9)=14, (2+6+0)=8; row 4 5 6: 4*2+5*3=23, 4+10+18=32, 5+12=17
    #expect(out == [8, 14, 8, 23, 32, 17])
  }

  @Test func maxPool3x3Stride2() {
    let input = (0..<25).map { Float(($0 * 7) % 25) }  // 5x5, a permutation
    let out = Kernels.maxPool3x3(input, planes: 1, height: 5, width: 5, stride: 2, padding: 0)
    func m(_ y: Int, _ x: Int) -> Float {
      var best = -Float.infinity
      for dy in 0..<3 { for dx in 0..<3 { best = max(best, input[(y + dy) * 5 + x + dx]) } }
      return best
    }
    #expect(out == [m(0, 0), m(0, 2), m(2, 0), m(2, 2)])
    // A negative plane: padding must not win in the padded 3x3/1 pool.
    let neg: [Float] = [-5, -4, -3, -2]
    #expect(
      Kernels.maxPool3x3(neg, planes: 1, height: 2, width: 2, stride: 1, padding: 1)
        == [-2, -2, -2, -2])
  }

  @Test func averagePoolExcludesPaddingAtBorders() {
    // 1..9 in 3x3: corners average 4 cells, edges 6, the centre 9 (count_include_pad=False).
    let out = Kernels.averagePool3x3((1...9).map(Float.init), planes: 1, height: 3, width: 3)
    #expect(out == [3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7])
    // Two planes are pooled independently.
    let two = Kernels.averagePool3x3(
      [Float](repeating: 2, count: 4) + [Float](repeating: -1, count: 4), planes: 2, height: 2,
      width: 2)
    #expect(two == [2, 2, 2, 2, -1, -1, -1, -1])
  }

  @Test func averagePoolAddsBiasAndReLUPerChannel() {
    // Two channels of a batch of 2 (planes c * 2 + n): bias 1 and -4, then ReLU.
    let input = (0..<16).map { Float($0 % 5) - 1 }
    let plain = Kernels.averagePool3x3(input, planes: 4, height: 2, width: 2)
    let got = Kernels.averagePool3x3(
      input, planes: 4, height: 2, width: 2, bias: [1, -4], batch: 2)
    let expected = plain.indices.map { i in max(0, plain[i] + (i / 8 == 0 ? 1 : -4)) }
    #expect(got == expected)
    #expect(got.contains(0) && got.contains { $0 > 0 })
  }

  /// The network runs each tower's 1x1 convolution before its average pool, adding bias and
  /// ReLU in the pool: the same as the pool first, then the convolution with bias and ReLU.
  @Test func oneByOneThenPoolEqualsPoolThenOneByOne() {
    var rng = SplitMix(seed: 9)
    var comparisons: [Comparison] = []
    var clipped = 0
    var positive = 0
    for packed in [true, false] {
      for (cin, cout, batch, h, w) in [(70, 12, 1, 7, 9), (64, 18, 2, 5, 5), (3, 2, 1, 1, 4)] {
        let conv = FoldedConv(
          shape: shape(cout, cin, 1, 1),
          weights: (0..<(cout * cin)).map { _ in rng.float() },
          bias: (0..<cout).map { _ in rng.float() * 0.5 })
        let x = (0..<(cin * batch * h * w)).map { _ in rng.float() }
        let first = Kernels.convolution(
          conv, input: Kernels.averagePool3x3(x, planes: cin * batch, height: h, width: w),
          batch: batch, height: h, width: w, packed: packed)
        let product = Kernels.convolution(
          conv, input: x, batch: batch, height: h, width: w, packed: packed, biasReLU: false)
        // Without bias and ReLU the product keeps its negatives.
        #expect(product.contains { $0 < 0 })
        let last = Kernels.averagePool3x3(
          product, planes: cout * batch, height: h, width: w, bias: conv.bias, batch: batch)
        // Both are Σ over the window and the channels of w·x / n, plus the bias: a sum of
        // 9·cin + 1 terms, scaled by Σ|w|·avg|x| + |b|, the 1x1 convolution of the pooled
        // absolute values.
        let scale = ConvolutionBounds.magnitudes(
          conv,
          input: Kernels.averagePool3x3(x.map(abs), planes: cin * batch, height: h, width: w),
          batch: batch, height: h, width: w)
        let c = Comparison(
          first, last,
          bound: {
            RoundingBound.between(terms: 9 * cin + 2, magnitude: scale[$0])
              + Double(Float.leastNormalMagnitude)
          }, scale: { scale[$0] })
        #expect(c.holds, "cin \(cin) cout \(cout) packed \(packed): \(c)")
        comparisons.append(c)
        clipped += first.count { $0 == 0 }
        positive += first.count { $0 > 0 }
      }
    }
    // The ReLU was exercised both ways.
    #expect(clipped > 0 && positive > 0)
    reportRounding("1x1 then pool against pool then 1x1", comparisons)
  }

  @Test func foldedBatchNormEqualsTheUnfoldedMaths() {
    var rng = SplitMix(seed: 42)
    var comparisons: [Comparison] = []
    let geometries: [(ConvShape, Int, Int)] = [
      (shape(4, 3, 3, 3, stride: 2), 9, 7),
      (shape(3, 2, 1, 7, pad: (0, 3)), 5, 8),
      (shape(3, 2, 7, 1, pad: (3, 0)), 8, 5),
      (shape(2, 3, 5, 5, pad: (2, 2)), 6, 6),
      (shape(5, 4, 1, 1), 3, 4),
      (shape(2, 2, 3, 3, pad: (1, 1)), 4, 4),
    ]
    for (s, h, w) in geometries {
      let batch = 2
      let weight = (0..<(s.outChannels * s.filterLength)).map { _ in rng.float() }
      let beta = (0..<s.outChannels).map { _ in rng.float() }
      let mean = (0..<s.outChannels).map { _ in rng.float() }
      let variance = (0..<s.outChannels).map { _ in rng.float() + 1.2 }
      let input = (0..<(s.inChannels * batch * h * w)).map { _ in rng.float() }
      let folded = FoldedConv(
        shape: s, weight: weight, beta: beta, mean: mean, variance: variance, epsilon: 0.001)
      let got = Kernels.convolution(folded, input: input, batch: batch, height: h, width: w)
      // Unfolded: direct convolution in Double, then (y - mean) / sqrt(var + eps) + beta, ReLU.
      let (oh, ow) = s.outputSize(height: h, width: w)
      var want = [Float](repeating: 0, count: got.count)
      var scale = [Double](repeating: 0, count: got.count)
      for o in 0..<s.outChannels {
        for n in 0..<batch {
          for oy in 0..<oh {
            for ox in 0..<ow {
              var y = 0.0
              var size = 0.0
              for c in 0..<s.inChannels {
                for ky in 0..<s.kernelH {
                  for kx in 0..<s.kernelW {
                    let iy = oy * s.stride - s.padH + ky
                    let ix = ox * s.stride - s.padW + kx
                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                    let wi = ((o * s.inChannels + c) * s.kernelH + ky) * s.kernelW + kx
                    let p = Double(weight[wi]) * Double(input[((c * batch + n) * h + iy) * w + ix])
                    y += p
                    size += abs(p)
                  }
                }
              }
              let z =
                (y - Double(mean[o])) / (Double(variance[o]) + 0.001).squareRoot()
                + Double(beta[o])
              let index = ((o * batch + n) * oh + oy) * ow + ox
              want[index] = Float(max(0, z))
              // Folding rounds each weight and the bias once more: terms plus three, of
              // Σ|w·x| / σ + |β| + |μ| / σ.
              let sigma = (Double(variance[o]) + 0.001).squareRoot()
              scale[index] = (size + abs(Double(mean[o]))) / sigma + abs(Double(beta[o]))
            }
          }
        }
      }
      let c = Comparison(
        got, want,
        bound: {
          RoundingBound.dotProduct(terms: s.filterLength + 3, magnitude: scale[$0])
            + Double(want[$0].ulp)
        }, scale: { scale[$0] })
      #expect(c.holds, "\(s): \(c)")
      comparisons.append(c)
    }
    reportRounding("folded batch norm against the unfolded maths", comparisons)
  }

  @Test func winogradEqualsDirectConvolution() throws {
    var rng = SplitMix(seed: 7)
    var comparisons: [Comparison] = []
    // Padding 0 and 1, odd and even outputs, a partial last tile, several images.
    let tiles6: [(ConvShape, Int, Int, Int, Float)] = [
      (shape(5, 3, 3, 3), 9, 7, 2, 1), (shape(4, 6, 3, 3, pad: (1, 1)), 7, 8, 3, 1),
      (shape(3, 2, 3, 3, pad: (1, 1)), 1, 2, 1, 1), (shape(2, 3, 3, 3), 4, 4, 1, 1),
      // Rows of at least four tiles (by fours, the last four overlapping), a tile count that is
      // not a multiple of four, rows of three tiles.
      (shape(3, 4, 3, 3, pad: (1, 1)), 19, 23, 2, 1), (shape(2, 3, 3, 3), 18, 13, 1, 1),
      // An image too large for one pass: 8 channels at 182x179, 46 x 45 tiles, 36·8·2070 floats
      // of transformed tiles, over the 512 Ki budget: bands of 40 tile rows, the last one
      // shorter (and partial tiles at the bottom and right edges), one image and two. Weights
      // as small as the network's (a wrong band offset moves outputs by far more).
      (shape(8, 8, 3, 3, pad: (1, 1)), 182, 179, 1, 0.3), (shape(6, 8, 3, 3), 182, 179, 2, 0.3),
      // F(2x2, 5x5): padding 2, 1 and 0; rows of fewer than eight tiles, of exactly eight, of
      // more (the last eight overlapping); an odd output (a partial last tile); two images.
      (shape(4, 3, 5, 5, pad: (2, 2)), 35, 35, 1, 1),
      (shape(3, 5, 5, 5, pad: (2, 2)), 16, 16, 2, 1), (shape(2, 3, 5, 5, pad: (1, 1)), 9, 12, 1, 1),
      (shape(3, 2, 5, 5), 7, 5, 2, 1), (shape(2, 2, 5, 5, pad: (2, 2)), 5, 5, 1, 1),
      // 5x5 in bands: 64 · 36 · 27 · 27 floats of products is over the budget, the filters small.
      (shape(64, 8, 5, 5, pad: (2, 2)), 53, 54, 1, 0.3),
    ]
    let tiles4: [(ConvShape, Int, Int, Int, Float, Int)] = [
      // F(2x2, 3x3) (4x4 tiles): the network's 8x8 with two images, padding 0 with an odd
      // output, rows of more than eight tiles, a plane smaller than a tile, and bands (16 · 16 ·
      // 2070 floats of products is over the budget).
      (shape(4, 6, 3, 3, pad: (1, 1)), 8, 8, 2, 1, 4), (shape(3, 2, 3, 3), 9, 7, 1, 1, 4),
      (shape(2, 3, 3, 3, pad: (1, 1)), 19, 23, 1, 1, 4),
      (shape(3, 2, 3, 3, pad: (1, 1)), 1, 2, 1, 1, 4),
      (shape(16, 8, 3, 3, pad: (1, 1)), 90, 91, 1, 0.3, 4),
    ]
    for (s, h, w, batch, scale, alpha) in tiles6.map({ ($0.0, $0.1, $0.2, $0.3, $0.4, 6) }) + tiles4
    {
      let conv = FoldedConv(
        shape: s,
        weights: (0..<(s.outChannels * s.filterLength)).map { _ in rng.float() * scale },
        bias: (0..<s.outChannels).map { _ in rng.float() * 0.1 })
      let input = (0..<(s.inChannels * batch * h * w)).map { _ in rng.float() }
      let direct = Kernels.convolution(conv, input: input, batch: batch, height: h, width: w)
      // Every build of the transforms the CPU runs (baseline, AVX2 + FMA, AVX-512); the
      // transformed tiles streamed to memory in padded rows (cores apart) on the network's.
      var results: [WinogradPath: [Float]] = [:]
      let runs = Kernels.winogradPaths.map { ($0, false) } + [(Kernels.winogradPath, true)]
      for (path, stream) in runs {
        let wino = try #require(
          Kernels.winogradConvolution(
            conv, input: input, batch: batch, height: h, width: w, alpha: alpha,
            transforms: path, stream: stream))
        if !stream { results[path] = wino }
        let c = ConvolutionBounds.compare(
          wino, direct, conv: conv, input: input, batch: batch, height: h, width: w,
          gotAmplification: ConvolutionBounds.winograd(
            m: alpha - s.kernelH + 1, r: s.kernelH, dimensions: 2))
        #expect(c.holds, "\(s) \(h)x\(w), alpha \(alpha), \(path), stream \(stream): \(c)")
        comparisons.append(c)
      }
      // AVX-512 and AVX2 + FMA: the same operations in each lane, the same floats.
      if let wide = results[.avx512], let narrow = results[.avx2] {
        #expect(wide == narrow, "\(s) \(h)x\(w), alpha \(alpha): AVX-512 against AVX2")
      }
      #expect(direct.contains { $0 == 0 } && direct.contains { $0 > 0 })
    }
    reportRounding("2D Winograd against direct convolution", comparisons)
    #expect(
      Kernels.winogradConvolution(
        FoldedConv(
          shape: shape(1, 1, 3, 3, stride: 2), weights: [Float](repeating: 1, count: 9),
          bias: [0]), input: [Float](repeating: 1, count: 25), batch: 1, height: 5, width: 5) == nil
    )
    // 7x7 has no 6x6-tile form, 5x5 no 4x4-tile form.
    #expect(
      Kernels.winogradConvolution(
        FoldedConv(
          shape: shape(1, 1, 5, 5), weights: [Float](repeating: 1, count: 25), bias: [0]),
        input: [Float](repeating: 1, count: 64), batch: 1, height: 8, width: 8, alpha: 4) == nil)
    #expect(
      Kernels.winogradConvolution(
        FoldedConv(
          shape: shape(1, 1, 7, 7), weights: [Float](repeating: 1, count: 49), bias: [0]),
        input: [Float](repeating: 1, count: 64), batch: 1, height: 8, width: 8) == nil)
  }

  @Test func winograd1DMatricesComputeTheCorrelation() throws {
    var rng = SplitMix(seed: 11)
    for (m, r) in [(4, 7), (4, 3), (2, 7), (2, 3)] {
      let w = try #require(WinogradMatrices(m: m, r: r))
      #expect(w.alpha == m + r - 1)
      for _ in 0..<5 {
        let d = (0..<w.alpha).map { _ in Double(rng.float()) }
        let g = (0..<r).map { _ in Double(rng.float()) }
        let got = w.correlate(d, g)
        for i in 0..<m {
          let want = (0..<r).reduce(0.0) { $0 + g[$1] * d[i + $1] }
          #expect(abs(got[i] - want) < 1e-9, "F(\(m), \(r)) output \(i)")
        }
      }
    }
    #expect(WinogradMatrices(m: 20, r: 7) == nil)  // more points than it has
  }

  @Test func winograd1DEqualsDirectConvolution() throws {
    var rng = SplitMix(seed: 9)
    var comparisons: [Comparison] = []
    // 1x7 and 7x1 as in the 17x17 blocks, 1x3 and 3x1 as in the 8x8 ones; partial last tiles
    // (17 = 4·4 + 1), a plane narrower than a tile, several images.
    for (s, h, w, batch) in [
      (shape(5, 4, 1, 7, pad: (0, 3)), 17, 17, 2), (shape(6, 3, 7, 1, pad: (3, 0)), 17, 17, 3),
      (shape(4, 5, 1, 3, pad: (0, 1)), 8, 8, 2), (shape(3, 4, 3, 1, pad: (1, 0)), 8, 8, 2),
      (shape(2, 3, 1, 7, pad: (0, 3)), 3, 2, 1), (shape(2, 3, 7, 1, pad: (3, 0)), 2, 5, 1),
      // Two whole runs of eight columns or rows.
      (shape(3, 2, 1, 7, pad: (0, 3)), 16, 9, 1), (shape(3, 2, 7, 1, pad: (3, 0)), 9, 16, 1),
    ] {
      let conv = FoldedConv(
        shape: s, weights: (0..<(s.outChannels * s.filterLength)).map { _ in rng.float() },
        bias: (0..<s.outChannels).map { _ in rng.float() * 0.1 })
      let input = (0..<(s.inChannels * batch * h * w)).map { _ in rng.float() }
      let direct = Kernels.convolution(conv, input: input, batch: batch, height: h, width: w)
      var results: [WinogradPath: [Float]] = [:]
      for path in Kernels.winogradPaths {
        let wino = try #require(
          Kernels.winograd1DConvolution(
            conv, input: input, batch: batch, height: h, width: w, transforms: path))
        results[path] = wino
        // F(4, 7) interpolates at up to ±3: its transforms amplify rounding most.
        let r = max(s.kernelH, s.kernelW)
        let c = ConvolutionBounds.compare(
          wino, direct, conv: conv, input: input, batch: batch, height: h, width: w,
          gotAmplification: ConvolutionBounds.winograd(m: 4, r: r, dimensions: 1))
        #expect(c.holds, "\(s) \(h)x\(w), \(path): \(c)")
        comparisons.append(c)
      }
      if let wide = results[.avx512], let narrow = results[.avx2] {
        #expect(wide == narrow, "\(s) \(h)x\(w): AVX-512 against AVX2")
      }
      #expect(direct.contains { $0 == 0 } && direct.contains { $0 > 0 })
    }
    reportRounding("1D Winograd against direct convolution", comparisons)
    // Not for square kernels, strides or other paddings.
    for s in [shape(1, 1, 3, 3, pad: (1, 1)), shape(1, 1, 1, 7), shape(1, 1, 1, 3, stride: 2)] {
      let conv = FoldedConv(
        shape: s, weights: [Float](repeating: 1, count: s.filterLength), bias: [0])
      #expect(
        Kernels.winograd1DConvolution(
          conv, input: [Float](repeating: 1, count: 81), batch: 1, height: 9, width: 9) == nil)
    }
  }

  @Test(
    "the AVX-512 Winograd transforms give the AVX2 ones' floats, bit for bit, on the layers' planes",
    .enabled(
      if: Kernels.winogradPaths.contains(.avx512),
      "needs AVX-512F (the AVX2 and baseline builds are compared with direct convolution above)"))
  func winogradWideTransformsEqualNarrow() throws {
    var rng = SplitMix(seed: 31)
    // Same source, same expressions in each lane, so the same FMA contractions (clang's
    // -ffp-contract=on fuses within an expression, whatever the vector width): any difference
    // is a bug in the sixteen-wide runs or their overlap, not rounding.
    // The network's planes: 147x147 (the stem, padding 0 and 1), 35x35 (3x3 and 5x5), 17x17,
    // 8x8 (F(2x2, 3x3)), and widths around sixteen tiles. (α, m) = (6, 4), (6, 2), (4, 2).
    let planes: [(Int, Int, Int, Int, Int)] = [
      (147, 147, 0, 6, 4), (147, 147, 1, 6, 4), (35, 35, 1, 6, 4), (35, 35, 2, 6, 2),
      (17, 17, 1, 6, 4), (17, 17, 1, 4, 2), (8, 8, 1, 4, 2), (35, 35, 1, 4, 2),
      (62, 9, 1, 6, 4), (66, 5, 1, 6, 4), (94, 4, 1, 6, 4), (98, 4, 1, 6, 4), (30, 7, 2, 6, 2),
      (34, 6, 2, 6, 2), (3, 2, 1, 6, 4),
    ]
    for (width, height, pad, alpha, m) in planes {
      let r = alpha - m + 1
      let (oh, ow) = (height + 2 * pad - r + 1, width + 2 * pad - r + 1)
      let tilesX = (ow + m - 1) / m
      let tilesY = (oh + m - 1) / m
      let plane = (0..<(height * width)).map { _ in rng.float() }
      // All tile rows at once, and a band in the middle.
      for rows in [0..<tilesY, (tilesY / 3)..<max(tilesY / 3 + 1, 2 * tilesY / 3)] {
        let v = [WinogradPath.avx2, .avx512].map {
          Kernels.winogradInputTransform(
            plane, height: height, width: width, pad: pad, alpha: alpha, m: m, tilesX: tilesX,
            tileRows: rows, path: $0)
        }
        #expect(!v[0].contains { $0.isNaN })
        #expect(
          v[1] == v[0], "input, \(width)x\(height) pad \(pad), (\(alpha), \(m)), rows \(rows)")
      }
      // Products of either sign: each output is above zero (past the ReLU) in one of the two.
      let products = (0..<(alpha * alpha * tilesX * tilesY)).map { _ in rng.float() }
      for sign: Float in [1, -1] {
        let y = [WinogradPath.avx2, .avx512].map {
          Kernels.winogradOutputTransform(
            products.map { sign * $0 }, alpha: alpha, m: m, tilesX: tilesX, tileRows: tilesY,
            bias: 0.1, height: oh, width: ow, path: $0)
        }
        #expect(!y[0].contains { $0.isNaN })
        #expect(
          y[1].elementsEqual(y[0]) { $0.bitPattern == $1.bitPattern },
          "output, \(ow)x\(oh), (\(alpha), \(m)), sign \(sign)")
      }
    }
    // 1D: F(4, 3) (α 6) and F(4, 7) (α 10) over rows of the network's lengths (17, 8) and
    // around sixteen; outputs by rows (1xr's stride 1) and by columns (strided).
    for (r, alpha) in [(3, 6), (7, 10)] {
      let w = try #require(WinogradMatrices(m: 4, r: r))
      #expect(w.alpha == alpha)
      let bt = w.bt.map { Float($0) }
      let at = w.at.map { Float($0) }
      for length in [1, 5, 8, 9, 15, 16, 17, 24, 25, 31, 32, 33, 40, 147] {
        let rows = (0..<alpha).map { _ in (0..<length).map { _ in rng.float() } }
        let v = [WinogradPath.avx2, .avx512].map {
          Kernels.winograd1DInputTransform(rows: rows, bt: bt, path: $0)
        }
        #expect(!v[0].contains { $0.isNaN })
        #expect(v[1] == v[0], "1D input, alpha \(alpha), length \(length)")
        let products = (0..<(alpha * length)).map { _ in rng.float() }
        for (sign, outputs, outI, outK) in [
          (Float(1), 4, length, 1), (-1, 4, length, 1), (1, 3, 1, 4), (-1, 1, 1, 4),
        ] {
          let y = [WinogradPath.avx2, .avx512].map {
            Kernels.winograd1DOutputTransform(
              products.map { sign * $0 }, at: at, alpha: alpha, outputs: outputs,
              length: length, bias: 0.1, outI: outI, outK: outK, count: 4 * length, path: $0)
          }
          #expect(
            y[1].elementsEqual(y[0]) { $0.bitPattern == $1.bitPattern },
            "1D output, alpha \(alpha), length \(length), \(outputs) outputs, stride \(outK)")
        }
      }
    }
  }

  @Test func winogradPathsFollowTheGEMMPath() {
    // One variable keeps every float kernel on one path: HERO_ID_GEMM=avx2 moves the
    // transforms onto AVX2 with the GEMM.
    #expect(Kernels.winogradPaths.first == .baseline)
    #expect(Kernels.winogradPaths.contains(Kernels.winogradPath))
    if Kernels.gemmPath == .avx2 {
      #expect(Kernels.winogradPath == .avx2)
    } else {
      #expect(Kernels.winogradPath == Kernels.winogradPaths.last)
    }
    #expect(Kernels.winogradPaths.contains(.avx512) == Kernels.gemmPaths.contains(.avx512))
    if !Kernels.winogradPaths.contains(.avx512) {
      print("note: this CPU lacks AVX-512F: the AVX-512 Winograd transforms are not tested")
    }
  }

  @Test func bilinearResizeWithHalfPixelCentres() {
    // 2x1 -> 4x1: scale 0.5, sources max(0, 0.5 (d + 0.5) - 0.5) = 0, 0.25, 0.75, 1.25 (-> 1).
    let up = RGBImage(width: 2, height: 1, pixels: [0, 0, 0, 100, 200, 40])
    let u = InceptionInput.resized(up, width: 4, height: 1)
    #expect(Array(u[0..<4]) == [0, 25, 75, 100])  // R
    #expect(Array(u[4..<8]) == [0, 50, 150, 200])  // G
    #expect(Array(u[8..<12]) == [0, 10, 30, 40])  // B
    // 4x2 -> 2x1: scale 2, sources 0.5 and 2.5 along x, 0.5 along y: no antialias, 2x2 reads.
    let down = RGBImage(
      width: 4, height: 2,
      pixels: [0, 10, 20, 30, 40, 50, 60, 70].flatMap { [UInt8($0), 0, 0] })
    let d = InceptionInput.resized(down, width: 2, height: 1)
    // (0 + 10 + 40 + 50) / 4 = 25, (20 + 30 + 60 + 70) / 4 = 45
    #expect(Array(d[0..<2]) == [25, 45])
  }

  @Test func inputIsNormalisedAndA299ImageIsNotResized() {
    var img = RGBImage(width: 299, height: 299, fill: (128, 0, 255))
    img.pixels[0] = 64
    let t = InceptionInput.tensor(from: img)
    let plane = 299 * 299
    #expect(t.count == 3 * plane)
    #expect(t[0] == -0.5)
    #expect(t[1] == 0)
    #expect(t[plane] == -1)
    #expect(t[2 * plane + 1000] == 127.0 / 128.0)
  }
}

/// A small seeded generator for test data.
/// A test layer's geometry: `outC` filters of `inC`×`kh`×`kw`.
func shape(
  _ outC: Int, _ inC: Int, _ kh: Int, _ kw: Int, stride: Int = 1, pad: (Int, Int) = (0, 0)
) -> ConvShape {
  ConvShape(
    key: "t", outChannels: outC, inChannels: inC, kernelH: kh, kernelW: kw, stride: stride,
    padH: pad.0, padW: pad.1)
}

struct SplitMix: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  /// Uniform in -1..<1.
  mutating func float() -> Float { Float.random(in: -1..<1, using: &self) }
}
