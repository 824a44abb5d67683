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
  let bias: [Float]

  /// The number of 4x4 output tiles of one image (padding 1: the output is the input's size;
  /// padding 0 makes it smaller and needs no more tiles).
  static func tiles(height: Int, width: Int) -> Int { ((height + 3) / 4) * ((width + 3) / 4) }

  /// The Winograd form of `conv`, or nil when it is not a 3x3 stride-1 convolution.
  init?(_ conv: FoldedConv) {
    let s = conv.shape
    guard s.kernelH == 3, s.kernelW == 3, s.stride == 1, s.padH == s.padW, s.padH <= 1 else {
      return nil
    }
    let g: [[Double]] = [
      [1.0 / 4, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
      [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1],
    ]
    let cin = s.inChannels
    let cout = s.outChannels
    var u = [Float](repeating: 0, count: 36 * cout * cin)
    var t = [Double](repeating: 0, count: 18)
    for o in 0..<cout {
      for c in 0..<cin {
        let f = (o * cin + c) * 9
        // t = G f (6x3), then U = t Gᵀ (6x6).
        for i in 0..<6 {
          for j in 0..<3 {
            var sum = 0.0
            for k in 0..<3 { sum += g[i][k] * Double(conv.weights[f + k * 3 + j]) }
            t[i * 3 + j] = sum
          }
        }
        for i in 0..<6 {
          for j in 0..<6 {
            var sum = 0.0
            for k in 0..<3 { sum += t[i * 3 + k] * g[j][k] }
            u[((i * 6 + j) * cout + o) * cin + c] = Float(sum)
          }
        }
      }
    }
    self.shape = s
    self.u = u
    self.bias = conv.bias
  }
}

/// Convolution + bias + ReLU of a 3x3 stride-1 layer by Winograd F(4x4, 3x3), same layout and
/// result as ``convolve(_:input:batch:height:width:output:columns:)`` up to float rounding.
/// The transforms run a row of tiles at a time so that the loops vectorise.
func convolveWinograd(
  _ conv: WinogradConv, input: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
  output: UnsafeMutablePointer<Float>, transformed: FloatBuffer, products: FloatBuffer,
  team: WorkerTeam? = nil
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
  // Six padded input rows, then their Bᵀ combinations, each `span` wide; then 4 rows of output.
  let span = 4 * tilesX + 2
  let outRow = 4 * tilesX
  var first = 0
  conv.u.withUnsafeBufferPointer { ub in
    conv.bias.withUnsafeBufferPointer { bias in
      guard let u = ub.baseAddress else { return }
      while first < batch {
        let count = min(group, batch - first)
        let cols = count * tiles
        let xi = cin * cols
        let v = transformed.reserve(36 * xi)
        let m = products.reserve(36 * cout * cols)
        // Input transform: V[ξ][c][j * tiles + t] = (Bᵀ d B)[ξ] of tile t of image j; with a
        // team, split by input channel.
        split(team) { part, parts in
          let rows = UnsafeMutablePointer<Float>.allocate(capacity: 12 * span)
          defer { rows.deallocate() }
          for c in share(part, of: parts, count: cin) {
            for j in 0..<count {
              let src = input + (c * batch + first + j) * plane
              for ty in 0..<tilesY {
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
                for x in 0..<span {
                  let a0 = d0[x]
                  let a1 = d1[x]
                  let a2 = d2[x]
                  let a3 = d3[x]
                  let a4 = d4[x]
                  let a5 = d5[x]
                  w0[x] = 4 * a0 - 5 * a2 + a4
                  w1[x] = a3 + a4 - 4 * (a1 + a2)
                  w2[x] = 4 * (a1 - a2) + a4 - a3
                  w3[x] = 2 * (a3 - a1) + a4 - a2
                  w4[x] = 2 * (a1 - a3) + a4 - a2
                  w5[x] = 4 * a1 - 5 * a3 + a5
                }
                // (Bᵀ d) B along the columns, tile by tile.
                let t0 = j * tiles + ty * tilesX
                for r in 0..<6 {
                  let w = rows + (6 + r) * span
                  let o0 = v + (r * 6) * xi + c * cols + t0
                  let o1 = o0 + xi
                  let o2 = o1 + xi
                  let o3 = o2 + xi
                  let o4 = o3 + xi
                  let o5 = o4 + xi
                  for tx in 0..<tilesX {
                    let a0 = w[4 * tx]
                    let a1 = w[4 * tx + 1]
                    let a2 = w[4 * tx + 2]
                    let a3 = w[4 * tx + 3]
                    let a4 = w[4 * tx + 4]
                    let a5 = w[4 * tx + 5]
                    o0[tx] = 4 * a0 - 5 * a2 + a4
                    o1[tx] = a3 + a4 - 4 * (a1 + a2)
                    o2[tx] = 4 * (a1 - a2) + a4 - a3
                    o3[tx] = 2 * (a3 - a1) + a4 - a2
                    o4[tx] = 2 * (a1 - a3) + a4 - a2
                    o5[tx] = 4 * a1 - 5 * a3 + a5
                  }
                }
              }
            }
          }
        }
        // 36 GEMMs: M[ξ] (cout × cols) = U[ξ] (cout × cin) · V[ξ] (cin × cols); with a team,
        // each part runs its share of the 36 whole.
        split(team) { part, parts in
          for k in share(part, of: parts, count: 36) {
            BLAS.sgemm(
              m: cout, n: cols, k: cin, a: u + k * cout * cin, lda: cin, b: v + k * xi,
              ldb: cols, c: m + k * cout * cols, ldc: cols)
          }
        }
        // Output transform: Y = Aᵀ M A, plus bias, ReLU; a row of tiles at a time, staged in
        // four full rows, then copied to the rows inside the output.
        let xo = cout * cols
        split(team) { part, parts in
          let staged = UnsafeMutablePointer<Float>.allocate(capacity: 4 * outRow)
          defer { staged.deallocate() }
          for o in share(part, of: parts, count: cout) {
            let b = bias[o]
            for j in 0..<count {
              let dst = output + (o * batch + first + j) * outPlane
              for ty in 0..<tilesY {
                let p = m + o * cols + j * tiles + ty * tilesX
                let s0 = staged
                let s1 = staged + outRow
                let s2 = staged + 2 * outRow
                let s3 = staged + 3 * outRow
                for tx in 0..<tilesX {
                  // (M A) row by row: t[r][0...3] from m[r][0...5].
                  var t00: Float = 0
                  var t01: Float = 0
                  var t02: Float = 0
                  var t03: Float = 0
                  var t10: Float = 0
                  var t11: Float = 0
                  var t12: Float = 0
                  var t13: Float = 0
                  var t20: Float = 0
                  var t21: Float = 0
                  var t22: Float = 0
                  var t23: Float = 0
                  var t30: Float = 0
                  var t31: Float = 0
                  var t32: Float = 0
                  var t33: Float = 0
                  for r in 0..<6 {
                    let q = p + (r * 6) * xo + tx
                    let m0 = q[0]
                    let m1 = q[xo]
                    let m2 = q[2 * xo]
                    let m3 = q[3 * xo]
                    let m4 = q[4 * xo]
                    let m5 = q[5 * xo]
                    let e0 = m0 + m1 + m2 + m3 + m4
                    let e1 = m1 - m2 + 2 * (m3 - m4)
                    let e2 = m1 + m2 + 4 * (m3 + m4)
                    let e3 = m1 - m2 + 8 * (m3 - m4) + m5
                    // Aᵀ along the rows: coefficients of row r in each output row.
                    switch r {
                    case 0:
                      t00 += e0
                      t01 += e1
                      t02 += e2
                      t03 += e3
                    case 1:
                      t00 += e0
                      t01 += e1
                      t02 += e2
                      t03 += e3
                      t10 += e0
                      t11 += e1
                      t12 += e2
                      t13 += e3
                      t20 += e0
                      t21 += e1
                      t22 += e2
                      t23 += e3
                      t30 += e0
                      t31 += e1
                      t32 += e2
                      t33 += e3
                    case 2:
                      t00 += e0
                      t01 += e1
                      t02 += e2
                      t03 += e3
                      t10 -= e0
                      t11 -= e1
                      t12 -= e2
                      t13 -= e3
                      t20 += e0
                      t21 += e1
                      t22 += e2
                      t23 += e3
                      t30 -= e0
                      t31 -= e1
                      t32 -= e2
                      t33 -= e3
                    case 3:
                      t00 += e0
                      t01 += e1
                      t02 += e2
                      t03 += e3
                      t10 += 2 * e0
                      t11 += 2 * e1
                      t12 += 2 * e2
                      t13 += 2 * e3
                      t20 += 4 * e0
                      t21 += 4 * e1
                      t22 += 4 * e2
                      t23 += 4 * e3
                      t30 += 8 * e0
                      t31 += 8 * e1
                      t32 += 8 * e2
                      t33 += 8 * e3
                    case 4:
                      t00 += e0
                      t01 += e1
                      t02 += e2
                      t03 += e3
                      t10 -= 2 * e0
                      t11 -= 2 * e1
                      t12 -= 2 * e2
                      t13 -= 2 * e3
                      t20 += 4 * e0
                      t21 += 4 * e1
                      t22 += 4 * e2
                      t23 += 4 * e3
                      t30 -= 8 * e0
                      t31 -= 8 * e1
                      t32 -= 8 * e2
                      t33 -= 8 * e3
                    default:
                      t30 += e0
                      t31 += e1
                      t32 += e2
                      t33 += e3
                    }
                  }
                  let x = 4 * tx
                  s0[x] = max(t00 + b, 0)
                  s0[x + 1] = max(t01 + b, 0)
                  s0[x + 2] = max(t02 + b, 0)
                  s0[x + 3] = max(t03 + b, 0)
                  s1[x] = max(t10 + b, 0)
                  s1[x + 1] = max(t11 + b, 0)
                  s1[x + 2] = max(t12 + b, 0)
                  s1[x + 3] = max(t13 + b, 0)
                  s2[x] = max(t20 + b, 0)
                  s2[x + 1] = max(t21 + b, 0)
                  s2[x + 2] = max(t22 + b, 0)
                  s2[x + 3] = max(t23 + b, 0)
                  s3[x] = max(t30 + b, 0)
                  s3[x + 1] = max(t31 + b, 0)
                  s3[x + 2] = max(t32 + b, 0)
                  s3[x + 3] = max(t33 + b, 0)
                }
                for r in 0..<min(4, oh - 4 * ty) {
                  (dst + (4 * ty + r) * ow).update(from: staged + r * outRow, count: ow)
                }
              }
            }
          }
        }
        first += count
      }
    }
  }
}
