import Foundation
import HeroCore
import Preprocess
import Testing

/// A 1280x720 frame with a deterministic pattern: pixel (x, y) = (x % 256, y % 256, (x + y) % 256).
func patternFrame() -> RGBImage {
  var p = [UInt8](repeating: 0, count: 1280 * 720 * 3)
  for y in 0..<720 {
    for x in 0..<1280 {
      let i = (y * 1280 + x) * 3
      p[i] = UInt8(x % 256)
      p[i + 1] = UInt8(y % 256)
      p[i + 2] = UInt8((x + y) % 256)
    }
  }
  return RGBImage(width: 1280, height: 720, pixels: p)
}

func writeTemporary(_ text: String, name: String) throws -> String {
  let dir = FileManager.default.temporaryDirectory
    .appendingPathComponent("preprocess-tests-\(UUID().uuidString)", isDirectory: true)
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  let f = dir.appendingPathComponent(name)
  try Data(text.utf8).write(to: f)
  return f.path
}

@Suite struct CropTests {
  @Test func defaultCropIsTheContractsSquare() throws {
    let crop = try cropSkill(frame: patternFrame(), layout: .default)
    #expect(crop.width == 104 && crop.height == 104)
    #expect(
      crop.pixel(x: 0, y: 0) == (UInt8(980 % 256), UInt8(447 % 256), UInt8((980 + 447) % 256)))
    #expect(
      crop.pixel(x: 103, y: 103) == (UInt8(1083 % 256), UInt8(550 % 256), UInt8((1083 + 550) % 256))
    )
  }

  @Test func cropsStayInTheFrameForEveryValidLayout() throws {
    var rng = SplitMix64(seed: 29)
    let frame = patternFrame()
    var checked = 0
    for _ in 0..<200 {
      var p = LayoutProfile.default
      let r = Int.random(in: 10...60, using: &rng)
      p.skills["skill2"] = .init(
        cx: Int.random(in: 0...1280, using: &rng),
        cy: Int.random(in: 0...720, using: &rng), r: r)
      p.crop.size = Int.random(in: 8...200, using: &rng)
      guard (try? p.validate()) != nil else { continue }
      let c = try cropSkill(frame: frame, layout: p)
      let rect = p.cropRect
      #expect(rect.x >= 0 && rect.y >= 0 && rect.maxX <= 1280 && rect.maxY <= 720)
      #expect(c.width == p.crop.size && c.height == p.crop.size)
      checked += 1
    }
    #expect(checked > 20)
  }

  @Test func aFrameOfTheWrongSizeIsAnError() {
    #expect(throws: CropError.self) {
      try cropSkill(frame: RGBImage(width: 640, height: 360), layout: .default)
    }
  }

  @Test func jpegCropIsQuality95Sized() throws {
    let data = try Crop.skillJPEG(frame: patternFrame(), layout: .default)
    let back = try JPEG.decode(data)
    #expect(back.width == 104 && back.height == 104)
  }
}

@Suite struct LayoutLoadingTests {
  @Test func noPathIsTheDefault() throws {
    #expect(try Layouts.load(path: nil) == LayoutProfile.default)
  }

  @Test(arguments: [
    (
      #"{"name":"x","frame":{"width":1280,"height":720},"skills":{"skill2":{"cx":1032,"cy":499,"r":42}},"crop":{"slot":"skill2","size":104}}"#,
      "missing field \"attack\""
    ),
    (
      #"{"name":"x","frame":{"width":1280,"height":720},"skills":{"skill2":{"cx":1270,"cy":499,"r":42}},"attack":{"cx":1144,"cy":586,"r":62},"crop":{"slot":"skill2","size":104}}"#,
      "outside the 1280x720 frame"
    ),
    (
      #"{"name":"x","frame":{"width":1280,"height":720},"skills":{"skill2":{"cx":1230,"cy":499,"r":42}},"attack":{"cx":1144,"cy":586,"r":62},"crop":{"slot":"skill2","size":120}}"#,
      "does not fit"
    ),
    (
      #"{"name":"x","frame":{"width":1280,"height":720},"skills":{"skill2":{"cx":1032,"cy":499,"r":42}},"attack":{"cx":1144,"cy":586,"r":62},"crop":{"slot":"skill9","size":104}}"#,
      "crop slot \"skill9\""
    ),
    (
      #"{"name":"x","frame":{"width":1920,"height":1080},"skills":{"skill2":{"cx":1032,"cy":499,"r":42}},"attack":{"cx":1144,"cy":586,"r":62},"crop":{"slot":"skill2","size":104}}"#,
      "must describe that size"
    ),
    ("{not json", "not valid JSON"),
  ])
  func badLayoutFilesGiveClearErrors(text: String, why: String) throws {
    let path = try writeTemporary(text, name: "layout.json")
    do {
      _ = try Layouts.load(path: path)
      Issue.record("accepted")
    } catch let e as LayoutError {
      #expect(e.description.hasPrefix(path + ": "))
      #expect(e.description.contains(why), "\(e)")
    }
  }

  @Test func missingLayoutFileIsNamed() {
    do {
      _ = try Layouts.load(path: "/nonexistent/layout.json")
      Issue.record("accepted")
    } catch {
      #expect("\(error)".hasPrefix("/nonexistent/layout.json: cannot load layout"))
    }
  }
}
