import HeroCore
import InceptionKernels

/// A crop's colours in 216 numbers, for the "unknown" test: Inception's bottleneck is good at
/// shapes and tolerant of hue, so two heroes whose buttons share a motif in different colours
/// (a pink fan, a blue fan) look alike to it; this signature does not.
///
/// The pixels inside the centred disc of radius 0.4 × the crop's shorter side (the button,
/// without the background around it) are counted in a 4×4×4 RGB histogram; the signature is the
/// square root of the normalised counts, a unit vector, so the cosine of two signatures is their
/// Bhattacharyya coefficient (1 for equal colour distributions, 0 for disjoint ones).
///
/// Six levels a channel, not four: with four, a pale pink (255, 214, 236) and a pale blue
/// (232, 246, 255) fall in the same bin. On clips of heroes left out of training, 6 levels
/// separated them from trained heroes better than 4 or 8, or a 12-hue HSV histogram
/// (docs/training.md).
public enum ColourSignature {
  public static let levels = 6
  public static let size = levels * levels * levels

  public static func of(_ image: RGBImage) -> [Float] {
    var counts = [Float](repeating: 0, count: size)
    let cx = Float(image.width - 1) / 2
    let cy = Float(image.height - 1) / 2
    let r = 0.4 * Float(min(image.width, image.height))
    let r2 = r * r
    var total: Float = 0
    image.pixels.withUnsafeBufferPointer { px in
      for y in 0..<image.height {
        let dy = Float(y) - cy
        for x in 0..<image.width {
          let dx = Float(x) - cx
          guard dx * dx + dy * dy <= r2 else { continue }
          let i = (y * image.width + x) * 3
          // Level of a channel: value × levels / 256 (Swift's >> binds tighter than ×).
          let r = (Int(px[i]) * levels) >> 8
          let g = (Int(px[i + 1]) * levels) >> 8
          let b = (Int(px[i + 2]) * levels) >> 8
          let bin = (r * levels + g) * levels + b
          counts[bin] += 1
          total += 1
        }
      }
    }
    guard total > 0 else { return counts }
    for k in 0..<size { counts[k] = (counts[k] / total).squareRoot() }
    return counts
  }
}
