import HeroCore

/// A crop's colours in 64 numbers, for the "unknown" test: Inception's bottleneck is good at
/// shapes and tolerant of hue, so two heroes whose buttons share a motif in different colours
/// (a pink fan, a blue fan) look alike to it; this signature does not.
///
/// The pixels inside the centred disc of radius 0.4 × the crop's shorter side (the button,
/// without the background around it) are counted in a 4×4×4 RGB histogram; the signature is the
/// square root of the normalised counts, a unit vector, so the cosine of two signatures is their
/// Bhattacharyya coefficient (1 for equal colour distributions, 0 for disjoint ones).
public enum ColourSignature {
  public static let size = 64

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
          let bin = Int(px[i] >> 6) * 16 + Int(px[i + 1] >> 6) * 4 + Int(px[i + 2] >> 6)
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
