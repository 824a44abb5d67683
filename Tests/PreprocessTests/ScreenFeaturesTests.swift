import Foundation
import HeroCore
import Preprocess
import Testing

/// The thumbnail part of ``ScreenFeatures`` against its definition, pixel by pixel: box averages
/// over a 32x18 grid of the pixels outside every button disc (radius + maxOffset + 2), each
/// channel then standardised over the cells. The features sum each row's run of a cell in
/// integers; the definition sums pixel by pixel in floats. Both are exact (a cell's sum stays
/// far below 2^24), so the features must be equal, not close.
@Suite struct ScreenFeaturesTests {
  /// The thumbnail as defined, one pixel at a time in float32.
  static func referenceThumbnail(_ frame: RGBImage, layout: LayoutProfile) -> [Float] {
    let (tw, th) = (ScreenFeatures.thumbWidth, ScreenFeatures.thumbHeight)
    let cells = tw * th
    let buttons = layout.orderedSkills.map(\.slot) + [layout.attack]
    var sums = [Float](repeating: 0, count: cells * 3)
    var counts = [Float](repeating: 0, count: cells)
    for y in 0..<frame.height {
      for x in 0..<frame.width {
        let masked = buttons.contains {
          let rr = $0.r + ScreenFeatures.maxOffset + 2
          return (x - $0.cx) * (x - $0.cx) + (y - $0.cy) * (y - $0.cy) <= rr * rr
        }
        if masked { continue }
        let c = (y * th / frame.height) * tw + x * tw / frame.width
        let i = 3 * (y * frame.width + x)
        sums[c] += Float(frame.pixels[i])
        sums[cells + c] += Float(frame.pixels[i + 1])
        sums[2 * cells + c] += Float(frame.pixels[i + 2])
        counts[c] += 1
      }
    }
    var out = [Float](repeating: 0, count: cells * 3)
    for ch in 0..<3 {
      var mean: Float = 0
      var used: Float = 0
      for c in 0..<cells where counts[c] > 0 {
        out[ch * cells + c] = sums[ch * cells + c] / counts[c]
        mean += out[ch * cells + c]
        used += 1
      }
      mean /= max(1, used)
      var variance: Float = 0
      for c in 0..<cells where counts[c] > 0 {
        variance += (out[ch * cells + c] - mean) * (out[ch * cells + c] - mean)
      }
      let sd = (variance / max(1, used)).squareRoot() + 4
      for c in 0..<cells {
        out[ch * cells + c] = counts[c] > 0 ? (out[ch * cells + c] - mean) / sd : 0
      }
    }
    return out
  }

  @Test(arguments: [UInt64(1), 2, 3])
  func thumbnailIsTheDefinitionExactly(seed: UInt64) {
    let layout = LayoutProfile.default
    let (w, h) = (layout.frame.width, layout.frame.height)
    var rng = SplitMix64(seed: seed)
    // Noise over smooth gradients, with saturated patches (255 everywhere: the largest sums).
    var pixels = [UInt8](repeating: 0, count: w * h * 3)
    for y in 0..<h {
      for x in 0..<w {
        let i = 3 * (y * w + x)
        let saturated = (x / 97 + y / 61) % 5 == 0
        for ch in 0..<3 {
          let base = (x * (ch + 1) + y * (3 - ch)) % 256
          pixels[i + ch] =
            saturated ? 255 : UInt8(clamping: base + Int(rng.next() % 41) - 20)
        }
      }
    }
    let frame = RGBImage(width: w, height: h, pixels: pixels)
    let features = ScreenFeatures(layout: layout).features(of: frame)
    let thumbnail = Array(features.prefix(ScreenFeatures.thumbnailCount))
    let reference = Self.referenceThumbnail(frame, layout: layout)
    #expect(thumbnail == reference)
    // Not a constant: the cells differ.
    #expect(Set(thumbnail).count > 100)
  }
}
