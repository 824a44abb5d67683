/// Pooling over planar tensors: every kernel treats `planes` independent `height`×`width`
/// planes (channels × images), reading `input` and writing `output` plane by plane.

/// 3x3 max pool with `stride` and `padding` (padding never wins: PyTorch pads with -inf).
func maxPool3x3(
  input: UnsafePointer<Float>, planes: Int, height: Int, width: Int, stride: Int, padding: Int,
  output: UnsafeMutablePointer<Float>
) {
  let oh = (height + 2 * padding - 3) / stride + 1
  let ow = (width + 2 * padding - 3) / stride + 1
  for p in 0..<planes {
    let src = input + p * height * width
    let dst = output + p * oh * ow
    for oy in 0..<oh {
      let y0 = max(0, oy * stride - padding)
      let y1 = min(height, oy * stride - padding + 3)
      for ox in 0..<ow {
        let x0 = max(0, ox * stride - padding)
        let x1 = min(width, ox * stride - padding + 3)
        var m = -Float.infinity
        for y in y0..<y1 {
          let row = src + y * width
          for x in x0..<x1 where row[x] > m { m = row[x] }
        }
        dst[oy * ow + ox] = m
      }
    }
  }
}

/// 3x3 average pool, stride 1, padding 1, `count_include_pad=False`: each output is the mean of
/// the input cells its window covers (9 inside, 6 on an edge, 4 in a corner).
func averagePool3x3(
  input: UnsafePointer<Float>, planes: Int, height: Int, width: Int,
  output: UnsafeMutablePointer<Float>
) {
  for p in 0..<planes {
    let src = input + p * height * width
    let dst = output + p * height * width
    for oy in 0..<height {
      let y0 = max(0, oy - 1)
      let y1 = min(height, oy + 2)
      for ox in 0..<width {
        let x0 = max(0, ox - 1)
        let x1 = min(width, ox + 2)
        var sum: Float = 0
        for y in y0..<y1 {
          let row = src + y * width
          for x in x0..<x1 { sum += row[x] }
        }
        dst[oy * width + ox] = sum / Float((y1 - y0) * (x1 - x0))
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
  /// `relu(conv(input) + bias)` of a batch of `batch` images, input planes `c * batch + n`.
  public static func convolution(
    _ conv: FoldedConv, input: [Float], batch: Int, height: Int, width: Int
  ) -> [Float] {
    precondition(input.count == conv.shape.inChannels * batch * height * width)
    let (oh, ow) = conv.shape.outputSize(height: height, width: width)
    var out = [Float](repeating: 0, count: conv.shape.outChannels * batch * oh * ow)
    let columns = FloatBuffer()
    input.withUnsafeBufferPointer { i in
      out.withUnsafeMutableBufferPointer { o in
        guard let ip = i.baseAddress, let op = o.baseAddress else { return }
        convolve(
          conv, input: ip, batch: batch, height: height, width: width, output: op,
          columns: columns)
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
        Classifier.maxPool3x3(
          input: ip, planes: planes, height: height, width: width, stride: stride,
          padding: padding, output: op)
      }
    }
    return out
  }

  /// 3x3 average pool, stride 1, padding 1, `count_include_pad=False`.
  public static func averagePool3x3(_ input: [Float], planes: Int, height: Int, width: Int)
    -> [Float]
  {
    precondition(input.count == planes * height * width)
    var out = [Float](repeating: 0, count: input.count)
    input.withUnsafeBufferPointer { i in
      out.withUnsafeMutableBufferPointer { o in
        guard let ip = i.baseAddress, let op = o.baseAddress else { return }
        Classifier.averagePool3x3(
          input: ip, planes: planes, height: height, width: width, output: op)
      }
    }
    return out
  }
}
