import Foundation
import HeroCore
import Preprocess
import Testing

/// A noisy "scene" with, optionally, ring-bordered buttons at the layout's positions (shifted by
/// `offset`), their insides filled with random texture (a stand-in for any hero's icon).
func ringFrame(
  seed: UInt64, rings: Bool, offset: (Int, Int) = (0, 0), gain: Float = 1,
  bias: Float = 0
) -> RGBImage {
  var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
  func next() -> UInt8 {
    state ^= state << 13
    state ^= state >> 7
    state ^= state << 17
    return UInt8(truncatingIfNeeded: state >> 24)
  }
  let w = 1280
  let h = 720
  var p = [UInt8](repeating: 0, count: w * h * 3)
  let layout = LayoutProfile.default
  let buttons = layout.orderedSkills.map(\.slot) + [layout.attack]
  // Smooth scene: coarse random blocks.
  var blocks = [UInt8](repeating: 0, count: 40 * 23 * 3)
  for i in blocks.indices { blocks[i] = 40 + next() / 2 }
  for y in 0..<h {
    for x in 0..<w {
      let b = ((y / 32) * 40 + x / 32) * 3
      var c = (Float(blocks[b]), Float(blocks[b + 1]), Float(blocks[b + 2]))
      if rings {
        for s in buttons {
          let dx = Float(x - s.cx - offset.0)
          let dy = Float(y - s.cy - offset.1)
          let d = (dx * dx + dy * dy).squareRoot()
          if abs(d - Float(s.r)) <= 2 {
            c = (235, 225, 190)
          } else if d < Float(s.r) - 2 {
            let t = Float(next())
            c = (t, Float(next()), (t + 60).truncatingRemainder(dividingBy: 255))
          }
        }
      }
      let i = (y * w + x) * 3
      p[i] = UInt8(max(0, min(255, c.0 * gain + bias)))
      p[i + 1] = UInt8(max(0, min(255, c.1 * gain + bias)))
      p[i + 2] = UInt8(max(0, min(255, c.2 * gain + bias)))
    }
  }
  return RGBImage(width: w, height: h, pixels: p)
}

@Suite struct HUDRingTests {
  let features = ScreenFeatures(layout: .default)

  @Test func ringsScoreHighAndTheirAbsenceLow() {
    let with = features.hudScores(ringFrame(seed: 1, rings: true))
    let without = features.hudScores(ringFrame(seed: 1, rings: false))
    #expect(with.count == 4 && without.count == 4)
    #expect(with.allSatisfy { $0 >= 0.85 }, "\(with)")
    #expect(without.allSatisfy { $0 <= 0.4 }, "\(without)")
  }

  @Test func offsetsOfAFewPixelsAndBrightnessShiftsKeepTheScore() {
    let base = features.hudScores(ringFrame(seed: 2, rings: true))
    let shifted = features.hudScores(ringFrame(seed: 2, rings: true, offset: (5, -4)))
    let darker = features.hudScores(ringFrame(seed: 2, rings: true, gain: 0.6, bias: -10))
    for i in 0..<4 {
      #expect(abs(base[i] - shifted[i]) < 0.1, "\(base) vs \(shifted)")
      #expect(abs(base[i] - darker[i]) < 0.1, "\(base) vs \(darker)")
    }
  }

  @Test func thumbnailLeavesTheButtonsOut() {
    // Two frames that differ only inside the button discs give the same thumbnail.
    let a = ringFrame(seed: 3, rings: true)
    var b = a
    let layout = LayoutProfile.default
    for s in layout.orderedSkills.map(\.slot) {
      for y in (s.cy - s.r + 3)...(s.cy + s.r - 3) {
        for x in (s.cx - s.r + 3)...(s.cx + s.r - 3) {
          let dx = x - s.cx, dy = y - s.cy
          if dx * dx + dy * dy < (s.r - 3) * (s.r - 3) {
            let i = (y * 1280 + x) * 3
            b.pixels[i] = 255 &- b.pixels[i]
          }
        }
      }
    }
    let fa = features.features(of: a)
    let fb = features.features(of: b)
    let n = ScreenFeatures.thumbnailCount
    #expect(Array(fa[0..<n]) == Array(fb[0..<n]))
  }
}
