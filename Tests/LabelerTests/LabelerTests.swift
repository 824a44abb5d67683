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

  /// Found by the `csv` fuzz target: a quote followed by a combining mark (U+05AE) is one
  /// grapheme, and a Character-level replacement did not double it, so the written line did not
  /// parse back to its fields.
  @Test func quoteBeforeACombiningMarkRoundTrips() throws {
    let fields = ["a\"\u{05AE}b", "\"\u{0301}", "x,\"\u{05AE}\"\u{05AE}", "/\u{FFFD}"]
    let recs = try CSV.parse(CSV.line(fields))
    #expect(recs.first?.fields == fields)
    // The fuzz input itself (crash-dbfbdf3e…): every record it parses to writes back the same.
    let input = try #require(
      Data(
        base64Encoded:
          "/ywsLCx2acEsCi/p6SwsLCwiIiIiIiIiIiIiIiIiIiLWrtYiIiIiIiIiIiIiIiJQAAAAAADhAD8iIiIiCiIiIg=="
      ))
    for r in try CSV.parse(String(decoding: input, as: UTF8.self)) {
      #expect(try CSV.parse(CSV.line(r.fields)).first?.fields == r.fields)
    }
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
