import Foundation
import HeroCore
import Testing

/// The container's rotation, as players apply it (`QuarterTurns`).
@Suite struct QuarterTurnsTests {
  /// ffmpeg's autorotate turns by minus the display matrix's angle (counterclockwise degrees).
  @Test func displayMatrixAngles() {
    #expect(QuarterTurns(displayMatrixDegrees: -90) == .clockwise)
    #expect(QuarterTurns(displayMatrixDegrees: 90) == .counterclockwise)
    #expect(QuarterTurns(displayMatrixDegrees: 180) == .half)
    #expect(QuarterTurns(displayMatrixDegrees: -180) == .half)
    #expect(QuarterTurns(displayMatrixDegrees: 0) == .none)
    #expect(QuarterTurns(displayMatrixDegrees: -88.6) == .clockwise)
    #expect(QuarterTurns(displayMatrixDegrees: .nan) == .none)
    #expect(QuarterTurns(displayMatrixDegrees: .infinity) == .none)
    #expect(QuarterTurns(displayMatrixDegrees: 1e300) == .none)
  }

  /// Every pixel lands where the turn says, the rectangle mapping agrees with the pixel
  /// mapping, and four clockwise turns give the image back.
  @Test(arguments: QuarterTurns.allCases)
  func pixelsAndRectanglesAgree(_ turns: QuarterTurns) {
    let (w, h) = (7, 4)
    // Each pixel's value is its coded index: a turned image says where each one went.
    let coded = RGBImage(
      width: w, height: h, pixels: (0..<(w * h)).flatMap { [UInt8($0), 0, UInt8(255 - $0)] })
    let shown = turns.turn(coded)
    let size = turns.shown(width: w, height: h)
    #expect(shown.width == size.width && shown.height == size.height)
    // A rectangle of the shown picture holds exactly the coded pixels of its coded rectangle.
    let r = PixelRect(x: 1, y: 1, width: 2, height: 3)
    let back = turns.codedRect(r, codedWidth: w, codedHeight: h)
    var inShown: [Int] = []
    for y in r.y..<(r.y + r.height) {
      for x in r.x..<(r.x + r.width) { inShown.append(Int(shown.pixel(x: x, y: y).r)) }
    }
    var inCoded: [Int] = []
    for y in back.y..<(back.y + back.height) {
      for x in back.x..<(back.x + back.width) { inCoded.append(y * w + x) }
    }
    #expect(inShown.sorted() == inCoded.sorted(), "\(turns): \(back)")
    // Four clockwise quarter turns are the identity; one is a clockwise turn: the coded
    // top-left pixel is shown at the top right.
    var image = coded
    for _ in 0..<4 { image = QuarterTurns.clockwise.turn(image) }
    #expect(image == coded)
    let once = QuarterTurns.clockwise.turn(coded)
    #expect(once.pixel(x: h - 1, y: 0).r == 0)
  }
}
