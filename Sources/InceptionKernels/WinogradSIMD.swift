/// Four floats at any alignment: the loads, stores and 4x4 transposes the Winograd transforms
/// are written with, so that they run over four tiles (or four columns) at a time.
typealias Float4 = SIMD4<Float>

// (Lane by lane: LLVM merges them into one unaligned vector load or store, where the generic
// `loadUnaligned(as:)` was left as a call.)
@inline(__always) func load4(_ p: UnsafePointer<Float>) -> Float4 {
  Float4(p[0], p[1], p[2], p[3])
}

@inline(__always) func store4(_ v: Float4, _ p: UnsafeMutablePointer<Float>) {
  p[0] = v[0]
  p[1] = v[1]
  p[2] = v[2]
  p[3] = v[3]
}

/// The 4x4 transpose of the rows `a`, `b`, `c`, `d`.
@inline(__always) func transpose4(
  _ a: Float4, _ b: Float4, _ c: Float4, _ d: Float4
) -> (Float4, Float4, Float4, Float4) {
  (
    Float4(a[0], b[0], c[0], d[0]), Float4(a[1], b[1], c[1], d[1]),
    Float4(a[2], b[2], c[2], d[2]), Float4(a[3], b[3], c[3], d[3])
  )
}

/// Bᵀ of F(4x4, 3x3) applied to six values (rows or columns of a 6x6 tile), four tiles at once.
@inline(__always) func winogradInput6(
  _ a0: Float4, _ a1: Float4, _ a2: Float4, _ a3: Float4, _ a4: Float4, _ a5: Float4
) -> (Float4, Float4, Float4, Float4, Float4, Float4) {
  (
    4 * a0 - 5 * a2 + a4, a3 + a4 - 4 * (a1 + a2), 4 * (a1 - a2) + a4 - a3,
    2 * (a3 - a1) + a4 - a2, 2 * (a1 - a3) + a4 - a2, 4 * a1 - 5 * a3 + a5
  )
}

/// Aᵀ of F(4x4, 3x3) applied to six values, four tiles at once.
@inline(__always) func winogradOutput6(
  _ m0: Float4, _ m1: Float4, _ m2: Float4, _ m3: Float4, _ m4: Float4, _ m5: Float4
) -> (Float4, Float4, Float4, Float4) {
  (
    m0 + m1 + m2 + m3 + m4, m1 - m2 + 2 * (m3 - m4), m1 + m2 + 4 * (m3 + m4),
    m1 - m2 + 8 * (m3 - m4) + m5
  )
}

/// The output transform of four consecutive tiles: `p` points at the first tile's product for
/// ξ = 0, ξ's at `p + ξ · stride`. Writes `Y = Aᵀ M A + bias`, ReLU'd, as `out[4 · l + i]` = row
/// `i` of tile `l` (its four columns).
@inline(__always) func winogradOutputTiles4(
  _ p: UnsafePointer<Float>, stride: Int, bias: Float, out: UnsafeMutablePointer<Float4>
) {
  // M A along the columns of each of the six rows: e[r][k], over the four tiles.
  withUnsafeTemporaryAllocation(of: Float4.self, capacity: 24) { t in
    for r in 0..<6 {
      let q = p + 6 * r * stride
      let e = winogradOutput6(
        load4(q), load4(q + stride), load4(q + 2 * stride), load4(q + 3 * stride),
        load4(q + 4 * stride), load4(q + 5 * stride))
      t[4 * r] = e.0
      t[4 * r + 1] = e.1
      t[4 * r + 2] = e.2
      t[4 * r + 3] = e.3
    }
    let b = Float4(repeating: bias)
    for k in 0..<4 {
      let y = winogradOutput6(t[k], t[4 + k], t[8 + k], t[12 + k], t[16 + k], t[20 + k])
      // y.i = output row i, column k, over the tiles.
      t[k] = y.0
      t[4 + k] = y.1
      t[8 + k] = y.2
      t[12 + k] = y.3
    }
    for i in 0..<4 {
      let (c0, c1, c2, c3) = transpose4(
        (t[4 * i] + b).clampedReLU, (t[4 * i + 1] + b).clampedReLU,
        (t[4 * i + 2] + b).clampedReLU, (t[4 * i + 3] + b).clampedReLU)
      out[i] = c0
      out[4 + i] = c1
      out[8 + i] = c2
      out[12 + i] = c3
    }
  }
}

extension SIMD4 where Scalar == Float {
  /// max(x, 0) lane by lane.
  @inline(__always) var clampedReLU: Float4 {
    Float4.zero.replacing(with: self, where: self .> Float4.zero)
  }
}

/// `dst[x][k] = Σ_i bt[x][i] · src[i][k]` for `x` in `0..<alpha`, `k` in `0..<length`: a 1D
/// Winograd input transform of `length` tiles side by side. `src` holds `alpha` row pointers;
/// output row `x` starts at `dst + x · dstStride`. The columns go in chunks of four (the last
/// overlapping the one before), all chunks' inputs first copied to `inputs` (room for
/// `alpha · ⌈length / 4⌉`), then each output summed over `i` in order, zeros skipped, four chunks
/// at once so that the sums do not wait on each other. Fewer than four columns go one by one.
@inline(__always) func winogradInput1D(
  alpha: Int, bt: UnsafePointer<Float>, src: UnsafePointer<UnsafePointer<Float>>, length: Int,
  dst: UnsafeMutablePointer<Float>, dstStride: Int, inputs: UnsafeMutablePointer<Float4>
) {
  if length < 4 {
    for x in 0..<alpha {
      for k in 0..<length {
        var sum: Float = 0
        for i in 0..<alpha where bt[x * alpha + i] != 0 { sum += bt[x * alpha + i] * src[i][k] }
        dst[x * dstStride + k] = sum
      }
    }
    return
  }
  let chunks = (length + 3) / 4
  for i in 0..<alpha {
    for c in 0..<chunks { inputs[i * chunks + c] = load4(src[i] + min(4 * c, length - 4)) }
  }
  for x in 0..<alpha {
    let b = bt + x * alpha
    let out = dst + x * dstStride
    var c = 0
    while c + 4 <= chunks {
      var s0 = Float4.zero
      var s1 = Float4.zero
      var s2 = Float4.zero
      var s3 = Float4.zero
      for i in 0..<alpha {
        let f = b[i]
        if f == 0 { continue }
        let q = inputs + i * chunks + c
        s0 += f * q[0]
        s1 += f * q[1]
        s2 += f * q[2]
        s3 += f * q[3]
      }
      store4(s0, out + min(4 * c, length - 4))
      store4(s1, out + min(4 * c + 4, length - 4))
      store4(s2, out + min(4 * c + 8, length - 4))
      store4(s3, out + min(4 * c + 12, length - 4))
      c += 4
    }
    while c < chunks {
      var sum = Float4.zero
      for i in 0..<alpha {
        let f = b[i]
        if f != 0 { sum += f * inputs[i * chunks + c] }
      }
      store4(sum, out + min(4 * c, length - 4))
      c += 1
    }
  }
}
