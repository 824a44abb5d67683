import Foundation
import HeroCore
import Labeler
import Testing

/// Crafted `index.csv` files and manifests (issue 14): refused with the file and line, never
/// trusted as paths.
@Suite("Hostile indexes and manifests")
struct HostileIndexTests {
  func indexError(_ body: String) -> String? {
    do {
      _ = try CropIndex.parse(Data((IndexRow.header + body).utf8), path: "x/index.csv")
      return nil
    } catch { return "\(error)" }
  }

  @Test("rows naming files outside the folder, bad heroes or bad numbers are refused")
  func badRows() {
    let cases: [(String, String)] = [
      ("../secret.txt,v,1.000,gameplay,A\n", "file has a \"..\" component"),
      ("/etc/passwd,v,1.000,gameplay,A\n", "file is absolute"),
      ("A/../../x.jpg,v,1.000,gameplay,A\n", "file has a \"..\""),
      ("../../x/x_000001.jpg,v,1.000,gameplay,../../x\n", "file has"),
      ("B/B_000001.jpg,v,1.000,gameplay,A\n", "not <hero>/<name>.jpg"),
      ("A/A_000001.txt,v,1.000,gameplay,A\n", "not <hero>/<name>.jpg"),
      ("A/A_000001.jpg,v,nan,gameplay,A\n", "bad pts_seconds"),
      ("A/A_000001.jpg,v,inf,gameplay,A\n", "bad pts_seconds"),
      ("A/A_000001.jpg,v,1e400,gameplay,A\n", "bad pts_seconds"),
      ("A/A_000001.jpg,v,1.000,lobby,A\n", "bad screen"),
      (".A/x.jpg,v,1.000,gameplay,.A\n", "invalid hero name"),
      ("A/A_000001.jpg,v,1.000,gameplay\n", "expected 5 fields"),
    ]
    for (row, words) in cases {
      let text = indexError(row)
      #expect(text?.contains(words) == true, "\(row) → \(text ?? "accepted")")
      #expect(text?.hasPrefix("x/index.csv: line 2") == true)
    }
    #expect(indexError("李白/李白_000001.jpg,\"a,b.mp4\",1.500,gameplay,李白\n") == nil)
    #expect(
      (try? CropIndex.parse(Data("a,b\n".utf8), path: "i.csv")) == nil, "header checked")
    #expect(throws: LabelError.self) {
      try CropIndex.parse(Data([0xFF, 0xFE, 0x00]), path: "i.csv")
    }
  }

  @Test("a manifest row with a hero that would leave the folder is refused")
  func manifestHero() {
    for hero in ["../../x", "a/b", ".hidden", "x\u{0}"] {
      let text = CSV.line(["v.mp4", hero])
      do {
        _ = try Manifest.parse(Data(text.utf8), path: "m.csv")
        Issue.record("accepted \(hero)")
      } catch {
        #expect("\(error)".hasPrefix("m.csv:1: bad manifest row (invalid hero name"))
      }
    }
  }

  @Test("random bytes never crash the CSV, manifest or index readers")
  func randomBytes() {
    var rng = SplitMix64(seed: 14)
    let alphabet = Array("a,\"\n\r/.\u{0}李 1e".unicodeScalars)
    for _ in 0..<2000 {
      let n = Int(rng.next() % 60)
      var s = ""
      for _ in 0..<n { s.unicodeScalars.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
      _ = try? CSV.parse(s)
      _ = try? Manifest.parse(Data(s.utf8), path: "m.csv")
      _ = try? CropIndex.parse(Data((IndexRow.header + s).utf8), path: "i.csv")
    }
  }
}
