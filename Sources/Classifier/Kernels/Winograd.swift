/// Winograd F(2x2, 3x3) for the 3x3 stride-1 convolutions: each 2x2 output tile comes from a
/// 4x4 input tile with 16 multiplications per (input, output) channel pair instead of 36.
///
/// With B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1] and
/// A^T = [1 1 1 0; 0 1 -1 -1]: U = G g G^T per filter (at load), V = B^T d B per input tile,
/// M[ξ] = U[ξ] · V[ξ] as 16 GEMMs (Cout × Cin by Cin × tiles, all images of a group at once),
/// and Y = A^T M A per output tile, where bias and ReLU are applied as the tile is written.
struct WinogradConv: Sendable {
  let shape: ConvShape
  /// `[16][outChannels][inChannels]`: the transformed filters.
  let u: [Float]
  let bias: [Float]

  /// The Winograd form of `conv`, or nil when it is not a 3x3 stride-1 convolution.
  init?(_ conv: FoldedConv) {
    let s = conv.shape
    guard s.kernelH == 3, s.kernelW == 3, s.stride == 1, s.padH == s.padW, s.padH <= 1 else {
      return nil
    }
    let cin = s.inChannels
    let cout = s.outChannels
    var u = [Float](repeating: 0, count: 16 * cout * cin)
    for o in 0..<cout {
      for c in 0..<cin {
        let g = (o * cin + c) * 9
        // t = G g (4x3), then U = t G^T (4x4).
        var t = [Float](repeating: 0, count: 12)
        for j in 0..<3 {
          let g0 = conv.weights[g + j]
          let g1 = conv.weights[g + 3 + j]
          let g2 = conv.weights[g + 6 + j]
          t[j] = g0
          t[3 + j] = 0.5 * (g0 + g1 + g2)
          t[6 + j] = 0.5 * (g0 - g1 + g2)
          t[9 + j] = g2
        }
        for i in 0..<4 {
          let r0 = t[i * 3]
          let r1 = t[i * 3 + 1]
          let r2 = t[i * 3 + 2]
          let row = [r0, 0.5 * (r0 + r1 + r2), 0.5 * (r0 - r1 + r2), r2]
          for j in 0..<4 { u[((i * 4 + j) * cout + o) * cin + c] = row[j] }
        }
      }
    }
    self.shape = s
    self.u = u
    self.bias = conv.bias
  }
}

/// Convolution + bias + ReLU of a 3x3 stride-1 layer by Winograd F(2x2, 3x3), same layout and
/// result as ``convolve(_:input:batch:height:width:output:columns:)`` up to float rounding.
/// The transforms run a row of tiles at a time so that the loops over tiles vectorise.
func convolveWinograd(
  _ conv: WinogradConv, input: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
  output: UnsafeMutablePointer<Float>, transformed: FloatBuffer, products: FloatBuffer
) {
  let s = conv.shape
  let pad = s.padH
  let (oh, ow) = s.outputSize(height: height, width: width)
  let tilesY = (oh + 1) / 2
  let tilesX = (ow + 1) / 2
  let tiles = tilesY * tilesX
  let cin = s.inChannels
  let cout = s.outChannels
  let plane = height * width
  let outPlane = oh * ow
  let group = max(1, min(batch, im2colBudget / max(1, 16 * max(cin, cout) * tiles)))
  // Four padded input rows, then their B^T combinations, each `span` wide.
  let span = 2 * tilesX + 2
  let rows = UnsafeMutablePointer<Float>.allocate(capacity: 8 * span)
  defer { rows.deallocate() }
  let fullX = ow / 2  // tiles whose two output columns are both inside
  var first = 0
  conv.u.withUnsafeBufferPointer { ub in
    conv.bias.withUnsafeBufferPointer { bias in
      guard let u = ub.baseAddress else { return }
      while first < batch {
        let count = min(group, batch - first)
        let cols = count * tiles
        let xi = cin * cols
        let v = transformed.reserve(16 * xi)
        let m = products.reserve(16 * cout * cols)
        // Input transform: V[ξ][c][j * tiles + t] = (B^T d B)[ξ] of tile t of image j.
        for c in 0..<cin {
          for j in 0..<count {
            let src = input + (c * batch + first + j) * plane
            for ty in 0..<tilesY {
              let y0 = ty * 2 - pad
              // Padded rows y0..y0+3, columns -pad..-pad+span-1.
              for r in 0..<4 {
                let d = rows + r * span
                let y = y0 + r
                d.update(repeating: 0, count: span)
                if y >= 0 && y < height {
                  let n = min(width, span - pad)
                  (d + pad).update(from: src + y * width, count: n)
                }
              }
              // B^T d along the rows.
              let d0 = rows
              let d1 = rows + span
              let d2 = rows + 2 * span
              let d3 = rows + 3 * span
              let w0 = rows + 4 * span
              let w1 = rows + 5 * span
              let w2 = rows + 6 * span
              let w3 = rows + 7 * span
              for x in 0..<span {
                w0[x] = d0[x] - d2[x]
                w1[x] = d1[x] + d2[x]
                w2[x] = d2[x] - d1[x]
                w3[x] = d1[x] - d3[x]
              }
              // (B^T d) B along the columns, tile by tile.
              let t0 = j * tiles + ty * tilesX
              for r in 0..<4 {
                let w = rows + (4 + r) * span
                let o0 = v + (r * 4) * xi + c * cols + t0
                let o1 = o0 + xi
                let o2 = o1 + xi
                let o3 = o2 + xi
                for tx in 0..<tilesX {
                  let a0 = w[2 * tx]
                  let a1 = w[2 * tx + 1]
                  let a2 = w[2 * tx + 2]
                  let a3 = w[2 * tx + 3]
                  o0[tx] = a0 - a2
                  o1[tx] = a1 + a2
                  o2[tx] = a2 - a1
                  o3[tx] = a1 - a3
                }
              }
            }
          }
        }
        // 16 GEMMs: M[ξ] (cout × cols) = U[ξ] (cout × cin) · V[ξ] (cin × cols).
        for k in 0..<16 {
          BLAS.sgemm(
            m: cout, n: cols, k: cin, a: u + k * cout * cin, lda: cin, b: v + k * xi, ldb: cols,
            c: m + k * cout * cols, ldc: cols)
        }
        // Output transform: Y = A^T M A, plus bias, ReLU; a row of tiles at a time.
        let xo = cout * cols
        for o in 0..<cout {
          let b = bias[o]
          for j in 0..<count {
            let dst = output + (o * batch + first + j) * outPlane
            for ty in 0..<tilesY {
              let p = m + o * cols + j * tiles + ty * tilesX
              let top = dst + (2 * ty) * ow
              let hasBottom = 2 * ty + 1 < oh
              let bottom = top + ow
              for tx in 0..<tilesX {
                // M A per row r: s0 = m[r][0] + m[r][1] + m[r][2], s1 = m[r][1] - m[r][2] - m[r][3].
                let m00 = p[tx]
                let m01 = p[xo + tx]
                let m02 = p[2 * xo + tx]
                let m03 = p[3 * xo + tx]
                let m10 = p[4 * xo + tx]
                let m11 = p[5 * xo + tx]
                let m12 = p[6 * xo + tx]
                let m13 = p[7 * xo + tx]
                let m20 = p[8 * xo + tx]
                let m21 = p[9 * xo + tx]
                let m22 = p[10 * xo + tx]
                let m23 = p[11 * xo + tx]
                let m30 = p[12 * xo + tx]
                let m31 = p[13 * xo + tx]
                let m32 = p[14 * xo + tx]
                let m33 = p[15 * xo + tx]
                let a0 = m00 + m01 + m02
                let b0 = m01 - m02 - m03
                let a1 = m10 + m11 + m12
                let b1 = m11 - m12 - m13
                let a2 = m20 + m21 + m22
                let b2 = m21 - m22 - m23
                let a3 = m30 + m31 + m32
                let b3 = m31 - m32 - m33
                let x = 2 * tx
                top[x] = max(a0 + a1 + a2 + b, 0)
                if tx < fullX { top[x + 1] = max(b0 + b1 + b2 + b, 0) }
                if hasBottom {
                  bottom[x] = max(a1 - a2 - a3 + b, 0)
                  if tx < fullX { bottom[x + 1] = max(b1 - b2 - b3 + b, 0) }
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
