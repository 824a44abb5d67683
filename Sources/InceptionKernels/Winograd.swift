import CPackedGEMM
import Dispatch

/// The builds of the Winograd transforms (`Sources/CPackedGEMM/include/winograd.h`), all from one
/// source: AVX-512 (sixteen tiles or columns a vector while sixteen are left, else eight) and
/// AVX2 + FMA (eight) give the same floats; the baseline (SSE2, what a CPU without AVX2 and FMA
/// runs) rounds the products that they fuse.
public enum WinogradPath: String, Sendable, CaseIterable {
  case baseline = "baseline (SSE2)"
  case avx2 = "AVX2, FMA"
  case avx512 = "AVX-512"

  /// The `level` argument of the C transforms.
  var level: Int32 {
    switch self {
    case .baseline: Int32(HERO_WINOGRAD_BASELINE)
    case .avx2: Int32(HERO_WINOGRAD_AVX2)
    case .avx512: Int32(HERO_WINOGRAD_AVX512)
    }
  }

  /// The builds this CPU runs, slowest first.
  public static let supported: [WinogradPath] = allCases.filter {
    hero_winograd_level_available($0.level) != 0
  }

  /// The build the network's transforms run: the fastest this CPU has, except that they follow
  /// the packed GEMM onto AVX2 where its path is AVX2 (`HERO_ID_GEMM=avx2` on an AVX-512 CPU: one
  /// variable keeps every float kernel on AVX2). `HERO_ID_GEMM=openblas` moves only the products.
  public static let current: WinogradPath = {
    if PackedMatrix.defaultPath == .avx2 { return .avx2 }
    return supported.last ?? .baseline
  }()
}

/// 2D Winograd convolution (Lavin & Gray 2015) with 6x6 input tiles: F(4x4, 3x3) for the 3x3
/// stride-1 layers (36 multiplications per (input, output) channel pair and 4x4 outputs instead
/// of 144) and F(2x2, 5x5) for the 5x5 ones (36 for 2x2 outputs instead of 100). Both use the
/// interpolation points 0, ±1, ±2, ∞, and so the same input transform:
///
///     Bᵀ = [4  0 -5  0  1  0]    Aᵀ (4x4) = [1  1  1  1  1  0]    Aᵀ (2x2) = [1  1  1  1  1  0]
///          [0 -4 -4  1  1  0]               [0  1 -1  2 -2  0]               [0  1 -1  2 -2  1]
///          [0  4 -4 -1  1  0]               [0  1  1  4  4  0]
///          [0 -2 -1  2  1  0]               [0  1 -1  8 -8  1]
///          [0  2 -1 -2  1  0]
///          [0  4  0 -5  0  1]
///
/// And with 4x4 tiles, F(2x2, 3x3) (16 for 2x2 outputs instead of 36, the points 0, ±1, ∞) for
/// the 3x3 layers at 8x8, where F(4x4, 3x3) has only 4 tiles an image (see
/// ``InceptionLayers/smallPlane3x3``). Bᵀ and Aᵀ of each are in `winograd2d.h`.
///
/// U = G g Gᵀ per filter (at load, in Double; G is the α x r evaluation matrix of
/// ``WinogradMatrices`` with each row scaled to match the integer Bᵀ), V = Bᵀ d B per input
/// tile, M[ξ] = U[ξ] · V[ξ] as α² GEMMs (Cout × Cin by Cin × tiles, all images of a group at
/// once), and Y = Aᵀ M A per output tile, where bias and ReLU are applied as the tile is written.
/// The transforms are C (`Sources/CPackedGEMM/winograd2d.c`, eight tiles at a time, or sixteen
/// on the AVX-512 path; see ``WinogradPath``).
struct WinogradConv: Sendable {
  let shape: ConvShape
  /// Input tile side: 6 or 4.
  let alpha: Int
  /// Outputs per tile side: α − r + 1 (4 for 3x3 filters on 6x6 tiles, else 2).
  let m: Int
  /// `[α²][outChannels][inChannels]`: the transformed filters.
  let u: [Float]
  /// `u`'s α² matrices packed for hero-id's GEMM kernel (nil: OpenBLAS multiplies `u`).
  let packed: [PackedMatrix]?
  let bias: [Float]
  /// The transforms' build (one the CPU lacks runs the best below it that the CPU has).
  let transforms: WinogradPath

  /// Bᵀ for α = 6 and 4, row-major (the C transforms have them written out).
  static func inputMatrix(alpha: Int) -> [Double] {
    alpha == 6
      ? [
        4, 0, -5, 0, 1, 0, 0, -4, -4, 1, 1, 0, 0, 4, -4, -1, 1, 0,
        0, -2, -1, 2, 1, 0, 0, 2, -1, -2, 1, 0, 0, 4, 0, -5, 0, 1,
      ]
      : [1, 0, -1, 0, 0, 1, 1, 0, 0, -1, 1, 0, 0, -1, 0, 1]
  }

  /// The number of output tiles of one image with `m`×`m` outputs a tile.
  static func tiles(height: Int, width: Int, m: Int) -> Int {
    ((height + m - 1) / m) * ((width + m - 1) / m)
  }

  /// The Winograd form of `conv` on `alpha`×`alpha` tiles, or nil unless it is a 3x3 or 5x5
  /// (`alpha` 6) or 3x3 (`alpha` 4) stride-1 convolution padded alike on both axes by at most
  /// half its size. `transforms`: see ``transforms``.
  init?(
    _ conv: FoldedConv, alpha: Int = 6, packed: Bool = PackedMatrix.isAvailable,
    transforms: WinogradPath = .current
  ) {
    let s = conv.shape
    let r = s.kernelH
    guard r == s.kernelW, alpha == 6 ? (r == 3 || r == 5) : (alpha == 4 && r == 3),
      s.stride == 1, s.padH == s.padW, s.padH <= (r - 1) / 2
    else { return nil }
    let m = alpha - r + 1
    // G scaled row by row so that the generic Bᵀ = (E⁻¹)ᵀ becomes the integer one.
    guard let w = WinogradMatrices(m: m, r: r) else { return nil }
    let bt = Self.inputMatrix(alpha: alpha)
    var g = w.g
    for x in 0..<alpha {
      guard let j = (0..<alpha).first(where: { abs(w.bt[x * alpha + $0]) > 1e-9 }) else {
        return nil
      }
      let scale = bt[x * alpha + j] / w.bt[x * alpha + j]
      for j in 0..<alpha {
        precondition(abs(bt[x * alpha + j] - scale * w.bt[x * alpha + j]) < 1e-9)
      }
      for k in 0..<r { g[x * r + k] /= scale }
    }
    let cin = s.inChannels
    let cout = s.outChannels
    let points = alpha * alpha
    var t = [Double](repeating: 0, count: alpha * r)
    // Every element is written below: no zero-fill first (tens of MB over the layers).
    let u = [Float](unsafeUninitializedCapacity: points * cout * cin) { buffer, count in
      guard let u = buffer.baseAddress else { return }
      conv.weights.withUnsafeBufferPointer { weights in
        for o in 0..<cout {
          for c in 0..<cin {
            let f = (o * cin + c) * r * r
            // t = G f (α x r), then U = t Gᵀ (α x α).
            for i in 0..<alpha {
              for j in 0..<r {
                var sum = 0.0
                for k in 0..<r { sum += g[i * r + k] * Double(weights[f + k * r + j]) }
                t[i * r + j] = sum
              }
            }
            for i in 0..<alpha {
              for j in 0..<alpha {
                var sum = 0.0
                for k in 0..<r { sum += t[i * r + k] * g[j * r + k] }
                (u + ((i * alpha + j) * cout + o) * cin + c).initialize(to: Float(sum))
              }
            }
          }
        }
      }
      count = points * cout * cin
    }
    self.shape = s
    self.alpha = alpha
    self.m = m
    self.u = u
    // Below 64 input channels (the stem's first two) OpenBLAS is faster.
    self.packed =
      packed && PackedMatrix.isAvailable && cin >= 64
      ? PackedMatrix.each(u, count: points, rows: cout, columns: cin) : nil
    self.bias = conv.bias
    self.transforms = transforms
  }
}

/// Convolution + bias + ReLU of a 3x3 or 5x5 stride-1 layer by 2D Winograd, same layout and
/// result as ``convolve(_:input:batch:height:width:output:columns:team:profile:biasReLU:)`` up
/// to float rounding. With a team: the input transform split by input channel, the GEMMs by
/// transform point, the output transform by output channel.
///
/// `stream` (by default: while the team's cores are apart, ``WorkerTeam/coresApart``): each
/// channel's transformed tiles are staged, then streamed to `transformed` with non-temporal
/// stores, in rows padded to whole cache lines. The other core read those lines in the last
/// layer's GEMMs; with the cores apart an ordinary store then runs at 1.6–1.9 GB/s, a streamed
/// one at about 27 (docs/inception.md, "Sixth session"): cores apart, batch 1, 16.4 → 17.3–17.6
/// images/s. With the cores near, streaming is 4% slower (the GEMMs then read the tiles from
/// memory, not the cache), hence the choice at run time.
func convolveWinograd(
  _ conv: WinogradConv, input: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
  output: UnsafeMutablePointer<Float>, transformed: FloatBuffer, products: FloatBuffer,
  team: WorkerTeam? = nil, profile: LayerProfile? = nil, stream: Bool? = nil
) {
  let s = conv.shape
  let tm = conv.m
  let alpha = conv.alpha
  let points = alpha * alpha
  let (oh, ow) = s.outputSize(height: height, width: width)
  let tilesY = (oh + tm - 1) / tm
  let tilesX = (ow + tm - 1) / tm
  let tiles = tilesY * tilesX
  let cin = s.inChannels
  let cout = s.outChannels
  let plane = height * width
  let outPlane = oh * ow
  let group = max(1, min(batch, im2colBudget / max(1, points * max(cin, cout) * tiles)))
  // An image whose transformed tiles and products would not fit the budget while its filters
  // are small (the stem's 147x147 layers, the 5x5 ones) goes in bands of tile rows, each band's
  // products still in cache when the output transform reads them. (With larger filters,
  // `conv_4`, the filters read again for every band cost more than the bands save.)
  let whole =
    points * max(cin, cout) * tiles <= im2colBudget || points * cout * cin > im2colBudget / 4
  let bandRows =
    whole ? tilesY : max(1, im2colBudget / max(1, points * max(cin, cout) * tilesX))
  let inputScratch = hero_winograd2d_input_scratch(
    Int32(width), Int32(alpha), Int32(tm), Int32(bandRows))
  let outputScratch = hero_winograd2d_output_scratch(Int32(tm), Int32(tilesX))
  let stream = stream ?? (team.map { $0.size > 1 && $0.coresApart } ?? false)
  var first = 0
  var bandStart = 0
  conv.u.withUnsafeBufferPointer { ub in
    conv.bias.withUnsafeBufferPointer { bias in
      guard let u = ub.baseAddress else { return }
      while first < batch {
        let count = min(group, batch - first)
        // The tile rows of each image this pass: all of them, or a band of one image.
        let band = bandStart..<min(tilesY, bandStart + bandRows)
        let bandTiles = band.count * tilesX
        let cols = count * bandTiles
        // The rows of V: `cols` floats, or whole cache lines when streamed.
        let ldv = stream ? (cols + 15) / 16 * 16 : cols
        let xi = cin * ldv
        let v = transformed.reserve(points * xi)
        let m = products.reserve(points * cout * cols)
        // Input transform: V[ξ][c][j · bandTiles + t] = (Bᵀ d B)[ξ] of tile t of the band of
        // image j.
        let inputStart = DispatchTime.now().uptimeNanoseconds
        split(team) { part, parts in
          let scratch = UnsafeMutablePointer<Float>.allocate(capacity: inputScratch)
          defer { scratch.deallocate() }
          // Streamed: one channel's α² rows (zeros past `cols`: the padding is copied too).
          let staging = stream ? points * ldv : 0
          let stage = UnsafeMutablePointer<Float>.allocate(capacity: max(1, staging))
          stage.initialize(repeating: 0, count: staging)
          defer { stage.deallocate() }
          for c in share(part, of: parts, count: cin) {
            for j in 0..<count {
              hero_winograd2d_input(
                input + (c * batch + first + j) * plane, Int32(height), Int32(width),
                Int32(s.padH), Int32(alpha), Int32(tm), Int32(tilesX), Int32(band.lowerBound),
                Int32(band.upperBound), (stream ? stage : v + c * ldv) + j * bandTiles,
                stream ? ldv : xi, scratch, conv.transforms.level)
            }
            if stream {
              hero_stream_rows(v + c * ldv, xi, stage, ldv, Int32(points), Int32(ldv))
            }
          }
        }
        profile?.add(
          "· \(s.kernelH)x\(s.kernelW) Winograd input transform",
          nanoseconds: DispatchTime.now().uptimeNanoseconds - inputStart)
        // α² GEMMs: M[ξ] (cout × cols) = U[ξ] (cout × cin) · V[ξ] (cin × cols); with a team,
        // each part runs its share of them whole.
        split(team) { part, parts in
          for k in share(part, of: parts, count: points) {
            // OpenBLAS's own small-matrix kernel (no packing) wins on a lone image's 81 tiles of
            // 6x6 (the 35x35 layers); not on the 8x8 layers' 16 tiles of 4x4 (1.5 against 2.9 ms
            // an image per layer, one thread), whose weights are 2.6 times larger.
            if let packed = conv.packed, cols >= 96 || alpha == 4 {
              packed[k].multiply(
                b: v + k * xi, ldb: ldv, n: cols, c: m + k * cout * cols, ldc: cols)
              continue
            }
            BLAS.sgemm(
              m: cout, n: cols, k: cin, a: u + k * cout * cin, lda: cin, b: v + k * xi,
              ldb: ldv, c: m + k * cout * cols, ldc: cols)
          }
        }
        // Output transform: Y = Aᵀ M A, plus bias, ReLU, each tile written straight into the
        // output (the parts of edge tiles that fall outside it dropped).
        let outputStart = DispatchTime.now().uptimeNanoseconds
        let xo = cout * cols
        split(team) { part, parts in
          let scratch = UnsafeMutablePointer<Float>.allocate(capacity: outputScratch)
          defer { scratch.deallocate() }
          for o in share(part, of: parts, count: cout) {
            for j in 0..<count {
              hero_winograd2d_output(
                m + o * cols + j * bandTiles, xo, Int32(alpha), Int32(tm), Int32(tilesX),
                Int32(band.count), Int32(band.lowerBound * tm), bias[o],
                output + (o * batch + first + j) * outPlane, Int32(oh), Int32(ow), scratch,
                conv.transforms.level)
            }
          }
        }
        profile?.add(
          "· \(s.kernelH)x\(s.kernelW) Winograd output transform",
          nanoseconds: DispatchTime.now().uptimeNanoseconds - outputStart)
        if band.upperBound == tilesY {
          first += count
          bandStart = 0
        } else {
          bandStart = band.upperBound
        }
      }
    }
  }
}

extension Kernels {
  /// The 2D input transform alone, for tests: V[ξ][t] (α² rows of `tilesX · tileRows.count`
  /// floats, tile t = (ty − tileRows.lowerBound) · tilesX + tx) of the tile rows `tileRows` of one
  /// `height`×`width` plane padded by `pad`, α×α tiles `m` apart, on `path`.
  public static func winogradInputTransform(
    _ plane: [Float], height: Int, width: Int, pad: Int, alpha: Int, m: Int, tilesX: Int,
    tileRows: Range<Int>, path: WinogradPath
  ) -> [Float] {
    precondition(plane.count == height * width && !tileRows.isEmpty)
    let tiles = tilesX * tileRows.count
    var v = [Float](repeating: .nan, count: alpha * alpha * tiles)
    var scratch = [Float](
      repeating: 0,
      count: hero_winograd2d_input_scratch(
        Int32(width), Int32(alpha), Int32(m), Int32(tileRows.count)))
    plane.withUnsafeBufferPointer { p in
      v.withUnsafeMutableBufferPointer { vb in
        scratch.withUnsafeMutableBufferPointer { sb in
          hero_winograd2d_input(
            p.baseAddress, Int32(height), Int32(width), Int32(pad), Int32(alpha), Int32(m),
            Int32(tilesX), Int32(tileRows.lowerBound), Int32(tileRows.upperBound), vb.baseAddress,
            tiles, sb.baseAddress, path.level)
        }
      }
    }
    return v
  }

  /// The 2D output transform alone, for tests: max(0, Aᵀ M A + bias) of `tileRows` rows of
  /// `tilesX` tiles (M[ξ] of tile t at `products[ξ · tilesX · tileRows + t]`) into an
  /// `height`×`width` plane (what falls outside dropped, rows past the tiles NaN), on `path`.
  public static func winogradOutputTransform(
    _ products: [Float], alpha: Int, m: Int, tilesX: Int, tileRows: Int, bias: Float,
    height: Int, width: Int, path: WinogradPath
  ) -> [Float] {
    let tiles = tilesX * tileRows
    precondition(products.count == alpha * alpha * tiles)
    var out = [Float](repeating: .nan, count: height * width)
    var scratch = [Float](
      repeating: 0, count: hero_winograd2d_output_scratch(Int32(m), Int32(tilesX)))
    products.withUnsafeBufferPointer { p in
      out.withUnsafeMutableBufferPointer { o in
        scratch.withUnsafeMutableBufferPointer { s in
          hero_winograd2d_output(
            p.baseAddress, tiles, Int32(alpha), Int32(m), Int32(tilesX), Int32(tileRows), 0, bias,
            o.baseAddress, Int32(height), Int32(width), s.baseAddress, path.level)
        }
      }
    }
    return out
  }
}
