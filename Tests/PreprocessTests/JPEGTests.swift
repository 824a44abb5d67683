import Foundation
import HeroCore
import Preprocess
import Testing

@Suite struct JPEGTests {
  @Test func roundTripKeepsAFlatColourWithinTolerance() throws {
    let img = RGBImage(width: 64, height: 48, fill: (200, 40, 90))
    let data = try JPEG.encode(img, quality: 95)
    #expect(data.prefix(2) == Data([0xFF, 0xD8]))
    let back = try JPEG.decode(data)
    #expect(back.width == 64 && back.height == 48)
    let p = back.pixel(x: 30, y: 20)
    #expect(abs(Int(p.r) - 200) <= 3 && abs(Int(p.g) - 40) <= 3 && abs(Int(p.b) - 90) <= 3)
  }

  @Test func roundTripKeepsAGradientPixelByPixel() throws {
    // Horizontal red ramp, vertical green ramp, diagonal blue ramp (smooth, so 4:2:0 chroma
    // keeps it): a decoder that swaps channels, flips, shifts or drops rows fails somewhere.
    let w = 96
    let h = 64
    var img = RGBImage(width: w, height: h, fill: (0, 0, 0))
    for y in 0..<h {
      for x in 0..<w {
        let i = (y * w + x) * 3
        img.pixels[i] = UInt8(x * 255 / (w - 1))
        img.pixels[i + 1] = UInt8(y * 255 / (h - 1))
        img.pixels[i + 2] = UInt8((x + y) * 255 / (w + h - 2))
      }
    }
    let back = try JPEG.decode(try JPEG.encode(img, quality: 95))
    #expect(back.width == w && back.height == h)
    var worst = 0
    var total = 0
    for i in 0..<img.pixels.count {
      let d = abs(Int(back.pixels[i]) - Int(img.pixels[i]))
      worst = max(worst, d)
      total += d
    }
    #expect(Double(total) / Double(img.pixels.count) < 2.5, "mean error \(total)")
    #expect(worst < 16, "worst error \(worst)")
    // Spot checks at the corners and the middle.
    for (x, y) in [(0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1), (w / 2, h / 2)] {
      let p = back.pixel(x: x, y: y)
      #expect(abs(Int(p.r) - x * 255 / (w - 1)) <= 8 && abs(Int(p.g) - y * 255 / (h - 1)) <= 8)
      #expect(abs(Int(p.b) - (x + y) * 255 / (w + h - 2)) <= 8)
    }
  }

  @Test func garbageIsAClearErrorNamingTheSource() {
    do {
      _ = try JPEG.decode(Data("not a jpeg at all".utf8), source: "bad.jpg")
      Issue.record("expected an error")
    } catch {
      #expect("\(error)".hasPrefix("bad.jpg: cannot decode JPEG"))
    }
  }

  @Test func emptyAndMissingFilesAreErrors() {
    #expect(throws: JPEGError.self) { try JPEG.decode(Data(), source: "e.jpg") }
    #expect(throws: JPEGError.self) { try JPEG.decode(fileAt: "/nonexistent/x.jpg") }
  }
}
