import Foundation
import HeroCore
import Labeler

/// One clip's identification as a report shows it, read from `identify --json` (the contract's
/// line, with its timeline), from `batch identify --json` or from `batch identify`'s CSV report
/// (no timeline in either batch form).
public struct ClipResult: Sendable, Equatable {
  /// A candidate hero with its clip probability.
  public struct Candidate: Sendable, Equatable {
    public var hero: String
    public var p: Double
  }

  /// One key frame: time, screen, and for gameplay frames the top hero and its probability.
  public struct Frame: Sendable, Equatable {
    public var t: Double
    public var screen: String
    public var hero: String?
    public var p: Double?

    public init(t: Double, screen: String, hero: String?, p: Double?) {
      self.t = t
      self.screen = screen
      self.hero = hero
      self.p = p
    }
  }

  /// A named value of the HUD geometry found in the clip (`hud` in the line: the picture box,
  /// scale and button centres once per-video HUD detection reports them), flattened to dotted
  /// names.
  public struct Field: Sendable, Equatable {
    public var name: String
    public var value: String
  }

  /// A stretch of one hero (`identify`'s `segments`): times, hero (nil: unknown), and, from
  /// JSON lines, confidence and gameplay frames.
  public struct Segment: Sendable, Equatable {
    public var start: Double
    public var end: Double
    public var hero: String?
    public var confidence: Double?
    public var frames: Int?
  }

  public var video: String
  public var hero: String?
  public var confidence: Double?
  public var reason: String?
  public var error: String?
  /// `batch identify`'s status (`ok`, `unknown`, `duplicate`, `failed`), when read from one.
  public var status: String?
  public var frames: Int?
  public var gameplayFrames: Int?
  public var top: [Candidate] = []
  /// The key frames; nil when the input keeps none (batch reports).
  public var timeline: [Frame]?
  /// The HUD geometry; empty when the input has none.
  public var hud: [Field] = []
  /// Where the hero changes (empty when the input has none; a batch CSV lists them only for
  /// more than one).
  public var segments: [Segment] = []

  public init(video: String) { self.video = video }

  /// The clip from one JSON object of `identify --json` or `batch identify --json`; nil for
  /// objects that describe no clip (a batch's `summary` line).
  public init?(json object: [String: Any]) {
    guard let video = object["video"] as? String else { return nil }
    self.video = video
    hero = object["hero"] as? String
    confidence = Self.number(object["confidence"])
    reason = object["reason"] as? String
    error = object["error"] as? String
    status = object["status"] as? String
    frames = Self.number(object["frames"]).map { Int($0) }
    gameplayFrames = Self.number(object["gameplay_frames"]).map { Int($0) }
    top = (object["top"] as? [[String: Any]] ?? []).compactMap { c in
      guard let hero = c["hero"] as? String, let p = Self.number(c["p"]) else { return nil }
      return Candidate(hero: hero, p: p)
    }
    if let entries = object["timeline"] as? [[String: Any]] {
      timeline = entries.compactMap { e in
        guard let t = Self.number(e["t"]), let screen = e["screen"] as? String else { return nil }
        return Frame(t: t, screen: screen, hero: e["hero"] as? String, p: Self.number(e["p"]))
      }
    }
    // `identify --json` and `serve` write the picture and HUD found as `"geometry"` (its
    // `"hud"` inside); `"hud"` at the top is the older form.
    if let hud = object["geometry"] ?? object["hud"] { self.hud = Self.flatten(hud, prefix: "") }
    segments = (object["segments"] as? [[String: Any]] ?? []).compactMap { g in
      guard let start = Self.number(g["start"]), let end = Self.number(g["end"]) else { return nil }
      return Segment(
        start: start, end: end, hero: g["hero"] as? String,
        confidence: Self.number(g["confidence"]),
        frames: Self.number(g["frames"]).map { Int($0) })
    }
  }

  /// The segments of a batch CSV's `segments` column: `HERO START-END` parts joined by "; "
  /// ("unknown" for no hero); parts that do not parse are skipped.
  static func segments(column text: String) -> [Segment] {
    text.components(separatedBy: "; ").compactMap { part in
      guard let space = part.lastIndex(of: " ") else { return nil }
      let span = part[part.index(after: space)...].split(separator: "-", maxSplits: 1)
      guard span.count == 2, let start = Double(span[0]), let end = Double(span[1]) else {
        return nil
      }
      let hero = String(part[..<space])
      return Segment(start: start, end: end, hero: hero == "unknown" ? nil : hero)
    }
  }

  static func number(_ any: Any?) -> Double? {
    (any as? NSNumber)?.doubleValue
  }

  /// Nested objects and arrays as `a.b[2]` = value rows, in key order.
  static func flatten(_ any: Any, prefix: String) -> [Field] {
    if let object = any as? [String: Any] {
      return object.keys.sorted().flatMap { key in
        flatten(object[key] ?? NSNull(), prefix: prefix.isEmpty ? key : prefix + "." + key)
      }
    }
    if let array = any as? [Any] {
      return array.enumerated().flatMap { i, v in flatten(v, prefix: prefix + "[\(i)]") }
    }
    let value: String
    if let b = any as? Bool, type(of: any) == Bool.self {
      value = b ? "true" : "false"
    } else if let n = number(any) {
      value = n == n.rounded() && abs(n) < 1e12 ? String(Int(n)) : String(format: "%.4g", n)
    } else if let s = any as? String {
      value = s
    } else {
      value = "null"
    }
    return [Field(name: prefix.isEmpty ? "value" : prefix, value: value)]
  }
}

/// Reading identification results from files.
public enum IdentifyResults {
  /// The clips in `text`: JSON lines (`identify --json`, `batch identify --json`) or the CSV of
  /// `batch identify --report` (header `video,status,hero,confidence,…`). `path` names the file
  /// in errors.
  public static func parse(_ text: String, path: String) throws(ReportError) -> [ClipResult] {
    let trimmed = text.drop { $0.isWhitespace }
    if trimmed.first == "{" { return try parseJSONLines(text, path: path) }
    return try parseCSV(text, path: path)
  }

  /// Reads and parses the file at `path`.
  public static func load(path: String) throws(ReportError) -> [ClipResult] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw .cannotRead(path: path)
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw .invalid(path: path, reason: "not UTF-8 text")
    }
    return try parse(text, path: path)
  }

  static func parseJSONLines(_ text: String, path: String) throws(ReportError) -> [ClipResult] {
    var clips: [ClipResult] = []
    for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let s = line.trimmingCharacters(in: .whitespaces)
      if s.isEmpty { continue }
      guard let object = try? JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any]
      else { throw .invalid(path: path, reason: "line \(n + 1) is not a JSON object") }
      if let clip = ClipResult(json: object) { clips.append(clip) }
    }
    return clips
  }

  static func parseCSV(_ text: String, path: String) throws(ReportError) -> [ClipResult] {
    let records: [CSV.Record]
    do { records = try CSV.parse(text) } catch {
      throw .invalid(path: path, reason: "CSV line \(error.line): \(error.reason)")
    }
    guard let header = records.first?.fields, let videoColumn = header.firstIndex(of: "video"),
      header.contains("hero"), header.contains("status")
    else {
      throw .invalid(
        path: path,
        reason: "neither identify --json lines nor a batch identify CSV (video,status,hero,…)")
    }
    func column(_ name: String, _ f: [String]) -> String? {
      guard let i = header.firstIndex(of: name), i < f.count, !f[i].isEmpty else { return nil }
      return f[i]
    }
    return records.dropFirst().compactMap { record in
      let f = record.fields
      guard videoColumn < f.count, !f[videoColumn].isEmpty else { return nil }
      var clip = ClipResult(video: f[videoColumn])
      clip.hero = column("hero", f)
      clip.status = column("status", f)
      clip.confidence = column("confidence", f).flatMap(Double.init)
      clip.frames = column("frames", f).flatMap { Int($0) }
      clip.gameplayFrames = column("gameplay_frames", f).flatMap { Int($0) }
      clip.reason = column("reason", f)
      clip.error = column("error", f)
      clip.segments = column("segments", f).map(ClipResult.segments(column:)) ?? []
      return clip
    }
  }
}

/// Problems of `hero-id report` with its inputs.
public enum ReportError: Error, CustomStringConvertible, Equatable {
  case cannotRead(path: String)
  case invalid(path: String, reason: String)
  case cannotWrite(path: String, reason: String)
  case template(name: String, reason: String)
  /// An error of another layer whose message already names its file.
  case input(String)

  public var description: String {
    switch self {
    case .cannotRead(let p): "\(MessageText.escaped(p)): cannot read"
    case .invalid(let p, let r): "\(MessageText.escaped(p)): \(r)"
    case .cannotWrite(let p, let r): "\(MessageText.escaped(p)): cannot write (\(r))"
    case .template(let n, let r): "report template \(n): \(r)"
    case .input(let message): message
    }
  }
}
