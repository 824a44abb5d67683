import Foundation
import HeroCore
import Testing

/// A vertical re-upload (issue 26): a 9:16 frame with the landscape game in the middle and,
/// above and below it, a blurred copy of the same video (not black bars), often with a sharp
/// title band on top. `ActivePicture.detect` finds the sharp game rows inside the blurred fill.
@Suite struct VerticalUploadTests {
  /// Probes of a `w`×`h` frame: rows `game` hold detail (a seeded random pattern that moves
  /// from probe to probe), the other rows a smooth, moving gradient (a blurred fill), and rows
  /// `title` a sharp still band of text-like stripes.
  static func probes(
    w: Int, h: Int, game: Range<Int>, title: Range<Int>?, count: Int = 8, seed: UInt64 = 26
  ) -> [GreyProbe] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { k in
      var px = [UInt8](repeating: 0, count: w * h)
      for y in 0..<h {
        for x in 0..<w {
          let v: Int
          if game.contains(y) {
            // Blocks of 4 px with random grey levels: edges everywhere, as a game picture.
            v = Int(truncatingIfNeeded: rng.next() % 200) + 30
          } else if let title, title.contains(y) {
            v = (x / 6) % 2 == 0 ? 235 : 20
          } else {
            // A blurred fill: smooth across the frame, and moving with the video (every pixel
            // changes from probe to probe, as the game does: no still layout around it).
            v = 60 + 30 * (k % 2) + x / 12 + y / 40
          }
          px[y * w + x] = UInt8(clamping: v)
        }
      }
      return GreyProbe(width: w, height: h, pixels: px)
    }
  }

  @Test func theGameInsideABlurredFillIsFound() {
    // 360x640 (a 9:16 probe); the game 360x203 (16:9) at row 219.
    let p = Self.probes(w: 360, h: 640, game: 219..<422, title: 60..<84)
    let d = ActivePicture.detect(p)
    #expect(d.inLayout)
    #expect(abs(d.picture.y - 219) <= 2 && abs(d.picture.height - 203) <= 3, "\(d.picture)")
    #expect(d.picture.x == 0 && d.picture.width == 360, "\(d.picture)")
  }

  /// A frame that is detail all over (a standard landscape video) is the whole picture, and
  /// a fill with no sharp band at all (a blurred or flat video) finds nothing.
  @Test func noFillNoBlock() {
    let whole = Self.probes(w: 320, h: 180, game: 0..<180, title: nil)
    let d = ActivePicture.detect(whole)
    #expect(!d.inLayout && d.picture == PixelRect(x: 0, y: 0, width: 320, height: 180))
    let flat = Self.probes(w: 180, h: 320, game: 0..<0, title: nil)
    #expect(!ActivePicture.detect(flat).inLayout)
    // A portrait game (sharp all over a 9:16 frame) is not a landscape block in a fill.
    let portrait = Self.probes(w: 180, h: 320, game: 0..<320, title: nil)
    #expect(!ActivePicture.detect(portrait).inLayout)
  }
}
