import Foundation
import HeroCore
import InceptionKernels

/// Random distortions of a training image, with `retrain.py`'s meaning of the percentages:
/// the image is scaled up by `1 + randomCrop%` times a random factor in `[1, 1 + randomScale%]`
/// and a window of the original size is cut at a random place (here done directly as a window
/// of `1/scale` of the source, which the network's resize brings to 299x299), optionally mirrored
/// left-right with probability 1/2, and its values multiplied by a random factor in
/// `[1 - randomBrightness%, 1 + randomBrightness%]` (clamped to 0...255).
public struct ImageDistortion: Sendable, Codable, Equatable {
  public var flipLeftRight = false
  public var randomCropPercent = 0.0
  public var randomScalePercent = 0.0
  public var randomBrightnessPercent = 0.0

  enum CodingKeys: String, CodingKey {
    case flipLeftRight = "flip_left_right"
    case randomCropPercent = "random_crop"
    case randomScalePercent = "random_scale"
    case randomBrightnessPercent = "random_brightness"
  }

  public init(
    flipLeftRight: Bool = false, randomCropPercent: Double = 0, randomScalePercent: Double = 0,
    randomBrightnessPercent: Double = 0
  ) {
    self.flipLeftRight = flipLeftRight
    self.randomCropPercent = randomCropPercent
    self.randomScalePercent = randomScalePercent
    self.randomBrightnessPercent = randomBrightnessPercent
  }

  /// Whether any distortion is on (then bottlenecks are computed fresh every step).
  public var isActive: Bool {
    flipLeftRight || randomCropPercent > 0 || randomScalePercent > 0 || randomBrightnessPercent > 0
  }

  /// A distorted copy of `image`.
  public func apply(_ image: RGBImage, using rng: inout SeededGenerator) -> RGBImage {
    let scale =
      (1 + randomCropPercent / 100) * (1 + Double(rng.nextUnit()) * randomScalePercent / 100)
    let w = max(1, min(image.width, Int((Double(image.width) / scale).rounded())))
    let h = max(1, min(image.height, Int((Double(image.height) / scale).rounded())))
    let x0 = Int(rng.next() % UInt64(image.width - w + 1))
    let y0 = Int(rng.next() % UInt64(image.height - h + 1))
    let flip = flipLeftRight && rng.next() & 1 == 1
    let brightness = Float(
      1 + (2 * Double(rng.nextUnit()) - 1) * randomBrightnessPercent / 100)
    var out = [UInt8](repeating: 0, count: w * h * 3)
    image.pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for y in 0..<h {
          for x in 0..<w {
            let sx = x0 + (flip ? w - 1 - x : x)
            let s = ((y0 + y) * image.width + sx) * 3
            let d = (y * w + x) * 3
            for k in 0..<3 {
              let v = Float(src[s + k]) * brightness
              dst[d + k] = UInt8(max(0, min(255, v.rounded())))
            }
          }
        }
      }
    }
    return RGBImage(width: w, height: h, pixels: out)
  }
}
