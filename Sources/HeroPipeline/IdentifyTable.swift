import Foundation
import HeroCore

/// The table form of `identify`'s results (without `--json`): a header, one row per clip, and
/// under a compilation's row one indented line per segment.
public enum IdentifyTable {
  /// The column names.
  public static let header =
    pad("CLIP", 40) + pad("HERO", 14) + pad("CONF", 7) + pad("PATTERN", 9) + pad("COLOUR", 8)
    + pad("SHAPE", 7) + pad("FAMILIAR", 10)
    + pad("FRAMES", 8)
    + pad("GAMEPLAY", 10) + "NOTE"

  /// The row of `clip`'s answer (and its segment lines, for a compilation).
  public static func row(_ clip: String, _ v: IdentifyResult) -> String {
    let note = v.hero == nil ? (v.reason ?? "") : topNote(v)
    func figure(_ x: Double?) -> String { x.map { String(format: "%.3f", $0) } ?? "-" }
    return pad(MessageText.escaped(clip), 40) + pad(v.hero ?? "unknown", 14)
      + pad(String(format: "%.3f", v.confidence), 7)
      + pad(figure(v.evidence?.pattern), 9)
      + pad(figure(v.evidence?.colour), 8)
      + pad(figure(v.evidence?.shape), 7)
      + pad(figure(v.evidence?.familiarity), 10)
      + pad(String(v.frames), 8)
      + pad(String(v.gameplayFrames), 10) + note + segmentLines(v)
  }

  /// With more than one segment (a compilation), one indented line each under the clip's row.
  public static func segmentLines(_ v: IdentifyResult) -> String {
    guard v.segments.count > 1 else { return "" }
    return v.segments.map { g in
      "\n  " + String(format: "%7.1f–%-7.1fs ", g.start, g.end) + pad(g.hero ?? "unknown", 14)
        + String(format: "%.3f", g.confidence) + "  \(g.frames) gameplay frames"
    }.joined()
  }

  /// The row of a clip that failed (the error itself goes to stderr).
  public static func failedRow(_ clip: String) -> String {
    pad(MessageText.escaped(clip), 40) + "error (see stderr)"
  }

  /// The runners-up of a named hero: `next: <hero> <p>, ...` (empty without any).
  public static func topNote(_ v: IdentifyResult) -> String {
    guard v.top.count > 1 else { return "" }
    return "next: "
      + v.top.dropFirst().map { "\($0.hero) \(String(format: "%.3f", $0.p))" }
      .joined(separator: ", ")
  }

  /// Pads to `width` terminal columns (CJK characters count two), at least one space.
  public static func pad(_ s: String, _ width: Int) -> String {
    let columns = s.unicodeScalars.reduce(0) { $0 + ($1.value >= 0x1100 ? 2 : 1) }
    return s + String(repeating: " ", count: max(1, width - columns))
  }

  /// The `--json` line of a clip that failed: `{"video", "error"}`.
  public static func failedJSON(_ clip: String, _ error: any Error) -> JSONValue {
    .object(["video": .string(clip), "error": .string("\(error)")])
  }
}
