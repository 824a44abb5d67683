import Dispatch

/// Winograd F(4x4, 3x3) for the 3x3 stride-1 convolutions: each 4x4 output tile comes from a
/// 6x6 input tile with 36 multiplications per (input, output) channel pair instead of 144.
///
/// With the interpolation points 0, ±1, ±2, ∞ (Lavin & Gray 2015):
///
///     Bᵀ = [4  0 -5  0  1  0]    G = [ 1/4     0     0 ]    Aᵀ = [1  1  1  1  1  0]
///          [0 -4 -4  1  1  0]        [-1/6  -1/6  -1/6 ]         [0  1 -1  2 -2  0]
///          [0  4 -4 -1  1  0]        [-1/6   1/6  -1/6 ]         [0  1  1  4  4  0]
///          [0 -2 -1  2  1  0]        [1/24  1/12   1/6 ]         [0  1 -1  8 -8  1]
///          [0  2 -1 -2  1  0]        [1/24 -1/12   1/6 ]
///          [0  4  0 -5  0  1]        [ 0     0     1   ]
///
/// U = G g Gᵀ per filter (at load, in Double), V = Bᵀ d B per input tile, M[ξ] = U[ξ] · V[ξ] as
/// 36 GEMMs (Cout × Cin by Cin × tiles, all images of a group at once), and Y = Aᵀ M A per output
/// tile, where bias and ReLU are applied as the tile is written.
struct WinogradConv: Sendable {
  let shape: ConvShape
  /// `[36][outChannels][inChannels]`: the transformed filters.
  let u: [Float]
  /// `u`'s 36 matrices packed for hero-id's GEMM kernel (nil: OpenBLAS multiplies `u`).
  let packed: [PackedMatrix]?
  let bias: [Float]

  /// The number of 4x4 output tiles of one image (padding 1: the output is the input's size;
  /// padding 0 makes it smaller and needs no more tiles).
  static func tiles(height: Int, width: Int) -> Int { ((height + 3) / 4) * ((width + 3) / 4) }

  /// The Winograd form of `conv`, or nil when it is not a 3x3 stride-1 convolution.
  init?(_ conv: FoldedConv, packed: Bool = PackedMatrix.isAvailable) {
    let s = conv.shape
    guard s.kernelH == 3, s.kernelW == 3, s.stride == 1, s.padH == s.padW, s.padH <= 1 else {
      return nil
    }
    let g: [Double] = [
      1.0 / 4, 0, 0, -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6, 1.0 / 6, -1.0 / 6,
      1.0 / 24, 1.0 / 12, 1.0 / 6, 1.0 / 24, -1.0 / 12, 1.0 / 6, 0, 0, 1,
    ]
    let cin = s.inChannels
    let cout = s.outChannels
    var t = [Double](repeating: 0, count: 18)
    // Every element is written below: no zero-fill first (60 MB over the ten layers).
    let u = [Float](unsafeUninitializedCapacity: 36 * cout * cin) { buffer, count in
      guard let u = buffer.baseAddress else { return }
      conv.weights.withUnsafeBufferPointer { weights in
        for o in 0..<cout {
          for c in 0..<cin {
            let f = (o * cin + c) * 9
            // t = G f (6x3), then U = t Gᵀ (6x6).
            for i in 0..<6 {
              for j in 0..<3 {
                var sum = 0.0
                for k in 0..<3 { sum += g[i * 3 + k] * Double(weights[f + k * 3 + j]) }
                t[i * 3 + j] = sum
              }
            }
            for i in 0..<6 {
              for j in 0..<6 {
                var sum = 0.0
                for k in 0..<3 { sum += t[i * 3 + k] * g[j * 3 + k] }
                (u + ((i * 6 + j) * cout + o) * cin + c).initialize(to: Float(sum))
              }
            }
          }
        }
      }
      count = 36 * cout * cin
    }
    self.shape = s
    self.u = u
    // Below 64 input channels (the stem's first two) OpenBLAS is faster.
    self.packed =
      packed && PackedMatrix.isAvailable && cin >= 64
      ? PackedMatrix.each(u, count: 36, rows: cout, columns: cin) : nil
    self.bias = conv.bias
  }
}

/// Convolution + bias + ReLU of a 3x3 stride-1 layer by Winograd F(4x4, 3x3), same layout and
/// result as ``convolve(_:input:batch:height:width:output:columns:)`` up to float rounding.
/// The transforms run a row of tiles at a time so that the loops vectorise.
func convolveWinograd(
  _ conv: WinogradConv, input: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
  output: UnsafeMutablePointer<Float>, transformed: FloatBuffer, products: FloatBuffer,
  team: WorkerTeam? = nil, profile: LayerProfile? = nil
) {
  let s = conv.shape
  let pad = s.padH
  let (oh, ow) = s.outputSize(height: height, width: width)
  let tilesY = (oh + 3) / 4
  let tilesX = (ow + 3) / 4
  let tiles = tilesY * tilesX
  let cin = s.inChannels
  let cout = s.outChannels
  let plane = height * width
  let outPlane = oh * ow
  let group = max(1, min(batch, im2colBudget / max(1, 36 * max(cin, cout) * tiles)))
  // An image whose transformed tiles and products would not fit the budget while its filters
  // are small (the stem's 147x147 layers) goes in bands of tile rows, each band's products
  // still in cache when the output transform reads them. (With larger filters, `conv_4`, the
  // filters read again for every band cost more than the bands save.)
  let whole =
    36 * max(cin, cout) * tiles <= im2colBudget || 36 * cout * cin > im2colBudget / 4
  let bandRows =
    whole ? tilesY : max(1, im2colBudget / max(1, 36 * max(cin, cout) * tilesX))
  // Six padded input rows, then their Bᵀ combinations, each `span` wide.
  let span = 4 * tilesX + 2
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
        let xi = cin * cols
        let v = transformed.reserve(36 * xi)
        let m = products.reserve(36 * cout * cols)
        // Input transform: V[ξ][c][j * bandTiles + t] = (Bᵀ d B)[ξ] of tile t of the band of
        // image j; with a team, split by input channel.
        let inputStart = DispatchTime.now().uptimeNanoseconds
        split(team) { part, parts in
          // Room past the last row for the column pass's reads of a row of fewer than four
          // tiles (lanes it computes but never stores), zeroed.
          let rows = UnsafeMutablePointer<Float>.allocate(capacity: 12 * span + 20)
          defer { rows.deallocate() }
          (rows + 12 * span).initialize(repeating: 0, count: 20)
          for c in share(part, of: parts, count: cin) {
            for j in 0..<count {
              let src = input + (c * batch + first + j) * plane
              for ty in band {
                let y0 = ty * 4 - pad
                // Padded rows y0..y0+5, columns -pad..-pad+span-1.
                for r in 0..<6 {
                  let d = rows + r * span
                  let y = y0 + r
                  if y >= 0 && y < height {
                    let n = min(width, span - pad)
                    if pad > 0 { d.update(repeating: 0, count: pad) }
                    (d + pad).update(from: src + y * width, count: n)
                    if pad + n < span { (d + pad + n).update(repeating: 0, count: span - pad - n) }
                  } else {
                    d.update(repeating: 0, count: span)
                  }
                }
                // Bᵀ d along the rows.
                let d0 = rows
                let d1 = rows + span
                let d2 = rows + 2 * span
                let d3 = rows + 3 * span
                let d4 = rows + 4 * span
                let d5 = rows + 5 * span
                let w0 = rows + 6 * span
                let w1 = rows + 7 * span
                let w2 = rows + 8 * span
                let w3 = rows + 9 * span
                let w4 = rows + 10 * span
                let w5 = rows + 11 * span
                // Four columns at a time, the last four overlapping (span = 4·tilesX + 2 ≥ 6).
                var x = 0
                while x < span {
                  let x0 = min(x, span - 4)
                  let b = winogradInput6(
                    load4(d0 + x0), load4(d1 + x0), load4(d2 + x0), load4(d3 + x0),
                    load4(d4 + x0), load4(d5 + x0))
                  store4(b.0, w0 + x0)
                  store4(b.1, w1 + x0)
                  store4(b.2, w2 + x0)
                  store4(b.3, w3 + x0)
                  store4(b.4, w4 + x0)
                  store4(b.5, w5 + x0)
                  x = x0 + 4
                }
                // (Bᵀ d) B along the columns, four tiles at a time: tile tx reads w[4tx ... 4tx+5],
                // so the four tiles' six values are a 4x4 transpose of w[4tx ..< 4tx+16] and the
                // first two lanes of the next four. The last four overlap the ones before; a row of
                // fewer than four tiles stores only its own lanes.
                let t0 = j * bandTiles + (ty - band.lowerBound) * tilesX
                for r in 0..<6 {
                  let w = rows + (6 + r) * span
                  let o0 = v + (r * 6) * xi + c * cols + t0
                  let o1 = o0 + xi
                  let o2 = o1 + xi
                  let o3 = o2 + xi
                  let o4 = o3 + xi
                  let o5 = o4 + xi
                  var tx = 0
                  while tx < tilesX {
                    let x = max(0, min(tx, tilesX - 4))
                    let q = w + 4 * x
                    let (a0, a1, a2, a3) = transpose4(
                      load4(q), load4(q + 4), load4(q + 8), load4(q + 12))
                    let next = load4(q + 16)
                    let a4 = Float4(a0[1], a0[2], a0[3], next[0])
                    let a5 = Float4(a1[1], a1[2], a1[3], next[1])
                    let b = winogradInput6(a0, a1, a2, a3, a4, a5)
                    if tilesX >= 4 {
                      store4(b.0, o0 + x)
                      store4(b.1, o1 + x)
                      store4(b.2, o2 + x)
                      store4(b.3, o3 + x)
                      store4(b.4, o4 + x)
                      store4(b.5, o5 + x)
                    } else {
                      for l in 0..<tilesX {
                        o0[l] = b.0[l]
                        o1[l] = b.1[l]
                        o2[l] = b.2[l]
                        o3[l] = b.3[l]
                        o4[l] = b.4[l]
                        o5[l] = b.5[l]
                      }
                    }
                    tx = x + 4
                  }
                }
              }
            }
          }
        }
        profile?.add(
          "· 3x3 Winograd input transform",
          nanoseconds: DispatchTime.now().uptimeNanoseconds - inputStart)
        // 36 GEMMs: M[ξ] (cout × cols) = U[ξ] (cout × cin) · V[ξ] (cin × cols); with a team,
        // each part runs its share of the 36 whole.
        split(team) { part, parts in
          for k in share(part, of: parts, count: 36) {
            // OpenBLAS's own small-matrix kernel (no packing) wins on a lone image's 81 tiles.
            if let packed = conv.packed, cols >= 96 {
              packed[k].multiply(
                b: v + k * xi, ldb: cols, n: cols, c: m + k * cout * cols, ldc: cols)
              continue
            }
            BLAS.sgemm(
              m: cout, n: cols, k: cin, a: u + k * cout * cin, lda: cin, b: v + k * xi,
              ldb: cols, c: m + k * cout * cols, ldc: cols)
          }
        }
        // Output transform: Y = Aᵀ M A, plus bias, ReLU; four tiles at a time (the products of
        // an image's tiles are consecutive), each tile's rows written straight into the output
        // (the parts of edge tiles that fall outside it dropped). The last four overlap the
        // ones before when `tiles` is not a multiple of four; fewer than four tiles go through a
        // zero-padded copy.
        let outputStart = DispatchTime.now().uptimeNanoseconds
        let xo = cout * cols
        split(team) { part, parts in
          let small = UnsafeMutablePointer<Float>.allocate(capacity: 36 * 4)
          defer { small.deallocate() }
          withUnsafeTemporaryAllocation(of: Float4.self, capacity: 16) { rowsBuffer in
            guard let rows = rowsBuffer.baseAddress else { return }
            for o in share(part, of: parts, count: cout) {
              let b = bias[o]
              for j in 0..<count {
                let p = m + o * cols + j * bandTiles
                let dst = output + (o * batch + first + j) * outPlane
                var t = 0
                while t < bandTiles {
                  let t0 = bandTiles >= 4 ? min(t, bandTiles - 4) : 0
                  if bandTiles >= 4 {
                    winogradOutputTiles4(UnsafePointer(p + t0), stride: xo, bias: b, out: rows)
                  } else {
                    small.update(repeating: 0, count: 36 * 4)
                    for xi in 0..<36 {
                      for l in 0..<bandTiles { small[xi * 4 + l] = p[xi * xo + l] }
                    }
                    winogradOutputTiles4(UnsafePointer(small), stride: 4, bias: b, out: rows)
                  }
                  for l in 0..<min(4, bandTiles - t0) {
                    let y0 = ((t0 + l) / tilesX + band.lowerBound) * 4
                    let x0 = ((t0 + l) % tilesX) * 4
                    let at = dst + y0 * ow + x0
                    if x0 + 4 <= ow && y0 + 4 <= oh {
                      for i in 0..<4 { store4(rows[4 * l + i], at + i * ow) }
                    } else {
                      for i in 0..<min(4, oh - y0) {
                        let row = rows[4 * l + i]
                        for k in 0..<min(4, ow - x0) { at[i * ow + k] = row[k] }
                      }
                    }
                  }
                  t = t0 + 4
                }
              }
            }
          }
        }
        profile?.add(
          "· 3x3 Winograd output transform",
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
