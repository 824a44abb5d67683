import Foundation
import HeroCore
import Testing

/// Crafted layouts, journal paths and video trees (issue 14): one-line errors, never a trap.
@Suite("Hostile layouts, paths and trees")
struct HostileInputTests {
  func layoutJSON(_ edit: (inout [String: Any]) -> Void) throws -> Data {
    var object = try #require(
      try JSONSerialization.jsonObject(with: LayoutProfile.default.jsonData()) as? [String: Any])
    edit(&object)
    return try JSONSerialization.data(withJSONObject: object)
  }

  func problem(_ edit: (inout [String: Any]) -> Void) throws -> String? {
    do {
      let p = try LayoutProfile.decode(try layoutJSON(edit), source: "l.json")
      return p.usabilityProblem(source: "l.json")?.description
    } catch let e as LayoutError {
      return e.description
    }
  }

  func slot(_ cx: Int, _ cy: Int, _ r: Int) -> [String: Int] { ["cx": cx, "cy": cy, "r": r] }

  @Test("cx 9223372036854775807 and other extreme numbers are errors, not overflow traps")
  func extremeNumbers() throws {
    let big = Int.max
    let cases: [(inout [String: Any]) -> Void] = [
      { $0["attack"] = slot(big, 586, 62) },
      { $0["attack"] = slot(1144, big, 62) },
      { $0["attack"] = slot(1144, 586, big) },
      { $0["attack"] = slot(-big, -big, big) },
      { $0["attack"] = slot(Int.min, 586, 62) },
      { $0["attack"] = slot(1144, 586, Int.min) },
      { $0["skills"] = ["skill2": slot(big, 499, 42)] },
      { $0["skills"] = ["skill2": slot(10_000_000_000, 499, 42)] },
      { $0["crop"] = ["slot": "skill2", "size": big] },
      { $0["crop"] = ["slot": "skill2", "size": Int.min] },
      { $0["frame"] = ["width": big, "height": big] },
      { $0["frame"] = ["width": Int.min, "height": 720] },
    ]
    for edit in cases {
      let text = try #require(try problem(edit))
      #expect(text.hasPrefix("l.json: invalid layout ("))
      #expect(!text.contains("\n"))
    }
  }

  @Test("a 1920x1080 layout is valid but not usable by extract, identify or train")
  func canonicalFrame() throws {
    let text = try #require(
      try problem {
        $0["frame"] = ["width": 1920, "height": 1080]
      })
    #expect(text.contains("frame is 1920x1080"))
    #expect(LayoutProfile.default.usabilityProblem() == nil)
  }

  @Test("the crop rectangle of an unvalidated profile never overflows")
  func cropRectClamps() {
    var p = LayoutProfile.default
    p.skills["skill2"] = .init(cx: Int.max, cy: Int.min, r: 1)
    p.crop.size = Int.max
    let r = p.cropRect
    #expect(r.maxX > 0 && r.maxY < Int.max)
    #expect(throws: LayoutError.self) { try p.validate() }
  }

  @Test("too many skills, an overlong name and a huge file are refused")
  func sizes() throws {
    #expect(
      try problem { o in
        o["skills"] = Dictionary(
          uniqueKeysWithValues: (0..<17).map { ("s\($0)", slot(100, 100, 10)) })
      }?.contains("17 skills") == true)
    #expect(
      try problem { $0["name"] = String(repeating: "x", count: 300) }?.contains("name") == true)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let big = dir.appendingPathComponent("big.json")
    try Data(count: LayoutProfile.maxFileBytes + 1).write(to: big)
    #expect(throws: LayoutError.self) { try LayoutProfile.load(path: big.path) }
  }

  @Test("random bytes never crash the layout reader")
  func randomBytes() {
    var rng = SplitMix64(seed: 14)
    for _ in 0..<500 {
      let n = Int(rng.next() % 300)
      let bytes = Data((0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
      #expect(throws: LayoutError.self) { try LayoutProfile.decode(bytes, source: "r.json") }
    }
  }

  // MARK: Relative paths from journals and shard folders

  @Test("paths that leave their folder are refused with the file and the field")
  func relativePaths() {
    for bad in [
      "../secret.txt", "../../x", "a/../../b", "/etc/passwd", "", ".", "a/./b", "a//b", "a/",
      "a\u{0}b", "a\nb", "a\\..\\b", String(repeating: "x", count: 300),
    ] {
      #expect(RelativePath.problem(bad) != nil, "\(bad)")
      do {
        try RelativePath.validate(bad, field: "crops[0].file", source: "shard/journal.jsonl")
        Issue.record("accepted \(bad)")
      } catch {
        let text = "\(error)"
        #expect(text.hasPrefix("shard/journal.jsonl: crops[0].file "))
        #expect(!text.contains("\n"))
      }
    }
    for good in ["李白/李白_000001.jpg", "a", "a b/c.d", "..a/b", "a..b"] {
      #expect(RelativePath.problem(good) == nil, "\(good)")
    }
  }

  @Test("a path through a symbolic link is refused when resolved")
  func symlinkComponent() throws {
    let fm = FileManager.default
    let root = fm.temporaryDirectory.appendingPathComponent("rel-\(UUID().uuidString)")
    defer { try? fm.removeItem(at: root) }
    try fm.createDirectory(
      at: root.appendingPathComponent("real"), withIntermediateDirectories: true)
    try fm.createSymbolicLink(
      atPath: root.appendingPathComponent("out").path, withDestinationPath: "/tmp")
    let ok = try RelativePath.resolve("real/x.jpg", under: root, field: "file", source: "j")
    #expect(ok.path == root.appendingPathComponent("real/x.jpg").path)
    #expect(throws: RelativePathError.self) {
      try RelativePath.resolve("out/x.jpg", under: root, field: "file", source: "j")
    }
  }

  // MARK: Journals

  struct Record: Codable {
    var kind: String
    var hero: String?
    var crops: [String]?
  }

  @Test("a journal of garbage decodes to no records and counts the lines")
  func journalGarbage() {
    let data = Data(
      "{\"kind\":\"done\"}\n\u{0}\u{1}\u{2}\n{\"kind\":5}\n[[[[[[\n{\"kind\":\"x\"".utf8)
    let contents = Journal.decode(Record.self, from: data)
    #expect(contents.records.count == 1)
    #expect(contents.skippedLines == 3)
    #expect(contents.tornTail)
    let deep = Data((String(repeating: "[", count: 100_000) + "\n").utf8)
    #expect(Journal.decode(Record.self, from: deep).skippedLines == 1)
  }

  // MARK: Video trees

  @Test("a symbolic-link loop in a video tree ends, and each folder is walked once")
  func symlinkLoop() throws {
    let fm = FileManager.default
    let root = fm.temporaryDirectory.appendingPathComponent("loop-\(UUID().uuidString)")
    defer { try? fm.removeItem(at: root) }
    let hero = root.appendingPathComponent("李白")
    try fm.createDirectory(at: hero, withIntermediateDirectories: true)
    try Data("x".utf8).write(to: hero.appendingPathComponent("a.mp4"))
    // A loop back to the root, a link to the parent, and a second name for the hero folder.
    try fm.createSymbolicLink(
      atPath: hero.appendingPathComponent("back").path, withDestinationPath: "..")
    try fm.createSymbolicLink(
      atPath: hero.appendingPathComponent("self").path, withDestinationPath: ".")
    try fm.createSymbolicLink(
      atPath: root.appendingPathComponent("again").path, withDestinationPath: "李白")
    let found = try VideoTree.videos(under: root.path)
    #expect(found.count == 1)
    #expect(found.first?.label == "again" || found.first?.label == "李白")
  }
}
