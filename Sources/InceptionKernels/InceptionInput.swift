import HeroCore

/// The network input made from an RGB image (CONTRACT.md): bilinear resize to 299x299 with
/// half-pixel centres and no antialiasing (`torch.nn.functional.interpolate(...,
/// mode="bilinear", align_corners=False)`), then `(x - 128) / 128`. A 299x299 image skips the
/// resize.
public enum InceptionInput {
  /// The normalised input of one image: 3 planes (R, G, B) of 299x299 floats.
  public static func tensor(from image: RGBImage) -> [Float] {
    let side = InceptionConstants.inputSide
    var out = [Float](repeating: 0, count: 3 * side * side)
    out.withUnsafeMutableBufferPointer { o in
      guard let p = o.baseAddress else { return }
      write(image, into: p, index: 0, batch: 1)
    }
    return out
  }

  /// The bilinear resize alone, values 0...255: 3 planes of `height`×`width` floats.
  public static func resized(_ image: RGBImage, width: Int, height: Int) -> [Float] {
    var out = [Float](repeating: 0, count: 3 * width * height)
    out.withUnsafeMutableBufferPointer { o in
      guard let p = o.baseAddress else { return }
      resize(
        image, width: width, height: height, into: p, planeStride: width * height, scale: 1,
        offset: 0)
    }
    return out
  }

  /// Writes image `index` of a batch of `batch` into planar `[3][batch][299][299]` storage.
  static func write(
    _ image: RGBImage, into tensor: UnsafeMutablePointer<Float>, index: Int, batch: Int
  ) {
    let side = InceptionConstants.inputSide
    let plane = side * side
    resize(
      image, width: side, height: side, into: tensor + index * plane, planeStride: batch * plane,
      scale: 1.0 / 128, offset: -128)
  }

  /// One source index and weights per output index along one axis (PyTorch's
  /// `area_pixel_compute_source_index`, float32).
  private static func axis(input: Int, output: Int) -> (
    i0: [Int], i1: [Int], w0: [Float], w1: [Float]
  ) {
    var i0 = [Int](repeating: 0, count: output)
    var i1 = [Int](repeating: 0, count: output)
    var w0 = [Float](repeating: 0, count: output)
    var w1 = [Float](repeating: 0, count: output)
    let scale = Float(input) / Float(output)
    for d in 0..<output {
      let s = max(0, scale * (Float(d) + 0.5) - 0.5)
      let lo = min(Int(s), input - 1)
      i0[d] = lo
      i1[d] = min(lo + 1, input - 1)
      w1[d] = s - Float(lo)
      w0[d] = 1 - w1[d]
    }
    return (i0, i1, w0, w1)
  }

  /// Bilinear resize of `image` into 3 planes `planeStride` apart, each value `(v + offset) * scale`.
  private static func resize(
    _ image: RGBImage, width: Int, height: Int, into out: UnsafeMutablePointer<Float>,
    planeStride: Int, scale: Float, offset: Float
  ) {
    let iw = image.width
    image.pixels.withUnsafeBufferPointer { px in
      if image.width == width && image.height == height {
        for y in 0..<height {
          for x in 0..<width {
            let s = (y * iw + x) * 3
            for c in 0..<3 {
              out[c * planeStride + y * width + x] = (Float(px[s + c]) + offset) * scale
            }
          }
        }
        return
      }
      let ax = axis(input: image.width, output: width)
      let ay = axis(input: image.height, output: height)
      for y in 0..<height {
        let r0 = ay.i0[y] * iw
        let r1 = ay.i1[y] * iw
        let h0 = ay.w0[y]
        let h1 = ay.w1[y]
        for x in 0..<width {
          let c0 = ax.i0[x]
          let c1 = ax.i1[x]
          let v0 = ax.w0[x]
          let v1 = ax.w1[x]
          for c in 0..<3 {
            let a = Float(px[(r0 + c0) * 3 + c])
            let b = Float(px[(r0 + c1) * 3 + c])
            let d = Float(px[(r1 + c0) * 3 + c])
            let e = Float(px[(r1 + c1) * 3 + c])
            let v = h0 * (v0 * a + v1 * b) + h1 * (v0 * d + v1 * e)
            out[c * planeStride + y * width + x] = (v + offset) * scale
          }
        }
      }
    }
  }
}
