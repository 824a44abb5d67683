import Classifier
import HeroCore
import InceptionKernels
import TestSupport
import Testing

@Suite("Icon pattern")
struct IconPatternTests {
  /// Best correlation of `query`'s windows with `reference`'s centred pattern.
  func similarity(_ query: RGBImage, _ reference: RGBImage) -> Float {
    let template = IconPattern.template(IconPattern.thumbnail(reference))
    let prototypes = Prototypes(
      inputSize: IconPattern.size, classCount: 1,
      mean: [Float](repeating: 0, count: IconPattern.size), vectors: template, labels: [0])
    return IconPattern.similarities(IconPattern.thumbnail(query), to: prototypes)[0]
  }

  @Test("a unit-length pattern; a flat crop has none")
  func unit() {
    let t = IconPattern.template(IconPattern.thumbnail(RGBImageFixture.icon(0)))
    #expect(t.count == IconPattern.size)
    // Unit length up to the rounding of a normalisation and a sum of squares.
    #expect(
      Double(abs(t.reduce(0) { $0 + $1 * $1 } - 1)) <= RoundingBound.gamma(2 * t.count + 8))
    let flat = IconPattern.template(IconPattern.thumbnail(RGBImageFixture.flat(90, 90, 90)))
    #expect(flat.allSatisfy { $0 == 0 })
  }

  @Test("a button on cooldown (dimmed, a number over its centre) matches its ready icon")
  func cooldown() {
    let ready = RGBImageFixture.icon(1)
    let cooling = RGBImageFixture.icon(1, brightness: 0.42, digit: true)
    #expect(similarity(cooling, ready) > 0.95)
    // Another hero's icon, dimmed the same way, does not.
    #expect(similarity(RGBImageFixture.icon(4, brightness: 0.42, digit: true), ready) < 0.5)
  }

  @Test("a button a few pixels off centre still matches; another icon does not")
  func shifted() {
    let ready = RGBImageFixture.icon(2)
    let moved = RGBImageFixture.icon(2, dx: 4, dy: -3)
    #expect(similarity(moved, ready) > 0.9)
    #expect(similarity(RGBImageFixture.icon(0), ready) < 0.5)
  }

  @Test("similarities come back one row per crop, in order, for more crops than one chunk")
  func chunks() {
    let kinds = (0..<70).map { $0 % 5 }
    let thumbnails = kinds.flatMap { IconPattern.thumbnail(RGBImageFixture.icon($0)) }
    var vectors: [Float] = []
    for k in 0..<5 {
      vectors += IconPattern.template(IconPattern.thumbnail(RGBImageFixture.icon(k)))
    }
    let prototypes = Prototypes(
      inputSize: IconPattern.size, classCount: 5,
      mean: [Float](repeating: 0, count: IconPattern.size), vectors: vectors,
      labels: [0, 1, 2, 3, 4])
    let s = IconPattern.similarities(thumbnails, to: prototypes)
    #expect(s.count == 70 * 5)
    for (row, k) in kinds.enumerated() {
      let best = (0..<5).max { s[row * 5 + $0] < s[row * 5 + $1] }
      #expect(best == k)
      #expect(s[row * 5 + k] > 0.99)
    }
  }
}
