import Foundation
import Inception
import InceptionKernels
import TestSupport
import Testing

/// hero-id's GEMM on packed weights (`Sources/CPackedGEMM`) against a double-precision loop, its
/// splits against the whole, and the convolutions and the network on it against OpenBLAS.
@Suite struct PackedGEMMTests {
  /// `relu?(a · b + bias)` in Double, and for each element the sum of |a_il · b_lj| (the scale
  /// of its rounding error).
  func reference(
    _ a: [Float], _ b: [Float], m: Int, k: Int, n: Int, bias: [Float]?, relu: Bool
  ) -> (values: [Double], scale: [Double]) {
    var values = [Double](repeating: 0, count: m * n)
    var scale = [Double](repeating: 0, count: m * n)
    for i in 0..<m {
      for j in 0..<n {
        var sum = Double(bias?[i] ?? 0)
        var size = abs(sum)
        for l in 0..<k {
          let p = Double(a[i * k + l]) * Double(b[l * n + j])
          sum += p
          size += abs(p)
        }
        values[i * n + j] = relu ? max(0, sum) : sum
        scale[i * n + j] = size
      }
    }
    return (values, scale)
  }

  @Test(
    "the product matches a double-precision loop: edges of rows and columns, blocks of k",
    .enabled(if: Kernels.packedGEMM, "needs AVX2 and FMA"))
  func productMatchesReference() throws {
    var rng = SplitMix(seed: 21)
    var comparisons: [Comparison] = []
    // m: one panel, a partial one, several; n: a kernel of 8, of 16, of 32, tails of 1, 9, 17,
    // 33 and 47 (the AVX-512 kernel's masks); k: one, one block of up to 320, two and three
    // blocks (321, 700). On every kernel path the CPU runs.
    for path in Kernels.gemmPaths {
      for (m, k, n) in [
        (1, 1, 1), (5, 7, 3), (6, 1, 16), (7, 321, 17), (13, 640, 9), (64, 96, 81), (50, 700, 300),
        (12, 40, 2000), (6, 50, 32), (11, 30, 33), (7, 90, 47),
      ] {
        let a = (0..<(m * k)).map { _ in rng.float() }
        let b = (0..<(k * n)).map { _ in rng.float() }
        let bias = (0..<m).map { _ in rng.float() }
        for (withBias, relu) in [(false, false), (true, true)] {
          let got = try #require(
            Kernels.packedProduct(
              a, b, m: m, k: k, n: n, bias: withBias ? bias : nil, relu: relu, path: path))
          let want = reference(a, b, m: m, k: k, n: n, bias: withBias ? bias : nil, relu: relu)
          // A float sum of k products and a bias, in any order (Higham's γ_(k+1) of Σ|terms|).
          // A missing block or a shifted column is off by far more.
          let c = Comparison(
            got, want.values.map(Float.init),
            bound: {
              RoundingBound.dotProduct(terms: k + 1, magnitude: want.scale[$0])
                + Double(Float(want.values[$0]).ulp)  // the reference rounded to Float
            }, scale: { want.scale[$0] })
          #expect(c.holds, "\(path): \(m)x\(k)·\(k)x\(n), bias \(withBias): \(c)")
          if relu && m * n >= 16 {
            #expect(got.contains { $0 == 0 } && got.contains { $0 > 0 })
          }
          comparisons.append(c)
        }
      }
    }
    reportRounding("packed GEMM against a double loop", comparisons)
  }

  @Test(
    "split into row and column blocks, the product is the same floats as in one call",
    .enabled(if: Kernels.packedGEMM, "needs AVX2 and FMA"))
  func splitsGiveTheSameFloats() throws {
    var rng = SplitMix(seed: 22)
    for path in Kernels.gemmPaths {
      for (m, k, n) in [(64, 288, 81), (31, 700, 100), (192, 160, 85)] {
        let a = (0..<(m * k)).map { _ in rng.float() }
        let b = (0..<(k * n)).map { _ in rng.float() }
        let bias = (0..<m).map { _ in rng.float() }
        let whole = try #require(
          Kernels.packedProduct(a, b, m: m, k: k, n: n, bias: bias, relu: true, path: path))
        #expect(!whole.contains { $0.isNaN })
        for (rows, columns) in [(2, 1), (1, 2), (3, 2), (5, 3)] {
          let split = try #require(
            Kernels.packedProduct(
              a, b, m: m, k: k, n: n, bias: bias, relu: true, rowParts: rows, columnParts: columns,
              path: path))
          #expect(split == whole, "\(path): \(m)x\(k)·\(k)x\(n) in \(rows)x\(columns) parts")
        }
      }
    }
  }

  @Test(
    "the AVX-512 kernel gives the AVX2 kernel's floats, bit for bit, whole and split",
    .enabled(
      if: Kernels.packedGEMM && Kernels.gemmPaths.count > 1,
      "needs AVX-512 (and HERO_ID_GEMM not openblas)"))
  func pathsGiveTheSameFloats() throws {
    var rng = SplitMix(seed: 24)
    // The same fused multiply-adds in the same order: any difference is a kernel bug (a lost
    // column, a mask off by one), not rounding.
    for (m, k, n) in [(1, 3, 1), (7, 321, 17), (64, 288, 81), (31, 700, 100), (50, 40, 2000)] {
      let a = (0..<(m * k)).map { _ in rng.float() }
      let b = (0..<(k * n)).map { _ in rng.float() }
      let bias = (0..<m).map { _ in rng.float() }
      for (rows, columns) in [(1, 1), (2, 3)] {
        let narrow = try #require(
          Kernels.packedProduct(
            a, b, m: m, k: k, n: n, bias: bias, relu: true, rowParts: rows, columnParts: columns,
            path: .avx2))
        let wide = try #require(
          Kernels.packedProduct(
            a, b, m: m, k: k, n: n, bias: bias, relu: true, rowParts: rows, columnParts: columns,
            path: .avx512))
        #expect(!wide.contains { $0.isNaN })
        #expect(wide == narrow, "\(m)x\(k)·\(k)x\(n) in \(rows)x\(columns) parts")
      }
    }
  }

  @Test(
    "every kind of convolution gives OpenBLAS's result on the packed weights",
    .enabled(if: Kernels.packedGEMM, "needs AVX2 and FMA"))
  func convolutionsAgreeWithOpenBLAS() throws {
    var rng = SplitMix(seed: 23)
    var comparisons: [Comparison] = []
    // 1x1, 3x3 stride 2 and 5x5 by im2col; 3x3 stride 1 by Winograd (64 input channels and at
    // least 96 tiles, where it takes the packed weights); 1x7 and 7x1 by 1D Winograd.
    for (s, h, w, batch) in [
      (shape(70, 40, 1, 1), 9, 11, 2), (shape(20, 12, 3, 3, stride: 2), 17, 15, 2),
      (shape(16, 8, 5, 5, pad: (2, 2)), 13, 13, 1), (shape(24, 64, 3, 3, pad: (1, 1)), 35, 35, 2),
      (shape(18, 20, 1, 7, pad: (0, 3)), 17, 17, 1), (shape(18, 20, 7, 1, pad: (3, 0)), 17, 17, 2),
    ] {
      let conv = FoldedConv(
        shape: s, weights: (0..<(s.outChannels * s.filterLength)).map { _ in rng.float() * 0.2 },
        bias: (0..<s.outChannels).map { _ in rng.float() * 0.1 })
      let input = (0..<(s.inChannels * batch * h * w)).map { _ in rng.float() }
      let winograd = s.kernelH == 3 && s.stride == 1
      let oneD = s.kernelH * s.kernelW == 7
      func run(_ packed: Bool) throws -> [Float] {
        if winograd {
          return try #require(
            Kernels.winogradConvolution(
              conv, input: input, batch: batch, height: h, width: w, packed: packed))
        }
        if oneD {
          return try #require(
            Kernels.winograd1DConvolution(
              conv, input: input, batch: batch, height: h, width: w, packed: packed))
        }
        return Kernels.convolution(
          conv, input: input, batch: batch, height: h, width: w, packed: packed)
      }
      let packed = try run(true)
      let blas = try run(false)
      // The same sums through two GEMMs: each within its bound of the exact convolution (the
      // Winograd forms' amplified by their transforms).
      let kappa =
        winograd
        ? ConvolutionBounds.winograd(m: 4, r: 3, dimensions: 2)
        : oneD ? ConvolutionBounds.winograd(m: 4, r: 7, dimensions: 1) : 1
      let c = ConvolutionBounds.compare(
        packed, blas, conv: conv, input: input, batch: batch, height: h, width: w,
        gotAmplification: kappa, wantAmplification: kappa)
      #expect(c.holds, "\(s) \(h)x\(w): \(c)")
      comparisons.append(c)
      #expect(blas.contains { $0 == 0 } && blas.contains { $0 > 0 })
    }
    reportRounding("convolutions on packed weights against OpenBLAS", comparisons)
  }

  @Test(
    "the network without AVX2 or FMA (OpenBLAS alone, baseline transforms) matches the references",
    .enabled(
      if: Fixtures.hasInception,
      "needs the 87 MB weights at $HERO_ID_HOME/inception-2015-12-05.pt (make setup)"))
  func openBLASNetworkMatchesReferences() throws {
    let weights = try #require(Fixtures.weights)
    #expect(weights.packedGEMM == Kernels.packedGEMM)
    #expect(weights.winogradPath == Kernels.winogradPath)
    let plain = weights.openBLASOnly()
    #expect(!plain.packedGEMM && plain.winogradPath == .baseline)
    let refs = try Fixtures.references().filter { $0.image.width == 299 || $0.image.width == 100 }
    #expect(refs.count >= 2)
    let got = InceptionV3(weights: plain).bottlenecks(refs.map(\.image))
    let packed = InceptionV3(weights: weights).bottlenecks(refs.map(\.image))
    var comparisons: [Comparison] = []
    for (ref, (vector, other)) in zip(refs, zip(got, packed)) {
      let a = Agreement(vector, ref.vector)
      #expect(a.maxDiff <= 1e-3 && a.cosine >= 0.99999, "\(ref.name): \(a)")
      // The two engines differ by float rounding only: the network's probabilistic bound.
      let b = Comparison(vector, other, relativeToMagnitude: ConvolutionBounds.inceptionRelative)
      #expect(b.holds, "\(ref.name), OpenBLAS against packed: \(b)")
      comparisons.append(b)
    }
    reportRounding("network on OpenBLAS alone against packed", comparisons)
  }
}

/// The worker team: every part of every job runs exactly once, whoever takes it, and the caller
/// takes the parts of a worker that is held up.
@Suite struct WorkerTeamTests {
  @Test("every part of every job runs once, over jobs short and long, with pauses between")
  func everyPartOnce() {
    let counts = Kernels.teamRuns(threads: 3, jobs: 600) { job, part, _ in
      // Some jobs long enough for the workers to block between them.
      if job % 100 == 0 { Thread.sleep(forTimeInterval: 0.001) }
      if job % 7 == part { for _ in 0..<(job * 10) { _ = Thread.current } }
    }
    #expect(counts.count == 600)
    #expect(counts.allSatisfy { $0 == [1, 1, 1] })
  }

  @Test("parts a blocked worker has not taken yet are run by the caller, each once")
  func callerTakesLeftoverParts() {
    // 2 ms between jobs: the worker has usually blocked (after 200 µs) by the next one, and
    // the caller does not wait for it to wake: it takes both parts itself. How often depends on
    // the scheduler (a busy machine can wake the worker first), so the test asks for it once
    // in 60 jobs, which a caller that always waited for the worker would never do; each part
    // of every job runs exactly once whatever the timing.
    let onCaller = CallerParts()
    let counts = Kernels.teamRuns(threads: 2, jobs: 60, pause: 0.002) { job, _, caller in
      if caller { onCaller.add(job) }
    }
    #expect(counts.allSatisfy { $0 == [1, 1] })
    #expect(onCaller.counts(jobs: 60).contains(2))
  }

  @Test("the placement probe measures a round trip between two threads, or gives up at once")
  func placementProbe() {
    // One thread: nobody to probe.
    let alone = Kernels.teamPlacementProbes(threads: 1, count: 1, tries: 3).trips
    #expect(alone.count == 3 && alone.allSatisfy { $0 == nil })
    // The product's limits (the worker there within 200 µs, the trips within 2 ms) depend on
    // how busy the machine is: with them, a probe either gives up (nil) or measures something.
    let (quick, _) = Kernels.teamPlacementProbes(threads: 2, count: 3, tries: 50)
    #expect(quick.compactMap { $0 }.allSatisfy { $0 > 0 && $0 < 2_000_000 }, "\(quick)")
    // With limits of 30 s (a guard against a hang, not a timing window) every probe measures.
    let (trips, after) = Kernels.teamPlacementProbes(
      threads: 2, count: 5, tries: 5, patience: 30_000_000_000)
    let measured = trips.compactMap { $0 }
    #expect(measured.count == 5, "\(trips)")
    // A round trip of a cache line takes some time, and less than the patience.
    #expect(measured.allSatisfy { $0 > 0 && $0 < 30e9 }, "\(measured)")
    // The team is unharmed: every part of every later job runs once.
    #expect(after.count == 50 && after.allSatisfy { $0 == [1, 1] })
  }

  final class CallerParts: @unchecked Sendable {
    private let lock = NSLock()
    private var jobs: [Int] = []
    func add(_ job: Int) { lock.withLock { jobs.append(job) } }
    func counts(jobs n: Int) -> [Int] {
      lock.withLock { (0..<n).map { j in jobs.filter { $0 == j }.count } }
    }
  }
}

/// ``Kernels/fixedOrderProduct(_:transposed:into:m:n:k:)``, what the "unknown" threshold's
/// similarities are computed with.
@Suite struct FixedOrderProductTests {
  @Test(
    "the fixed-order product: A·Bᵀ within the rounding bound, and the same floats whatever OpenBLAS's thread count"
  )
  func fixedOrderProductIsExactAndIgnoresBLASThreads() {
    var rng = SplitMix(seed: 2256)
    // The icon patterns' shape (k = 2256, where OpenBLAS's sums change with its thread count),
    // a row count off the kernel's panel height, a column count off its width, and tiny ones.
    for (m, n, k) in [(147, 100, 2256), (49, 7, 2256), (5, 3, 17), (1, 1, 1), (33, 40, 2048)] {
      let a = (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &rng) }
      let b = (0..<(n * k)).map { _ in Float.random(in: -1...1, using: &rng) }
      let before = BLAS.threads
      var results: [[Float]] = []
      for threads in [1, 2] {
        BLAS.setThreads(threads)
        var c = [Float](repeating: .nan, count: m * n)
        Kernels.fixedOrderProduct(a, transposed: b, into: &c, m: m, n: n, k: k)
        results.append(c)
      }
      BLAS.setThreads(before)
      #expect(results[0].map(\.bitPattern) == results[1].map(\.bitPattern), "\(m)x\(n)x\(k)")
      var worst = 0.0
      for i in 0..<m {
        for j in 0..<n {
          var exact = 0.0
          var magnitude = 0.0
          for l in 0..<k {
            let p = Double(a[i * k + l]) * Double(b[j * k + l])
            exact += p
            magnitude += abs(p)
          }
          let bound = RoundingBound.dotProduct(terms: k, magnitude: magnitude)
          worst = max(worst, abs(Double(results[0][i * n + j]) - exact) / bound)
        }
      }
      #expect(worst <= 1, "\(m)x\(n)x\(k): worst diff/bound \(worst)")
    }
  }
}
