/// Pooling over planar tensors: every kernel treats `planes` independent `height`×`width`
/// planes (channels × images), reading `input` and writing `output` plane by plane.

/// 3x3 max pool with `stride` and `padding` (padding never wins: PyTorch pads with -inf).
/// Separable: the maximum of the window's rows, column by column (a loop that vectorises), then
/// of three neighbouring columns at the stride, over a row with -inf on both sides.
func maxPool3x3(
  input: UnsafePointer<Float>, planes: Int, height: Int, width: Int, stride: Int, padding: Int,
  output: UnsafeMutablePointer<Float>
) {
  let oh = (height + 2 * padding - 3) / stride + 1
  let ow = (width + 2 * padding - 3) / stride + 1
  let row = UnsafeMutablePointer<Float>.allocate(capacity: width + 2)
  defer { row.deallocate() }
  row[0] = -.infinity
  row[width + 1] = -.infinity
  let m = row + 1
  for p in 0..<planes {
    let src = input + p * height * width
    let dst = output + p * oh * ow
    for oy in 0..<oh {
      let y0 = max(0, oy * stride - padding)
      let y1 = min(height, oy * stride - padding + 3)
      m.update(from: src + y0 * width, count: width)
      for y in (y0 + 1)..<max(y0 + 1, y1) {
        let r = src + y * width
        for x in 0..<width {
          let v = r[x]
          m[x] = v > m[x] ? v : m[x]
        }
      }
      let out = dst + oy * ow
      let first = m - padding
      for ox in 0..<ow {
        let w = first + ox * stride
        let a = w[0] > w[1] ? w[0] : w[1]
        out[ox] = w[2] > a ? w[2] : a
      }
    }
  }
}

/// 3x3 average pool, stride 1, padding 1, `count_include_pad=False`: each output is the mean of
/// the input cells its window covers (9 inside, 6 on an edge, 4 in a corner). Separable: column
/// sums of three rows, then sums of three columns. With `bias`, each output becomes
/// `max(0, mean + bias[(firstPlane + p) / batch])` for plane `p` (planes are channel × batch):
/// a 1x1 convolution's bias and ReLU, when the pool runs after it (see `ForwardPass`).
func averagePool3x3(
  input: UnsafePointer<Float>, planes: Int, height: Int, width: Int,
  output: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>? = nil, batch: Int = 1,
  firstPlane: Int = 0
) {
  let column = UnsafeMutablePointer<Float>.allocate(capacity: width + 2)
  defer { column.deallocate() }
  column[0] = 0
  column[width + 1] = 0
  let sums = column + 1
  for p in 0..<planes {
    let src = input + p * height * width
    let dst = output + p * height * width
    for y in 0..<height {
      let rows = Float(min(height, y + 2) - max(0, y - 1))
      let mid = src + y * width
      if y > 0 && y + 1 < height {
        let up = mid - width
        let down = mid + width
        for x in 0..<width { sums[x] = up[x] + mid[x] + down[x] }
      } else {
        for x in 0..<width { sums[x] = mid[x] }
        if y > 0 { for x in 0..<width { sums[x] += mid[x - width] } }
        if y + 1 < height { for x in 0..<width { sums[x] += mid[x + width] } }
      }
      let out = dst + y * width
      let inner = 1 / (rows * 3)
      for x in 0..<width {
        out[x] = (sums[x - 1] + sums[x] + sums[x + 1]) * inner
      }
      // The first and last columns cover two input columns, not three.
      out[0] = (sums[0] + sums[1]) / (rows * Float(min(width, 2)))
      if width > 1 {
        out[width - 1] = (sums[width - 2] + sums[width - 1]) / (rows * 2)
      }
      if let bias {
        let b = bias[(firstPlane + p) / batch]
        for x in 0..<width { out[x] = max(0, out[x] + b) }
      }
    }
  }
}

/// The mean of each whole plane (the final 8x8 average pool on an 8x8 input).
func globalAveragePool(
  input: UnsafePointer<Float>, planes: Int, size: Int, output: UnsafeMutablePointer<Float>
) {
  for p in 0..<planes {
    let src = input + p * size
    var sum: Float = 0
    for i in 0..<size { sum += src[i] }
    output[p] = sum / Float(size)
  }
}

/// Array entry points to the kernels, for tests and tools: planar `[C][N][H][W]` tensors.
public enum Kernels {
  /// Whether this process multiplies by weights packed for hero-id's own GEMM kernel (AVX2 and
  /// FMA, and `HERO_ID_GEMM` not `openblas`); else every product goes through OpenBLAS.
  public static var packedGEMM: Bool { PackedMatrix.isAvailable }

  /// `relu(conv(input) + bias)` of a batch of `batch` images, input planes `c * batch + n`;
  /// `packed`: the products by the packed GEMM kernel (where available), else OpenBLAS.
  /// `biasReLU: false` (1x1 layers only): `conv(input)` alone.
  public static func convolution(
    _ conv: FoldedConv, input: [Float], batch: Int, height: Int, width: Int,
    packed: Bool = Kernels.packedGEMM, biasReLU: Bool = true
  ) -> [Float] {
    let conv = packed ? conv.packedForKernel() : conv
    precondition(input.count == conv.shape.inChannels * batch * height * width)
    let (oh, ow) = conv.shape.outputSize(height: height, width: width)
    var out = [Float](repeating: 0, count: conv.shape.outChannels * batch * oh * ow)
    let columns = FloatBuffer()
    input.withUnsafeBufferPointer { i in
      out.withUnsafeMutableBufferPointer { o in
        guard let ip = i.baseAddress, let op = o.baseAddress else { return }
        convolve(
          conv, input: ip, batch: batch, height: height, width: width, output: op,
          columns: columns, biasReLU: biasReLU)
      }
    }
    return out
  }

  /// The same as ``convolution(_:input:batch:height:width:)`` by Winograd F(4x4, 3x3) or
  /// F(2x2, 5x5) (`alpha` 6), or F(2x2, 3x3) (`alpha` 4); nil unless `conv` is 3x3 or 5x5 (3x3
  /// for `alpha` 4), stride 1, padded alike on both axes by at most half its size. The transforms
  /// run on `transforms` (by default the network's build); `stream: true`
  /// streams the transformed tiles to memory, as a split lone image does while its cores are
  /// apart.
  public static func winogradConvolution(
    _ conv: FoldedConv, input: [Float], batch: Int, height: Int, width: Int,
    alpha: Int = 6, packed: Bool = Kernels.packedGEMM, transforms: WinogradPath = .current,
    stream: Bool = false
  ) -> [Float]? {
    guard let w = WinogradConv(conv, alpha: alpha, packed: packed, transforms: transforms) else {
      return nil
    }
    precondition(input.count == conv.shape.inChannels * batch * height * width)
    let (oh, ow) = conv.shape.outputSize(height: height, width: width)
    var out = [Float](repeating: 0, count: conv.shape.outChannels * batch * oh * ow)
    let v = FloatBuffer()
    let m = FloatBuffer()
    input.withUnsafeBufferPointer { i in
      out.withUnsafeMutableBufferPointer { o in
        guard let ip = i.baseAddress, let op = o.baseAddress else { return }
        convolveWinograd(
          w, input: ip, batch: batch, height: height, width: width, output: op, transformed: v,
          products: m, stream: stream)
      }
    }
    return out
  }

  /// 3x3 max pool with `stride` and `padding` over `planes` planes.
  public static func maxPool3x3(
    _ input: [Float], planes: Int, height: Int, width: Int, stride: Int, padding: Int
  ) -> [Float] {
    precondition(input.count == planes * height * width)
    let oh = (height + 2 * padding - 3) / stride + 1
    let ow = (width + 2 * padding - 3) / stride + 1
    var out = [Float](repeating: 0, count: planes * oh * ow)
    input.withUnsafeBufferPointer { i in
      out.withUnsafeMutableBufferPointer { o in
        guard let ip = i.baseAddress, let op = o.baseAddress else { return }
        InceptionKernels.maxPool3x3(
          input: ip, planes: planes, height: height, width: width, stride: stride,
          padding: padding, output: op)
      }
    }
    return out
  }

  /// 3x3 average pool, stride 1, padding 1, `count_include_pad=False`; with `bias` (one per
  /// channel, planes `c * batch + n`), `max(0, mean + bias[c])`.
  public static func averagePool3x3(
    _ input: [Float], planes: Int, height: Int, width: Int, bias: [Float]? = nil, batch: Int = 1
  ) -> [Float] {
    precondition(input.count == planes * height * width)
    precondition(bias.map { $0.count * batch == planes } ?? true)
    var out = [Float](repeating: 0, count: input.count)
    input.withUnsafeBufferPointer { i in
      out.withUnsafeMutableBufferPointer { o in
        (bias ?? []).withUnsafeBufferPointer { b in
          guard let ip = i.baseAddress, let op = o.baseAddress else { return }
          InceptionKernels.averagePool3x3(
            input: ip, planes: planes, height: height, width: width, output: op,
            bias: bias == nil ? nil : b.baseAddress, batch: batch)
        }
      }
    }
    return out
  }
}
