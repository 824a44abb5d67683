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
