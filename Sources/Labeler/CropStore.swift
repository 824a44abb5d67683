import Foundation
import HeroCore

/// One row of `DIR/index.csv`: `file,video,pts_seconds,screen,hero`.
///
/// `file` is the crop's path relative to `DIR` (`<hero>/<hero>_<NNNNNN>.jpg`), `video` the video
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

/// The labelled crop folder: `DIR/<hero>/<hero>_<NNNNNN>.jpg` plus `DIR/index.csv`.
///
/// - Counters continue after the files already there: each hero's folder is scanned once, then
///   numbers count up; a crop is created with `AtomicFile.create` (link, never overwrite), so a
///   name taken meanwhile (another process) just moves on to the next number.
/// - `index.csv` gets one row per crop, appended as one whole line and flushed to disk
///   (`fsync`) before `add` returns; a line cut short by a crash is dropped when the store is
///   next opened.
/// - Idempotence: `DIR/.extract-keys.csv` (`video_sha1,pts_seconds,file`) records the content
///   hash of the video and the pts of every crop; `add` skips a frame whose key is present, so
///   re-running `extract` on a video already extracted (even moved or renamed) adds nothing.
/// - One writer per folder: the store holds the folder's ``FolderLock`` while it lives, so a
///   second process opening the same folder fails at once with "another hero-id run is
///   writing to this folder" instead of extracting the same frames again.
/// - `kill -9` at any point leaves no duplicate: before a crop is created, a pending line
///   (`DIR/.extract-pending.jsonl`: the crop's file, the SHA-1 of its bytes, its index row and
///   its key) is appended and flushed. Opening the store rolls every pending crop forward: a
///   crop that exists with those bytes gets the index row and key it lacks; one that does not
///   exist is forgotten, with its temporary file. Then the pending file is emptied.
/// - An actor: safe for many tasks of one process writing at once.
public actor CropStore {
  /// The folder as given (crop paths returned by `add` start with it).
  public nonisolated let root: String
  private let rootURL: URL
  private var nextNumber: [String: Int] = [:]
  private var keys: Set<String> = []
  private let lock: FolderLock
  private let pending: Journal

  public nonisolated var indexPath: String { rootURL.appendingPathComponent("index.csv").path }
  nonisolated var keysPath: String { rootURL.appendingPathComponent(".extract-keys.csv").path }
  static let pendingName = ".extract-pending.jsonl"

  /// A crop about to be created (a line of `.extract-pending.jsonl`).
  struct Pending: Codable {
    /// The crop's path relative to the folder.
    var file: String
    /// SHA-1 of the crop's bytes.
    var sha1: String
    /// Its `index.csv` line and `.extract-keys.csv` line.
    var index: String
    var key: String
  }

  /// Opens (creating if needed) the crop folder `root`.
  public init(root: String) throws {
    self.root = root
    rootURL = URL(fileURLWithPath: root, isDirectory: true)
    do {
      try FileManager.default.createDirectory(at: rootURL, withIntermediateDirectories: true)
    } catch {
      throw LabelError.storeFailed(path: root, reason: "cannot create the crop folder")
    }
    do { lock = try FolderLock.acquire(folder: root) } catch let e as FolderLockError {
      switch e {
      case .busy:
        throw LabelError.storeFailed(
          path: root,
          reason: "another hero-id run is writing to this folder; wait for it to finish")
      case .cannotLock(_, let why):
        throw LabelError.storeFailed(path: root, reason: "cannot lock the folder (\(why))")
      }
    }
    let index = rootURL.appendingPathComponent("index.csv")
    let keysURL = rootURL.appendingPathComponent(".extract-keys.csv")
    try CropStore.ensureFile(index, header: IndexRow.header)
    try CropStore.ensureFile(keysURL, header: CSV.line(["video_sha1", "pts_seconds", "file"]))
    let pendingURL = rootURL.appendingPathComponent(CropStore.pendingName)
    try CropStore.rollForward(pendingURL, root: rootURL, index: index, keys: keysURL)
    do { pending = try Journal(url: pendingURL) } catch {
      throw LabelError.storeFailed(path: pendingURL.path, reason: "cannot open")
    }
    keys = try CropStore.loadKeys(keysURL)
  }

  /// Completes the crops a killed run left pending (see the type's notes), then empties the
  /// pending file.
  private static func rollForward(_ url: URL, root: URL, index: URL, keys: URL) throws {
    guard FileManager.default.fileExists(atPath: url.path) else { return }
    let records: [Pending]
    do { records = try Journal.read(Pending.self, from: url).records } catch {
      throw LabelError.storeFailed(path: url.path, reason: "cannot read")
    }
    if !records.isEmpty {
      let indexed = Set(try readIndex(root: root.path).map(\.file))
      let keyed = try loadKeyFiles(keys)
      for r in records where RelativePath.problem(r.file) == nil {
        let crop = root.appendingPathComponent(r.file)
        let dir = crop.deletingLastPathComponent()
        // A temporary file of AtomicFile.create cut short by the kill.
        let tmpPrefix = "." + crop.lastPathComponent + "."
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        where name.hasPrefix(tmpPrefix) && name.hasSuffix(".tmp") {
          try? FileManager.default.removeItem(at: dir.appendingPathComponent(name))
        }
        guard let bytes = FileManager.default.contents(atPath: crop.path),
          SHA1.hex(bytes) == r.sha1
        else { continue }
        if !indexed.contains(r.file) { try append(r.index, to: index.path) }
        if !keyed.contains(r.file) { try append(r.key, to: keys.path) }
      }
    }
    do { try AtomicFile.write(Data(), to: url) } catch {
      throw LabelError.storeFailed(path: url.path, reason: "cannot empty")
    }
  }

  /// True when a crop of `videoKey` (the video's content SHA-1) at `ptsSeconds` is stored.
  public func contains(videoKey: String, ptsSeconds: Double) -> Bool {
    keys.contains(CropStore.key(videoKey, ptsSeconds))
  }

  /// Stores one crop and its index row; returns the crop's path (starting with `root`), or nil
  /// when this video's frame at `ptsSeconds` is already stored.
  public func add(
    jpeg: Data, hero: String, video: String, videoKey: String, ptsSeconds: Double,
    screen: Screen = .gameplay
  ) throws -> String? {
    let key = CropStore.key(videoKey, ptsSeconds)
    guard !keys.contains(key) else { return nil }
    let hero = try HeroName.validate(hero, source: video)
    let dir = rootURL.appendingPathComponent(hero, isDirectory: true)
    var n = try nextNumber[hero] ?? CropStore.firstFreeNumber(in: dir, hero: hero)
    var name = ""
    var row: IndexRow
    var keyLine = ""
    let sha1 = SHA1.hex(jpeg)
    while true {
      name = CropStore.fileName(hero: hero, number: n)
      n += 1
      let relative = hero + "/" + name
      row = IndexRow(
        file: relative, video: video, ptsSeconds: ptsSeconds, screen: screen, hero: hero)
      keyLine = CSV.line([videoKey, IndexRow.format(ptsSeconds), relative])
      let url = dir.appendingPathComponent(name)
      if FileManager.default.fileExists(atPath: url.path) { continue }
      // Pending first: a kill after the crop exists is rolled forward by the next open.
      do {
        try pending.append(Pending(file: relative, sha1: sha1, index: row.csvLine, key: keyLine))
      } catch {
        throw LabelError.storeFailed(path: pending.url.path, reason: "cannot append")
      }
      let created: Bool
      do { created = try AtomicFile.create(jpeg, at: url) } catch {
        throw LabelError.storeFailed(path: url.path, reason: "cannot write crop")
      }
      if created { break }
    }
    nextNumber[hero] = n
    let relative = row.file
    try CropStore.append(row.csvLine, to: indexPath)
    try CropStore.append(keyLine, to: keysPath)
    keys.insert(key)
    return (root.hasSuffix("/") ? root : root + "/") + relative
  }

  /// `<hero>_<NNNNNN>.jpg` (at least six digits).
  public static func fileName(hero: String, number: Int) -> String {
    let digits = String(number)
    return hero + "_" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits + ".jpg"
  }

  /// One more than the highest `<hero>_<digits>.jpg` counter in `dir` (1 when there is none).
  public static func firstFreeNumber(in dir: URL, hero: String) throws -> Int {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else {
      return 1
    }
    let prefix = hero + "_"
    var highest = 0
    for name in names where name.hasPrefix(prefix) && name.hasSuffix(".jpg") {
      let digits = name.dropFirst(prefix.count).dropLast(4)
      guard digits.count >= 6, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
        let v = Int(digits)
      else { continue }
      highest = max(highest, v)
    }
    return highest + 1
  }

  /// Reads every row of `DIR/index.csv`.
  public static func readIndex(root: String) throws -> [IndexRow] {
    let path = URL(fileURLWithPath: root).appendingPathComponent("index.csv").path
    guard let data = FileManager.default.contents(atPath: path) else {
      throw LabelError.storeFailed(path: path, reason: "cannot read index")
    }
    return try parseIndex(data, path: path)
  }

  /// Parses the bytes of an `index.csv` (`path` names it in errors), checking every row as a
  /// file from another machine: the header, five fields, `file` a relative path inside the
  /// folder (no `..`, not absolute) of the form `<hero>/<name>.jpg`, `hero` a valid hero name
  /// (``HeroName/validate(_:source:)``) matching the folder, `pts_seconds` a finite number, and
  /// `screen` one of the four screens.
  public static func parseIndex(_ data: Data, path: String) throws -> [IndexRow] {
    guard let text = String(data: data, encoding: .utf8) else {
      throw LabelError.storeFailed(path: path, reason: "not UTF-8 text")
    }
    let records: [CSV.Record]
    do { records = try CSV.parse(text) } catch {
      throw LabelError.storeFailed(path: path, reason: "line \(error.line): \(error.reason)")
    }
    guard let first = records.first else { return [] }
    guard first.fields == ["file", "video", "pts_seconds", "screen", "hero"] else {
      throw LabelError.storeFailed(path: path, reason: "line \(first.line): not an index header")
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
      guard parts.count == 2, parts[0].precomposedStringWithCanonicalMapping == hero,
        parts[1].hasSuffix(".jpg")
      else { throw bad("file is not <hero>/<name>.jpg for hero \(HeroName.quoted(hero))") }
      return IndexRow(file: file, video: r.fields[1], ptsSeconds: t, screen: s, hero: hero)
    }
  }

  private static func key(_ videoKey: String, _ pts: Double) -> String {
    videoKey + "|" + IndexRow.format(pts)
  }

  /// Creates `url` holding `header` if absent; drops a trailing partial line if present.
  private static func ensureFile(_ url: URL, header: String) throws {
    let fm = FileManager.default
    do {
      if !fm.fileExists(atPath: url.path) {
        _ = try AtomicFile.create(Data(header.utf8), at: url)
        return
      }
      guard let data = fm.contents(atPath: url.path) else {
        throw LabelError.storeFailed(path: url.path, reason: "cannot read")
      }
      if data.isEmpty {
        try AtomicFile.write(Data(header.utf8), to: url)
      } else if data.last != UInt8(ascii: "\n") {
        let keep = data.lastIndex(of: UInt8(ascii: "\n")).map { data[...$0] } ?? Data(header.utf8)
        try AtomicFile.write(Data(keep), to: url)
      }
    } catch let e as LabelError {
      throw e
    } catch {
      throw LabelError.storeFailed(path: url.path, reason: "cannot create or repair")
    }
  }

  /// The `file` column of `.extract-keys.csv`.
  private static func loadKeyFiles(_ url: URL) throws -> Set<String> {
    guard let data = FileManager.default.contents(atPath: url.path),
      let text = String(data: data, encoding: .utf8)
    else { throw LabelError.storeFailed(path: url.path, reason: "cannot read") }
    let records: [CSV.Record]
    do { records = try CSV.parse(text) } catch {
      throw LabelError.storeFailed(path: url.path, reason: "line \(error.line): \(error.reason)")
    }
    return Set(records.dropFirst().compactMap { $0.fields.count == 3 ? $0.fields[2] : nil })
  }

  private static func loadKeys(_ url: URL) throws -> Set<String> {
    guard let data = FileManager.default.contents(atPath: url.path),
      let text = String(data: data, encoding: .utf8)
    else { throw LabelError.storeFailed(path: url.path, reason: "cannot read") }
    let records: [CSV.Record]
    do { records = try CSV.parse(text) } catch {
      throw LabelError.storeFailed(path: url.path, reason: "line \(error.line): \(error.reason)")
    }
    var out = Set<String>()
    for r in records.dropFirst() where r.fields.count == 3 {
      if let t = Double(r.fields[1]) { out.insert(key(r.fields[0], t)) }
    }
    return out
  }

  /// Appends one whole line with one `write(2)` on an `O_APPEND` descriptor and flushes it to
  /// disk before returning.
  private static func append(_ line: String, to path: String) throws {
    do { try Journal.appendWhole(Data(line.utf8), to: URL(fileURLWithPath: path)) } catch {
      throw LabelError.storeFailed(path: path, reason: "cannot append")
    }
  }
}
