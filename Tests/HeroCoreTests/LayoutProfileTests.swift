import Foundation
import HeroCore
import Testing

@Suite struct LayoutProfileTests {
  @Test func defaultCropRectangleIsTheContracts() throws {
    let r = LayoutProfile.default.cropRect
    #expect(r.x == 980 && r.maxX - 1 == 1083)
    #expect(r.y == 447 && r.maxY - 1 == 550)
    try LayoutProfile.default.validate()
  }

  @Test func slotOutsideTheFrameIsRejected() throws {
    var p = LayoutProfile.default
    p.skills["skill3"] = .init(cx: 1270, cy: 433, r: 46)
    #expect(throws: LayoutError.self) { try p.validate(source: "x.json") }
  }

  @Test func missingFieldIsNamed() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let f = dir.appendingPathComponent("bad.json")
    try Data(#"{"name":"x","frame":{"width":1280,"height":720},"skills":{}}"#.utf8).write(to: f)
    do {
      _ = try LayoutProfile.load(path: f.path)
      Issue.record("expected an error")
    } catch let e as LayoutError {
      #expect(e.description.contains("bad.json"))
      #expect(e.description.contains("attack"))
    }
  }

  @Test func roundTripsThroughJSON() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
    let f = dir.appendingPathComponent("layout.json")
    try AtomicFile.write(LayoutProfile.default.jsonData(), to: f)
    #expect(try LayoutProfile.load(path: f.path) == LayoutProfile.default)
  }
}

@Suite struct SHA1Tests {
  @Test func knownDigests() {
    #expect(SHA1.hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
    #expect(SHA1.hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d")
  }
}

@Suite struct JSONStringTests {
  @Test func escapesWhatJSONRequiresAndKeepsChineseAsIs() throws {
    let s = "李白 \"q\" \\ \n\t\u{01}"
    let quoted = JSONString.quote(s)
    #expect(quoted == #""李白 \"q\" \\ \n\t\u0001""#)
    let back =
      try JSONSerialization.jsonObject(
        with: Data(quoted.utf8), options: .fragmentsAllowed) as? String
    #expect(back == s)
  }
}
