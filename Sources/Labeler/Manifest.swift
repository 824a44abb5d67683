import Foundation

/// A `video,hero` CSV naming the hero of each video (`extract --manifest CSV`).
///
/// Format: UTF-8 CSV (RFC 4180 quoting), one `video,hero` row per video; an optional header row
/// `video,hero`; blank lines are ignored. An empty hero lists a video without a label (it is
/// reported and skipped, not extracted). A relative `video` path is taken relative to the
/// manifest's own folder. A video is looked up by its full path first and then, if that finds
/// nothing, by its file name when exactly one row has that file name.
public struct Manifest: Sendable, Equatable {
  /// The file the manifest was read from (for messages).
  public let path: String
  /// Standardised absolute video path → hero.
  public private(set) var heroByPath: [String: String] = [:]
  /// File name → heroes of the rows with that file name.
  private var heroesByName: [String: [String]] = [:]

  /// An in-memory manifest from `(video, hero)` pairs; relative paths resolve against `base`.
  public init(path: String, rows: [(video: String, hero: String)], base: String? = nil) {
    self.path = path
    for r in rows { add(video: r.video, hero: r.hero, base: base) }
  }

  private mutating func add(video: String, hero: String, base: String?) {
    let key = Manifest.key(video, base: base)
    heroByPath[key] = hero
    heroesByName[URL(fileURLWithPath: key).lastPathComponent, default: []].append(hero)
  }

  /// Reads and checks a manifest; throws `LabelError.badManifest` naming the file and line.
  public static func load(path: String) throws -> Manifest {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
      let why = FileManager.default.fileExists(atPath: path) ? "cannot read file" : "no such file"
      throw LabelError.badManifest(path: path, line: 0, reason: why)
    }
    return try parse(data, path: path)
  }

  /// Largest manifest read, in bytes.
  public static let maxBytes = 256 << 20

  /// Parses and checks the bytes of a manifest; `path` names it in errors and is the base of
  /// relative video paths (the fuzz target `csv`).
  public static func parse(_ data: Data, path: String) throws -> Manifest {
    guard data.count <= maxBytes else {
      throw LabelError.badManifest(path: path, line: 0, reason: "larger than \(maxBytes) bytes")
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw LabelError.badManifest(path: path, line: 0, reason: "not UTF-8 text")
    }
    let records: [CSV.Record]
    do {
      records = try CSV.parse(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text)
    } catch { throw LabelError.badManifest(path: path, line: error.line, reason: error.reason) }
    let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
    var m = Manifest(path: path, rows: [])
    var seenAt: [String: (line: Int, hero: String)] = [:]
    for (i, r) in records.enumerated() {
      let f = r.fields.map { $0.trimmingCharacters(in: .whitespaces) }
      if i == 0, f.count == 2, f[0].lowercased() == "video", f[1].lowercased() == "hero" {
        continue
      }
      guard f.count == 2 else {
        throw LabelError.badManifest(
          path: path, line: r.line, reason: "expected 2 fields (video,hero), found \(f.count)")
      }
      guard !f[0].isEmpty else {
        throw LabelError.badManifest(path: path, line: r.line, reason: "empty video path")
      }
      var hero = ""
      if !f[1].isEmpty {
        do { hero = try HeroName.validate(f[1], source: "\(path):\(r.line)") } catch let e
          as LabelError
        {
          guard case .invalidHeroName(_, _, let why) = e else { throw e }
          throw LabelError.badManifest(
            path: path, line: r.line, reason: "invalid hero name \(HeroName.quoted(f[1])): \(why)")
        }
      }
      let key = Manifest.key(f[0], base: base)
      if let prev = seenAt[key], prev.hero != hero {
        throw LabelError.badManifest(
          path: path, line: r.line,
          reason: "video \(f[0]) already labelled \(prev.hero) on line \(prev.line)")
      }
      seenAt[key] = (r.line, hero)
      m.add(video: f[0], hero: hero, base: base)
    }
    return m
  }

  /// The hero of `video` (a path as given on the command line), or nil when no row names it;
  /// "" when its row has no hero.
  public func hero(for video: String) -> String? {
    if let h = heroByPath[Manifest.key(video, base: nil)] { return h }
    let name = URL(fileURLWithPath: video).lastPathComponent
    if let hs = heroesByName[name], Set(hs).count == 1 { return hs[0] }
    return nil
  }

  /// Number of rows.
  public var count: Int { heroByPath.count }

  static func key(_ video: String, base: String?) -> String {
    let url: URL
    if video.hasPrefix("/") {
      url = URL(fileURLWithPath: video)
    } else if let base {
      url = URL(fileURLWithPath: base, isDirectory: true).appendingPathComponent(video)
    } else {
      url = URL(fileURLWithPath: video)  // relative to the working directory
    }
    return url.standardizedFileURL.path
  }
}

/// How a video gets its hero label: `--hero`, else the manifest, else its parent folder's name.
public struct LabelSource: Sendable {
  public var hero: String?
  public var manifest: Manifest?

  /// `hero` must already be validated (`HeroName.validate`).
  public init(hero: String? = nil, manifest: Manifest? = nil) {
    self.hero = hero
    self.manifest = manifest
  }

  /// The hero for `video`; throws `LabelError` when there is none or the folder name is invalid.
  public func hero(for video: String) throws -> String {
    if let hero { return hero }
    if let manifest {
      guard let h = manifest.hero(for: video) else {
        throw LabelError.noLabel(video: video, reason: "not listed in manifest \(manifest.path)")
      }
      guard !h.isEmpty else {
        throw LabelError.noLabel(video: video, reason: "manifest \(manifest.path) gives no hero")
      }
      return h
    }
    let parent = URL(fileURLWithPath: video).standardizedFileURL.deletingLastPathComponent()
      .lastPathComponent
    guard !parent.isEmpty, parent != "/" else {
      throw LabelError.noLabel(video: video, reason: "no parent folder; use --hero or --manifest")
    }
    do { return try HeroName.validate(parent, source: video) } catch let e as LabelError {
      guard case .invalidHeroName(_, _, let why) = e else { throw e }
      throw LabelError.noLabel(
        video: video,
        reason: "parent folder \(HeroName.quoted(parent)) is not a valid hero name (\(why)); "
          + "use --hero or --manifest")
    }
  }
}
