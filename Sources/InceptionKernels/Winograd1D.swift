import CPackedGEMM
import Dispatch

/// The matrices of a one-dimensional Winograd (Toom-Cook) algorithm F(m, r): `m` outputs of an
/// `r`-tap correlation from `α = m + r − 1` inputs with `α` multiplications instead of `m·r`:
/// `y = Aᵀ [(G g) ⊙ (Bᵀ d)]`.
///
/// Built from `α − 1` finite interpolation points and ∞ (Lavin & Gray 2015): with `E_n` the
/// `α × n` matrix that evaluates a polynomial of `n` coefficients at the points (at ∞: its
/// leading coefficient), the full product `g * u` is `E_α⁻¹ · diag(E_r g) · E_m u`, and the
/// correlation is its transpose: `Aᵀ = E_mᵀ`, `G = E_r`, `Bᵀ = (E_α⁻¹)ᵀ`. Computed in double
/// precision.
public struct WinogradMatrices: Sendable {
  public let m: Int
  public let r: Int
  public var alpha: Int { m + r - 1 }
  /// `m × α`, row-major.
  public let at: [Double]
  /// `α × r`, row-major.
  public let g: [Double]
  /// `α × α`, row-major.
  public let bt: [Double]

  /// The finite points used, in order (the first `α − 1`): small magnitudes first, as they
  /// keep the rounding error lowest.
  static let points: [Double] = [0, 1, -1, 2, -2, 0.5, -0.5, 3, -3, 1.5, -1.5]

  /// F(`m`, `r`); nil when more points are needed than ``points`` has.
  public init?(m: Int, r: Int) {
    let alpha = m + r - 1
    guard m >= 1, r >= 1, alpha - 1 <= Self.points.count else { return nil }
    let p = Array(Self.points.prefix(alpha - 1))
    func evaluation(_ n: Int) -> [Double] {
      var e = [Double](repeating: 0, count: alpha * n)
      for j in 0..<(alpha - 1) {
        var power = 1.0
        for k in 0..<n {
          e[j * n + k] = power
          power *= p[j]
        }
      }
      e[(alpha - 1) * n + n - 1] = 1
      return e
    }
    let em = evaluation(m)
    var at = [Double](repeating: 0, count: m * alpha)
    for i in 0..<m { for j in 0..<alpha { at[i * alpha + j] = em[j * m + i] } }
    guard let inverse = Self.inverted(evaluation(alpha), size: alpha) else { return nil }
    var bt = [Double](repeating: 0, count: alpha * alpha)
    for i in 0..<alpha { for j in 0..<alpha { bt[i * alpha + j] = inverse[j * alpha + i] } }
    self.m = m
    self.r = r
    self.at = at
    self.g = evaluation(r)
    self.bt = bt
  }

  /// The inverse of the `size × size` row-major matrix `a` (Gauss-Jordan, partial pivoting),
  /// or nil when it is singular.
  static func inverted(_ a: [Double], size n: Int) -> [Double]? {
    var a = a
    var inv = [Double](repeating: 0, count: n * n)
    for i in 0..<n { inv[i * n + i] = 1 }
    for col in 0..<n {
      var pivot = col
      for row in col..<n where abs(a[row * n + col]) > abs(a[pivot * n + col]) { pivot = row }
      guard abs(a[pivot * n + col]) > 1e-12 else { return nil }
      if pivot != col {
        for k in 0..<n {
          a.swapAt(pivot * n + k, col * n + k)
          inv.swapAt(pivot * n + k, col * n + k)
        }
      }
      let d = a[col * n + col]
      for k in 0..<n {
        a[col * n + k] /= d
        inv[col * n + k] /= d
      }
      for row in 0..<n where row != col {
        let f = a[row * n + col]
        if f == 0 { continue }
        for k in 0..<n {
          a[row * n + k] -= f * a[col * n + k]
          inv[row * n + k] -= f * inv[col * n + k]
        }
      }
    }
    return inv
  }

  /// `y = Aᵀ [(G g) ⊙ (Bᵀ d)]` for one tile: `m` outputs of the correlation of `d` (α values)
  /// with `g` (r taps), in double precision (for tests).
  public func correlate(_ d: [Double], _ taps: [Double]) -> [Double] {
    precondition(d.count == alpha && taps.count == r)
    var prod = [Double](repeating: 0, count: alpha)
    for x in 0..<alpha {
      var gg = 0.0
      for k in 0..<r { gg += g[x * r + k] * taps[k] }
      var bd = 0.0
      for i in 0..<alpha { bd += bt[x * alpha + i] * d[i] }
      prod[x] = gg * bd
    }
    return (0..<m).map { i in (0..<alpha).reduce(0.0) { $0 + at[i * alpha + $1] * prod[$1] } }
  }
}

/// A 1xr or rx1 stride-1 "same" convolution (the 1x7, 7x1, 1x3 and 3x1 layers) in Winograd
/// F(m, r) form along its long axis, prepared at load: `α` transformed filter matrices.
struct WinogradConv1D: Sendable {
  let shape: ConvShape
  /// Along x (1xr) or along y (rx1).
  let horizontal: Bool
  let matrices: WinogradMatrices
  /// `Bᵀ` (α × α) and `Aᵀ` (m × α) in single precision, for the transforms.
  let bt: [Float]
  let at: [Float]
  /// `[α][outChannels][inChannels]`: the transformed filters `G g`. The GEMM columns (tiles) run
  /// (image, tile, row) for 1xr and (image, tile, column) for rx1, so that both transforms are
  /// sums of whole rows or columns (loops that vectorise).
  let u: [Float]
  /// `u`'s α matrices packed for hero-id's GEMM kernel (nil: OpenBLAS multiplies `u`).
  let packed: [PackedMatrix]?
  let bias: [Float]
  /// The transforms' build (one the CPU lacks runs the best below it that the CPU has).
  let transforms: WinogradPath

  /// The outputs per tile used for an `r`-tap filter: F(4, 7) (α 10) and F(4, 3) (α 6).
  static func outputsPerTile(taps r: Int) -> Int { 4 }

  /// The Winograd form of `conv`, or nil unless it is 1xr or rx1 (r odd, > 1), stride 1,
  /// padded `(r − 1) / 2` along the long axis and not across.
  init?(
    _ conv: FoldedConv, packed: Bool = PackedMatrix.isAvailable,
    transforms: WinogradPath = .current
  ) {
    let s = conv.shape
    guard s.stride == 1, (s.kernelH == 1) != (s.kernelW == 1) else { return nil }
    let horizontal = s.kernelH == 1
    let r = horizontal ? s.kernelW : s.kernelH
    let (pad, across) = horizontal ? (s.padW, s.padH) : (s.padH, s.padW)
    guard r % 2 == 1, pad == (r - 1) / 2, across == 0,
      let w = WinogradMatrices(m: Self.outputsPerTile(taps: r), r: r)
    else { return nil }
    let alpha = w.alpha
    let cin = s.inChannels
    let cout = s.outChannels
    var u = [Float](repeating: 0, count: alpha * cout * cin)
    for o in 0..<cout {
      for c in 0..<cin {
        // PyTorch's [out][in][kh][kw]: the r taps are consecutive either way.
        let f = (o * cin + c) * r
        for x in 0..<alpha {
          var sum = 0.0
          for k in 0..<r { sum += w.g[x * r + k] * Double(conv.weights[f + k]) }
          u[(x * cout + o) * cin + c] = Float(sum)
        }
      }
    }
    self.shape = s
    self.horizontal = horizontal
    self.matrices = w
    self.bt = w.bt.map { Float($0) }
    self.at = w.at.map { Float($0) }
    self.u = u
    self.packed =
      packed && PackedMatrix.isAvailable
      ? PackedMatrix.each(u, count: alpha, rows: cout, columns: cin) : nil
    self.bias = conv.bias
    self.transforms = transforms
  }

  /// Tiles (columns of the GEMMs) per image of `height`×`width`.
  func tiles(height: Int, width: Int) -> Int {
    let m = matrices.m
    return horizontal ? height * ((width + m - 1) / m) : ((height + m - 1) / m) * width
  }
}

/// Convolution + bias + ReLU of a 1xr or rx1 layer by 1D Winograd, same layout and result as
/// ``convolve(_:input:batch:height:width:output:columns:team:profile:)`` up to float rounding:
/// input transform `V[ξ][c][tile]`, α GEMMs `M[ξ] = U[ξ] · V[ξ]` over the tiles of a group of
/// images, output transform with bias and ReLU. With a team: the input transform split by input
/// channel, the GEMMs by ξ, the output transform by output channel.
func convolveWinograd1D(
  _ conv: WinogradConv1D, input: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
  output: UnsafeMutablePointer<Float>, transformed: FloatBuffer, products: FloatBuffer,
  team: WorkerTeam? = nil, profile: LayerProfile? = nil
) {
  let s = conv.shape
  let m = conv.matrices.m
  let alpha = conv.matrices.alpha
  let r = conv.matrices.r
  let pad = (r - 1) / 2
  let cin = s.inChannels
  let cout = s.outChannels
  let plane = height * width
  let perImage = conv.tiles(height: height, width: width)
  let group = max(1, min(batch, im2colBudget / max(1, alpha * max(cin, cout) * perImage)))
  let tilesX = (width + m - 1) / m
  let tilesY = (height + m - 1) / m
  var first = 0
  conv.u.withUnsafeBufferPointer { ub in
    conv.bias.withUnsafeBufferPointer { biasBuffer in
      conv.bt.withUnsafeBufferPointer { btb in
        conv.at.withUnsafeBufferPointer { atb in
          guard let u = ub.baseAddress, let bias = biasBuffer.baseAddress,
            let bt = btb.baseAddress, let at = atb.baseAddress
          else { return }
          while first < batch {
            let count = min(group, batch - first)
            let cols = count * perImage
            let xi = cin * cols
            let v = transformed.reserve(alpha * xi)
            let mp = products.reserve(alpha * cout * cols)
            let inputStart = DispatchTime.now().uptimeNanoseconds
            split(team) { part, parts in
              let sources = UnsafeMutablePointer<UnsafePointer<Float>?>.allocate(capacity: alpha)
              defer { sources.deallocate() }
              if conv.horizontal {
                // The plane transposed and padded, `span` columns of `height`: tile t reads
                // columns t·m ..< t·m + α, and each sum runs down a whole column at once.
                let span = tilesX * m + r - 1
                let planeT = UnsafeMutablePointer<Float>.allocate(capacity: span * height)
                defer { planeT.deallocate() }
                planeT.update(repeating: 0, count: span * height)
                for c in share(part, of: parts, count: cin) {
                  for j in 0..<count {
                    let src = input + (c * batch + first + j) * plane
                    for y in 0..<height {
                      let row = src + y * width
                      for x in 0..<width { planeT[(x + pad) * height + y] = row[x] }
                    }
                    for t in 0..<tilesX {
                      let d = planeT + t * m * height
                      for i in 0..<alpha { sources[i] = UnsafePointer(d + i * height) }
                      hero_winograd1d_input(
                        sources, bt, Int32(alpha), Int32(height),
                        v + c * cols + (j * tilesX + t) * height, xi, conv.transforms.level)
                    }
                  }
                }
              } else {
                // Whole rows: tile t of column x reads rows t·m − pad ..< t·m − pad + α.
                let zero = UnsafeMutablePointer<Float>.allocate(capacity: width)
                defer { zero.deallocate() }
                zero.update(repeating: 0, count: width)
                for i in 0..<alpha { sources[i] = UnsafePointer(zero) }
                for c in share(part, of: parts, count: cin) {
                  for j in 0..<count {
                    let src = input + (c * batch + first + j) * plane
                    for t in 0..<tilesY {
                      for i in 0..<alpha {
                        let y = t * m - pad + i
                        sources[i] = y >= 0 && y < height ? src + y * width : UnsafePointer(zero)
                      }
                      hero_winograd1d_input(
                        sources, bt, Int32(alpha), Int32(width),
                        v + c * cols + (j * tilesY + t) * width, xi, conv.transforms.level)
                    }
                  }
                }
              }
            }
            profile?.add(
              "· 1D Winograd input transform",
              nanoseconds: DispatchTime.now().uptimeNanoseconds - inputStart)
            split(team) { part, parts in
              for x in share(part, of: parts, count: alpha) {
                if let packed = conv.packed {
                  packed[x].multiply(
                    b: v + x * xi, ldb: cols, n: cols, c: mp + x * cout * cols, ldc: cols)
                  continue
                }
                BLAS.sgemm(
                  m: cout, n: cols, k: cin, a: u + x * cout * cin, lda: cin, b: v + x * xi,
                  ldb: cols, c: mp + x * cout * cols, ldc: cols)
              }
            }
            let outputStart = DispatchTime.now().uptimeNanoseconds
            let xo = cout * cols
            split(team) { part, parts in
              for o in share(part, of: parts, count: cout) {
                for j in 0..<count {
                  let dst = output + (o * batch + first + j) * plane
                  if conv.horizontal {
                    // Columns (j, t, y): output column t·m + i from a sum down y.
                    for t in 0..<tilesX {
                      hero_winograd1d_output(
                        mp + o * cols + (j * tilesX + t) * height, xo, at, Int32(alpha),
                        Int32(min(m, width - t * m)), Int32(height), bias[o], dst + t * m, 1,
                        width, conv.transforms.level)
                    }
                  } else {
                    for t in 0..<tilesY {
                      hero_winograd1d_output(
                        mp + o * cols + (j * tilesY + t) * width, xo, at, Int32(alpha),
                        Int32(min(m, height - t * m)), Int32(width), bias[o],
                        dst + t * m * width, width, 1, conv.transforms.level)
                    }
                  }
                }
              }
            }
            profile?.add(
              "· 1D Winograd output transform",
              nanoseconds: DispatchTime.now().uptimeNanoseconds - outputStart)
            first += count
          }
        }
      }
    }
  }
}

extension Kernels {
  /// The same as ``convolution(_:input:batch:height:width:)`` by 1D Winograd F(4, r); nil unless
  /// `conv` is 1xr or rx1, stride 1, "same" padding along its long axis, the transforms on
  /// `transforms` (by default the network's).
  public static func winograd1DConvolution(
    _ conv: FoldedConv, input: [Float], batch: Int, height: Int, width: Int,
    packed: Bool = Kernels.packedGEMM, transforms: WinogradPath = .current
  ) -> [Float]? {
    guard let w = WinogradConv1D(conv, packed: packed, transforms: transforms) else { return nil }
    precondition(input.count == conv.shape.inChannels * batch * height * width)
    var out = [Float](repeating: 0, count: conv.shape.outChannels * batch * height * width)
    let v = FloatBuffer()
    let m = FloatBuffer()
    input.withUnsafeBufferPointer { i in
      out.withUnsafeMutableBufferPointer { o in
        guard let ip = i.baseAddress, let op = o.baseAddress else { return }
        convolveWinograd1D(
          w, input: ip, batch: batch, height: height, width: width, output: op, transformed: v,
          products: m)
      }
    }
    return out
  }
}

extension Kernels {
  /// The 1D input transform alone, for tests: dst[x · length + k] = Σ_i bt[x · α + i] · rows[i][k]
  /// for the α = `rows.count` rows of `length` floats, on `path`.
  public static func winograd1DInputTransform(
    rows: [[Float]], bt: [Float], path: WinogradPath
  ) -> [Float] {
    let alpha = rows.count
    let length = rows.first?.count ?? 0
    precondition(alpha > 0 && bt.count == alpha * alpha && rows.allSatisfy { $0.count == length })
    var dst = [Float](repeating: .nan, count: alpha * length)
    let flat = rows.flatMap { $0 }
    flat.withUnsafeBufferPointer { f in
      guard let base = f.baseAddress else { return }
      let sources = (0..<alpha).map { Optional(base + $0 * length) }
      sources.withUnsafeBufferPointer { s in
        dst.withUnsafeMutableBufferPointer { d in
          hero_winograd1d_input(
            s.baseAddress, bt, Int32(alpha), Int32(length), d.baseAddress, length, path.level)
        }
      }
    }
    return dst
  }

  /// The 1D output transform alone, for tests: out[i · outI + k · outK] = max(0, bias +
  /// Σ_x at[i · α + x] · products[x · length + k]) for i < `outputs`, k < `length`, in a plane of
  /// `count` floats (the rest NaN), on `path`.
  public static func winograd1DOutputTransform(
    _ products: [Float], at: [Float], alpha: Int, outputs: Int, length: Int, bias: Float,
    outI: Int, outK: Int, count: Int, path: WinogradPath
  ) -> [Float] {
    precondition(products.count == alpha * length && at.count >= outputs * alpha)
    precondition((outputs - 1) * outI + (length - 1) * outK < count)
    var out = [Float](repeating: .nan, count: count)
    products.withUnsafeBufferPointer { p in
      out.withUnsafeMutableBufferPointer { o in
        hero_winograd1d_output(
          p.baseAddress, length, at, Int32(alpha), Int32(outputs), Int32(length), bias,
          o.baseAddress, outI, outK, path.level)
      }
    }
    return out
  }
}
