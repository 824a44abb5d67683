import Foundation
import HeroCore

/// Cutting a region out of an image and resampling it to a given size (bilinear; when the
/// region shrinks by more than 1.5 times, each output pixel averages a 2x2 grid of bilinear
/// samples over its footprint).
public enum Resample {
  /// The region (`x`, `y`, `width`, `height`, in pixels of `image`, edges between pixels; may
  /// reach outside the image, whose edge pixels then repeat) resampled to `outWidth`×`outHeight`.
  public static func region(
    _ image: RGBImage, x: Double, y: Double, width: Double, height: Double, outWidth: Int,
    outHeight: Int
  ) -> RGBImage {
    precondition(outWidth > 0 && outHeight > 0 && image.width > 0 && image.height > 0)
    let fx = width / Double(outWidth)
    let fy = height / Double(outHeight)
    let (iw, ih) = (image.width, image.height)
    // A whole-pixel cut at the same size: copy.
    if fx == 1, fy == 1, x == x.rounded(), y == y.rounded(), x >= 0, y >= 0,
      Int(x) + outWidth <= iw, Int(y) + outHeight <= ih
    {
      return image.cropped(
        to: PixelRect(x: Int(x), y: Int(y), width: outWidth, height: outHeight))
    }
    let taps: [Double] = max(fx, fy) > 1.5 ? [-0.25, 0.25] : [0]
    let weight = 1 / Double(taps.count * taps.count)
    var out = [UInt8](repeating: 0, count: outWidth * outHeight * 3)
    image.pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for oy in 0..<outHeight {
          for ox in 0..<outWidth {
            var acc = (0.0, 0.0, 0.0)
            for ty in taps {
              let sy = y + (Double(oy) + 0.5 + ty) * fy - 0.5
              let y0 = Int(sy.rounded(.down))
              let wy = sy - Double(y0)
              let ya = min(max(y0, 0), ih - 1)
              let yb = min(max(y0 + 1, 0), ih - 1)
              for tx in taps {
                let sx = x + (Double(ox) + 0.5 + tx) * fx - 0.5
                let x0 = Int(sx.rounded(.down))
                let wx = sx - Double(x0)
                let xa = min(max(x0, 0), iw - 1)
                let xb = min(max(x0 + 1, 0), iw - 1)
                let p00 = (ya * iw + xa) * 3
                let p01 = (ya * iw + xb) * 3
                let p10 = (yb * iw + xa) * 3
                let p11 = (yb * iw + xb) * 3
                let w00 = (1 - wx) * (1 - wy)
                let w01 = wx * (1 - wy)
                let w10 = (1 - wx) * wy
                let w11 = wx * wy
                acc.0 +=
                  w00 * Double(src[p00]) + w01 * Double(src[p01]) + w10 * Double(src[p10])
                  + w11 * Double(src[p11])
                acc.1 +=
                  w00 * Double(src[p00 + 1]) + w01 * Double(src[p01 + 1])
                  + w10 * Double(src[p10 + 1]) + w11 * Double(src[p11 + 1])
                acc.2 +=
                  w00 * Double(src[p00 + 2]) + w01 * Double(src[p01 + 2])
                  + w10 * Double(src[p10 + 2]) + w11 * Double(src[p11 + 2])
              }
            }
            let d = (oy * outWidth + ox) * 3
            dst[d] = UInt8(min(255, max(0, (acc.0 * weight).rounded())))
            dst[d + 1] = UInt8(min(255, max(0, (acc.1 * weight).rounded())))
            dst[d + 2] = UInt8(min(255, max(0, (acc.2 * weight).rounded())))
          }
        }
      }
    }
    return RGBImage(width: outWidth, height: outHeight, pixels: out)
  }
}
