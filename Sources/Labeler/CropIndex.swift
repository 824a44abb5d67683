import Foundation
import HeroCore

/// One row of `DIR/index.csv`: `file,video,pts_seconds,screen,hero`.
///
/// `file` is the crop's path relative to `DIR` (`<hero>/<hero>_<NNNNNN>.jpg`, or
/// `<hero>/<hero>_<NNNNNN>-<slot>.jpg` for a crop of another skill slot: ``CropIndex/slot(ofFile:)``), `video` the video
/// path as it was given to `extract`, `pts_seconds` the frame's presentation time in seconds
/// (three decimals), `screen` the screen the frame was sorted into (always `gameplay` for crops
/// written by `extract`), `hero` the label.
public struct IndexRow: Sendable, Equatable {
  public var file: String
  public var video: String
  public var ptsSeconds: Double
  public var screen: Screen
  public var hero: String

  public init(file: String, video: String, ptsSeconds: Double, screen: Screen, hero: String) {
    self.file = file
    self.video = video
    self.ptsSeconds = ptsSeconds
    self.screen = screen
    self.hero = hero
  }

  /// The header line of `index.csv`.
  public static let header = CSV.line(["file", "video", "pts_seconds", "screen", "hero"])

  /// The row as one CSV line (with its line ending).
  public var csvLine: String {
    CSV.line([file, video, IndexRow.format(ptsSeconds), screen.rawValue, hero])
  }

  /// Seconds as written in the index: three decimals.
  public static func format(_ seconds: Double) -> String { String(format: "%.3f", seconds) }
}

/// The file names and the one reader of a crop folder: `DIR/<hero>/<hero>_<NNNNNN>.jpg`,
/// `DIR/index.csv` (``IndexRow``) and `DIR/.extract-keys.csv` (`video_sha1,pts_seconds,file`:
/// what was already extracted, so a re-run adds no duplicate). ``BatchStore`` is the one writer.
public enum CropIndex {
  /// `index.csv` in `root`.
  public static func indexURL(root: URL) -> URL { root.appendingPathComponent("index.csv") }

  /// `.extract-keys.csv` in `root`.
  public static func keysURL(root: URL) -> URL { root.appendingPathComponent(".extract-keys.csv") }

  /// The header line of `.extract-keys.csv`.
  public static let keysHeader = CSV.line(["video_sha1", "pts_seconds", "file"])

  /// `<hero>_<NNNNNN>.jpg` (at least six digits): the crop of the layout's crop slot (skill 2,
  /// the mission's data set); with `slot`, the crop of another skill slot of the same frame,
  /// `<hero>_<NNNNNN>-<slot>.jpg` (e.g. `李白_000011-skill1.jpg`, docs/footage.md).
  public static func fileName(hero: String, number: Int, slot: String? = nil) -> String {
    let digits = String(number)
    return hero + "_" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
      + (slot.map { "-" + $0 } ?? "") + ".jpg"
  }

  /// The slot a crop file name names (``CropFileName/slot(ofFile:)``).
  public static func slot(ofFile path: String) -> String? { CropFileName.slot(ofFile: path) }

  /// One more than the highest `<hero>_<digits>.jpg` (or `<hero>_<digits>-<slot>.jpg`) counter
  /// in `dir` (1 when there is none).
  public static func firstFreeNumber(in dir: URL, hero: String) -> Int {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else {
      return 1
    }
    let prefix = hero + "_"
    var highest = 0
    for name in names where name.hasPrefix(prefix) && name.hasSuffix(".jpg") {
      var digits = name.dropFirst(prefix.count).dropLast(4)
      if let slot = slot(ofFile: name) { digits = digits.dropLast(slot.count + 1) }
      guard digits.count >= 6, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
        let v = Int(digits)
      else { continue }
      highest = max(highest, v)
    }
    return highest + 1
  }

  /// Every row of `DIR/index.csv` (none when there is no index yet). A row that does not parse
  /// is an error naming the line; a torn last line (a writer killed mid-line) is ignored.
  public static func read(root: String) throws -> [IndexRow] {
    let path = indexURL(root: URL(fileURLWithPath: root)).path
    guard FileManager.default.fileExists(atPath: path) else { return [] }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw LabelError.storeFailed(path: path, reason: "cannot read index")
    }
    let whole =
      data.last == UInt8(ascii: "\n")
      ? data : data.lastIndex(of: UInt8(ascii: "\n")).map { data[...$0] } ?? Data()
    return try parse(Data(whole), path: path)
  }

  /// Parses the bytes of an `index.csv` (`path` names it in errors), checking every row as a
  /// file from another machine: the header, five fields, `file` a relative path inside the
  /// folder (``RelativePath``: no `..`, not absolute) of the form `<hero>/<name>.jpg`, `hero` a
  /// valid hero name (``HeroName/validate(_:source:)``) matching that folder, `pts_seconds` a
  /// finite number, and `screen` one of the four screens (the fuzz target `index`).
  public static func parse(_ data: Data, path: String) throws -> [IndexRow] {
    guard let text = String(data: data, encoding: .utf8) else {
      throw LabelError.storeFailed(path: path, reason: "not UTF-8 text")
    }
    let records: [CSV.Record]
    do { records = try CSV.parse(text) } catch {
      throw LabelError.storeFailed(path: path, reason: "line \(error.line): \(error.reason)")
    }
    guard let header = records.first?.fields else { return [] }
    guard header == ["file", "video", "pts_seconds", "screen", "hero"] else {
      throw LabelError.storeFailed(
        path: path, reason: "header is not file,video,pts_seconds,screen,hero")
    }
    return try records.dropFirst().map { r in
      func bad(_ why: String) -> LabelError {
        .storeFailed(path: path, reason: "line \(r.line): \(why)")
      }
      guard r.fields.count == 5 else { throw bad("expected 5 fields, found \(r.fields.count)") }
      guard let t = Double(r.fields[2]), t.isFinite else { throw bad("bad pts_seconds") }
      guard let s = Screen(rawValue: r.fields[3]) else { throw bad("bad screen") }
      let file = r.fields[0]
      if let why = RelativePath.problem(file) { throw bad("file \(why)") }
      let hero: String
      do { hero = try HeroName.validate(r.fields[4], source: "\(path):\(r.line)") } catch {
        throw bad("invalid hero name \(HeroName.quoted(r.fields[4]))")
      }
      let parts = file.split(separator: "/")
      guard parts.count == 2, HeroSpelling.canonical(String(parts[0])) == hero,
        parts[1].hasSuffix(".jpg")
      else { throw bad("file is not <hero>/<name>.jpg for hero \(HeroName.quoted(hero))") }
      return IndexRow(file: file, video: r.fields[1], ptsSeconds: t, screen: s, hero: hero)
    }
  }

  /// The extraction keys of `DIR/.extract-keys.csv` (video content SHA-1 and pts).
  public static func readKeys(root: URL) throws -> Set<String> {
    let url = keysURL(root: root)
    guard FileManager.default.fileExists(atPath: url.path) else { return [] }
    guard let data = FileManager.default.contents(atPath: url.path),
      let text = String(data: data, encoding: .utf8)
    else { throw LabelError.storeFailed(path: url.path, reason: "cannot read") }
    let records: [CSV.Record]
    do { records = try CSV.parse(text) } catch {
      throw LabelError.storeFailed(path: url.path, reason: "line \(error.line): \(error.reason)")
    }
    var out = Set<String>()
    for r in records.dropFirst() where r.fields.count == 3 {
      if let t = Double(r.fields[1]), t.isFinite {
        out.insert(key(videoSHA1: r.fields[0], ptsSeconds: t, slot: slot(ofFile: r.fields[2])))
      }
    }
    return out
  }

  /// For each extracted frame (``key(videoSHA1:ptsSeconds:slot:)`` without a slot), the file of
  /// one of its crops (`<hero>/<name>`): a crop of another slot added later takes the same
  /// number.
  public static func readFrameFiles(root: URL) -> [String: String] {
    let url = keysURL(root: root)
    guard let data = FileManager.default.contents(atPath: url.path),
      let text = String(data: data, encoding: .utf8), let records = try? CSV.parse(text)
    else { return [:] }
    var out: [String: String] = [:]
    for r in records.dropFirst() where r.fields.count == 3 {
      if let t = Double(r.fields[1]), t.isFinite {
        out[key(videoSHA1: r.fields[0], ptsSeconds: t)] = r.fields[2]
      }
    }
    return out
  }

  /// The counter of a crop file `<hero>/<hero>_<NNNNNN>[-<slot>].jpg` of `hero`, or nil.
  public static func number(ofFile file: String, hero: String) -> Int? {
    let parts = file.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, parts[0] == hero else { return nil }
    let name = CropFileName.withoutSlot(String(parts[1]))
    let prefix = hero + "_"
    guard name.hasPrefix(prefix), name.hasSuffix(".jpg") else { return nil }
    let digits = name.dropFirst(prefix.count).dropLast(4)
    guard digits.count >= 6, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
    return Int(digits)
  }

  /// The key of one extracted crop: the video's content SHA-1 and its frame's pts (three
  /// decimals), and for a crop of another slot than the layout's crop slot, the slot.
  public static func key(videoSHA1: String, ptsSeconds: Double, slot: String? = nil) -> String {
    videoSHA1 + "|" + IndexRow.format(ptsSeconds) + (slot.map { "|" + $0 } ?? "")
  }
}
