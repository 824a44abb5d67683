import Foundation
import HeroCore
import Preprocess
import Testing

/// Crafted JPEGs (issue 14): a picture too large to allocate, and a progressive JPEG with
/// thousands of scans, are refused with a one-line error naming the file.
@Suite("Hostile JPEGs")
struct HostileJPEGTests {
  /// The JPEG with the width and height in its SOF marker replaced.
  func withSize(_ jpeg: Data, width: Int, height: Int) throws -> Data {
    var b = [UInt8](jpeg)
    var i = 2
    while i + 9 < b.count {
      guard b[i] == 0xFF else { break }
      let marker = b[i + 1]
      let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
      if (0xC0...0xC2).contains(marker) {
        b[i + 5] = UInt8(height >> 8)
        b[i + 6] = UInt8(height & 0xFF)
        b[i + 7] = UInt8(width >> 8)
        b[i + 8] = UInt8(width & 0xFF)
        return Data(b)
      }
      i += 2 + length
    }
    Issue.record("no SOF marker")
    return jpeg
  }

  @Test("a header declaring 65500x65500 is refused before allocating 12 GB")
  func pixelCap() throws {
    let small = try JPEG.encode(RGBImage(width: 16, height: 16, fill: (1, 2, 3)))
    for (w, h) in [(65500, 65500), (4097, 4096), (65500, 300)] {
      let big = try withSize(small, width: w, height: h)
      do {
        _ = try JPEG.decode(big, source: "big.jpg")
        Issue.record("decoded \(w)x\(h)")
      } catch {
        #expect(
          "\(error)"
            == "big.jpg: cannot decode JPEG (picture \(w)x\(h) is larger than 16777216 pixels)")
      }
    }
    // 4096x4096 is still allowed by the header check (the data then runs short: a warning).
    let edge = try withSize(small, width: 4096, height: 4096)
    #expect((try? JPEG.decode(edge))?.width == 4096)
  }

  @Test("a progressive JPEG with more than 500 scans is refused (TJFLAG_LIMITSCANS)")
  func scanLimit() throws {
    let image = RGBImage(width: 16, height: 16, fill: (90, 120, 200))
    let jpeg = [UInt8](try JPEG.encode(image, progressive: true))
    // The last scan: from the last SOS marker (FF DA) to the EOI marker at the end.
    var sos = jpeg.count - 2
    while sos > 0, !(jpeg[sos] == 0xFF && jpeg[sos + 1] == 0xDA) { sos -= 1 }
    #expect(sos > 0)
    let scan = Array(jpeg[sos..<(jpeg.count - 2)])
    var many = Array(jpeg[..<(jpeg.count - 2)])
    for _ in 0..<600 { many += scan }
    many += [0xFF, 0xD9]
    do {
      _ = try JPEG.decode(Data(many), source: "scans.jpg")
      Issue.record("decoded a JPEG of 600 scans")
    } catch {
      #expect("\(error)".hasPrefix("scans.jpg: cannot decode JPEG ("))
      #expect("\(error)".contains("500 scans"))
    }
    // The original progressive JPEG decodes.
    #expect(try JPEG.decode(Data(jpeg)).width == 16)
  }
}
