import Foundation
import HeroCore
import Labeler
import Testing

func temporaryFolder() throws -> URL {
  let dir = FileManager.default.temporaryDirectory
    .appendingPathComponent("labeler-tests-\(UUID().uuidString)", isDirectory: true)
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  return dir
}

@Suite struct HeroNameTests {
  @Test func unicodeNamesAreAccepted() throws {
    #expect(try HeroName.validate("李白") == "李白")
    #expect(try HeroName.validate("Sun Wukong") == "Sun Wukong")
    // NFD input comes back in NFC.
    #expect(try HeroName.validate("Cafe\u{301}") == "Caf\u{E9}")
  }

  @Test(arguments: [
    "", ".", "..", "a/b", "a\u{0}b", ".hidden", " padded", "line\nbreak",
    String(repeating: "长", count: 100),
  ])
  func unusableNamesAreRejectedClearly(name: String) {
    do {
      _ = try HeroName.validate(name, source: "--hero")
      Issue.record("accepted \(name.debugDescription)")
    } catch let e as LabelError {
      #expect(e.description.hasPrefix("--hero: invalid hero name"))
    } catch {
      Issue.record("unexpected \(error)")
    }
  }
}

@Suite struct CSVTests {
  @Test func quotingRoundTrips() throws {
    let fields = ["plain", "with,comma", "with \"quote\"", "multi\nline", "李白", ""]
    let text = CSV.line(fields) + CSV.line(["a", "b"])
    let recs = try CSV.parse(text)
    #expect(recs.count == 2)
    #expect(recs[0].fields == fields)
    #expect(recs[1].fields == ["a", "b"])
    #expect(recs[1].line == 3)
  }

  @Test func unterminatedQuoteIsAnError() {
    #expect(throws: CSV.ParseError.self) { try CSV.parse("a,\"b\nc,d\n") }
  }
}

@Suite struct ManifestTests {
  @Test func rowsResolveRelativeToTheManifest() throws {
    let dir = try temporaryFolder()
    let f = dir.appendingPathComponent("m.csv")
    try Data("video,hero\nclips/a.mp4,李白\n\"clips/b,2.mp4\",貂蝉\n".utf8).write(to: f)
    let m = try Manifest.load(path: f.path)
    #expect(m.count == 2)
    #expect(m.hero(for: dir.appendingPathComponent("clips/a.mp4").path) == "李白")
    #expect(m.hero(for: dir.appendingPathComponent("clips/b,2.mp4").path) == "貂蝉")
    // Found by file name when given from elsewhere.
    #expect(m.hero(for: "/elsewhere/a.mp4") == "李白")
    #expect(m.hero(for: "/elsewhere/zzz.mp4") == nil)
  }

  @Test(arguments: [
    ("video,hero\na.mp4\n", 2, "expected 2 fields"),
    ("a.mp4,Li Bai\nb.mp4,../x\n", 2, "invalid hero name"),
    ("a.mp4,A\na.mp4,B\n", 2, "already labelled"),
    ("a.mp4,A\n,B\n", 2, "empty video"),
    ("a.mp4,\"A\n", 1, "unterminated"),
  ])
  func badManifestNamesFileAndLine(text: String, line: Int, why: String) throws {
    let dir = try temporaryFolder()
    let f = dir.appendingPathComponent("bad.csv")
    try Data(text.utf8).write(to: f)
    do {
      _ = try Manifest.load(path: f.path)
      Issue.record("accepted")
    } catch let e as LabelError {
      #expect(e.description.hasPrefix("\(f.path):\(line): bad manifest row"))
      #expect(e.description.contains(why))
    }
  }

  @Test func missingManifestIsNamed() {
    #expect(
      throws: LabelError.badManifest(path: "/nonexistent/m.csv", line: 0, reason: "no such file")
    ) {
      try Manifest.load(path: "/nonexistent/m.csv")
    }
  }
}

@Suite struct LabelSourceTests {
  @Test func heroThenManifestThenParentFolder() throws {
    let m = Manifest(path: "m.csv", rows: [("/v/x.mp4", "貂蝉")])
    #expect(try LabelSource(hero: "李白", manifest: m).hero(for: "/v/x.mp4") == "李白")
    #expect(try LabelSource(manifest: m).hero(for: "/v/x.mp4") == "貂蝉")
    #expect(throws: LabelError.self) { try LabelSource(manifest: m).hero(for: "/v/y.mp4") }
    #expect(try LabelSource().hero(for: "/videos/孙悟空/clip.mp4") == "孙悟空")
    #expect(throws: LabelError.self) { try LabelSource().hero(for: "/videos/.cache/clip.mp4") }
  }
}

@Suite struct CropStoreTests {
  @Test func chineseLabelsRoundTripThroughFilesAndIndex() async throws {
    let dir = try temporaryFolder()
    let store = try CropStore(root: dir.path)
    let jpeg = Data([0xFF, 0xD8, 0xFF, 0xD9])
    let p1 = try await store.add(
      jpeg: jpeg, hero: "李白", video: "videos/李白,1.mp4", videoKey: "k1", ptsSeconds: 2)
    let p2 = try await store.add(
      jpeg: jpeg, hero: "李白", video: "videos/李白,1.mp4", videoKey: "k1", ptsSeconds: 4.5)
    #expect(p1 == dir.path + "/李白/李白_000001.jpg")
    #expect(p2 == dir.path + "/李白/李白_000002.jpg")
    #expect(FileManager.default.contents(atPath: p2 ?? "") == jpeg)
    let rows = try CropStore.readIndex(root: dir.path)
    #expect(rows.count == 2)
    #expect(
      rows[0]
        == IndexRow(
          file: "李白/李白_000001.jpg", video: "videos/李白,1.mp4",
          ptsSeconds: 2, screen: .gameplay, hero: "李白"))
    #expect(rows[1].ptsSeconds == 4.5)
    let text = try String(contentsOfFile: store.indexPath, encoding: .utf8)
    #expect(text.hasPrefix("file,video,pts_seconds,screen,hero\n"))
    #expect(text.contains("\"videos/李白,1.mp4\""))
  }

  @Test func countersContinueAfterExistingFiles() async throws {
    let dir = try temporaryFolder()
    let hero = dir.appendingPathComponent("貂蝉")
    try FileManager.default.createDirectory(at: hero, withIntermediateDirectories: true)
    for name in ["貂蝉_000007.jpg", "貂蝉_000003.jpg", "貂蝉_notanumber.jpg", "other_000099.jpg"] {
      try Data([1]).write(to: hero.appendingPathComponent(name))
    }
    let store = try CropStore(root: dir.path)
    let p = try await store.add(
      jpeg: Data([2]), hero: "貂蝉", video: "v", videoKey: "k",
      ptsSeconds: 1)
    #expect(p?.hasSuffix("/貂蝉/貂蝉_000008.jpg") == true)
    // A file another writer took meanwhile is skipped, never overwritten.
    try Data([9]).write(to: hero.appendingPathComponent("貂蝉_000009.jpg"))
    let q = try await store.add(
      jpeg: Data([3]), hero: "貂蝉", video: "v", videoKey: "k",
      ptsSeconds: 2)
    #expect(q?.hasSuffix("/貂蝉/貂蝉_000010.jpg") == true)
    #expect(
      FileManager.default.contents(atPath: hero.appendingPathComponent("貂蝉_000009.jpg").path)
        == Data([9]))
  }

  @Test func reopeningSkipsFramesAlreadyStored() async throws {
    let dir = try temporaryFolder()
    do {
      let store = try CropStore(root: dir.path)
      _ = try await store.add(
        jpeg: Data([1]), hero: "A", video: "a.mp4", videoKey: "h", ptsSeconds: 1)
    }
    let again = try CropStore(root: dir.path)
    #expect(await again.contains(videoKey: "h", ptsSeconds: 1))
    let dup = try await again.add(
      jpeg: Data([1]), hero: "A", video: "moved.mp4", videoKey: "h",
      ptsSeconds: 1)
    #expect(dup == nil)
    #expect(try CropStore.readIndex(root: dir.path).count == 1)
  }

  @Test func aHalfWrittenIndexLineIsDroppedOnOpen() async throws {
    let dir = try temporaryFolder()
    try Data((IndexRow.header + "A/A_000001.jpg,v,1.000,gameplay,A\nA/A_0000").utf8)
      .write(to: dir.appendingPathComponent("index.csv"))
    let store = try CropStore(root: dir.path)
    _ = try await store.add(jpeg: Data([1]), hero: "A", video: "v", videoKey: "h", ptsSeconds: 2)
    let rows = try CropStore.readIndex(root: dir.path)
    #expect(rows.map(\.ptsSeconds) == [1, 2])
  }

  @Test func concurrentWritersGetDistinctNumbers() async throws {
    let dir = try temporaryFolder()
    let store = try CropStore(root: dir.path)
    let paths = await withTaskGroup(of: String?.self) { g in
      for i in 0..<40 {
        g.addTask {
          try? await store.add(
            jpeg: Data([UInt8(i)]), hero: "李白", video: "v\(i % 4)",
            videoKey: "k\(i % 4)", ptsSeconds: Double(i))
        }
      }
      var out: [String] = []
      for await p in g { if let p { out.append(p) } }
      return out
    }
    #expect(paths.count == 40 && Set(paths).count == 40)
    #expect(try CropStore.readIndex(root: dir.path).count == 40)
  }
}
