import Foundation
import HeroCore

/// One line of a batch journal (`OUT/.batch/journal.jsonl`, or `REPORT.journal.jsonl` for
/// `batch identify`). The journal is append-only; the state of a batch is what its records say,
/// read in order:
///
/// - `run`: a run started, with the options that shape its output (`every`, `layout`).
/// - `begin`: a video's crops are about to be moved into the crop folder under the names in
///   `crops`, after `indexBytes` bytes of `index.csv`. Only one commit is open at a time.
/// - `done`: that commit (or an identification, `identify`) finished; the video (keyed by its
///   content `hash`) is never processed again.
/// - `abort`: the open commit was rolled back (its files removed, `index.csv` cut back to
///   `indexBytes`); the video will be processed again.
/// - `failed`: the video could not be processed (`error`); skipped by later runs unless
///   `--retry-failed`.
/// - `duplicate`: the video has the same content as `duplicateOf`, processed once.
/// - `unfinished`: the video could not be processed because of the machine (`error`: a full
///   disk, a read-only file system, permissions; ``MachineFailure``), not because of the video.
///   It settles nothing: the next run processes the video again, without `--retry-failed`.
///   (A binary older than this kind cannot decode the line and skips it, counting it among the
///   "unreadable journal line(s)" it notes, so it retries the video too.)
///
/// `video` is the path relative to the tree root (for plain `extract`, as given, with `source`
/// "extract"); `size` and `mtime` let a restart skip a video it has seen without hashing it
/// again. `indexBytes` and `keysBytes` are the lengths of `index.csv` and `.extract-keys.csv`
/// before a commit, for its roll-back.
public struct BatchRecord: Codable, Sendable, Equatable {
  public enum Kind: String, Codable, Sendable {
    case run, begin, done, abort, failed, duplicate, unfinished
  }

  public var kind: Kind
  public var video: String?
  public var hash: String?
  public var size: Int64?
  public var mtime: Double?
  public var hero: String?
  public var frames: Int?
  public var screens: [String: Int]?
  public var crops: [CropRow]?
  public var indexBytes: Int64?
  public var keysBytes: Int64?
  /// Who committed: nil for the batch commands, "extract" for plain `extract`.
  public var source: String?
  public var error: String?
  public var duplicateOf: String?
  public var seconds: Double?
  public var options: [String: String]?
  public var identify: IdentifyResult?
  /// `batch extract --footage`: the picture and HUD found in the video.
  public var geometry: HUDFound?
  /// `batch extract --check-with`: what the model said of the video's label.
  public var labelCheck: LabelCheck?

  public init(_ kind: Kind, video: String? = nil, hash: String? = nil) {
    self.kind = kind
    self.video = video
    self.hash = hash
  }

  /// True for records that settle a video (no more work for it).
  public var isTerminal: Bool { kind == .done || kind == .failed || kind == .duplicate }
}

/// One crop of a committed video: its file relative to the crop folder, the frame time and
/// the screen it was sorted into.
public struct CropRow: Codable, Sendable, Equatable, Hashable {
  public var file: String
  public var ptsSeconds: Double
  public var screen: String
  public init(file: String, ptsSeconds: Double, screen: String) {
    self.file = file
    self.ptsSeconds = ptsSeconds
    self.screen = screen
  }
}

/// A video's size and modification time, to recognise it on a restart without hashing.
public struct FileStamp: Sendable, Equatable {
  public var size: Int64
  public var mtime: Double

  public init(size: Int64, mtime: Double) {
    self.size = size
    self.mtime = mtime
  }

  /// The stamp of the file at `path`, nil when it cannot be read.
  public init?(path: String) {
    guard let attrs = try? FileManager.default.attributesOfItem(atPath: path),
      let size = (attrs[.size] as? NSNumber)?.int64Value,
      let date = attrs[.modificationDate] as? Date
    else { return nil }
    self.init(size: size, mtime: date.timeIntervalSince1970)
  }
}

extension BatchRecord {
  /// The record when every path and name in it is safe to act on, read from a journal that
  /// may come from another machine (`source` names it in errors): each crop's `file` is a
  /// relative path inside its folder (``RelativePath``), `hero` passes
  /// `HeroName.validate` (as `--hero`), each crop is `<hero>/<name>.jpg` (the record's hero,
  /// when it names one) with a finite `pts`,
  /// and `indexBytes` is not negative. Throws `BatchError.badJournal` otherwise. (`video` is
  /// only a name here: plain `extract` records the path as given, and nothing opens or writes
  /// it from a journal.)
  public func validated(source: String) throws -> BatchRecord {
    func bad(_ why: String) -> BatchError { .badJournal(path: source, reason: why) }
    var r = self
    if let hero, !hero.isEmpty || !(crops ?? []).isEmpty {
      do { r.hero = try HeroName.validate(hero, source: "\(source): hero") } catch {
        throw BatchError.stage("\(error)")
      }
    }
    if let indexBytes, indexBytes < 0 { throw bad("indexBytes \(indexBytes) is negative") }
    for (i, c) in (crops ?? []).enumerated() {
      do { try RelativePath.validate(c.file, field: "crops[\(i)].file", source: source) } catch {
        throw BatchError.stage("\(error)")
      }
      let parts = c.file.split(separator: "/")
      guard parts.count == 2, r.hero.map({ String(parts[0]) == $0 }) ?? true,
        parts[1].hasSuffix(".jpg")
      else {
        throw bad("crops[\(i)].file \"\(c.file)\" is not <hero>/<name>.jpg")
      }
      guard c.ptsSeconds.isFinite else { throw bad("crops[\(i)].ptsSeconds is not finite") }
    }
    return r
  }
}

extension BatchRecord {
  /// A duplicate told of the video that was processed for its content: `duplicateOf`
  /// followed through other duplicates (journals written before duplicates pointed at the
  /// processed video hold chains) to the video that was processed; when that one failed,
  /// `error` says so, naming it and its reason ("a.mp4: duplicate of b.mp4 (which failed:
  /// …)"), so every broken download of the same bytes is listed, not only the first. Other
  /// records come back unchanged. `record` gives the latest record of a video path.
  public func resolvingDuplicate(_ record: (String) -> BatchRecord?) -> BatchRecord {
    guard kind == .duplicate, var target = duplicateOf else { return self }
    var seen: Set<String> = [video ?? ""]
    // Through duplicates, never back to one already passed (a loop in a hand-edited journal).
    while let next = record(target), next.kind == .duplicate, let further = next.duplicateOf,
      !seen.contains(further)
    {
      seen.insert(target)
      target = further
    }
    var r = self
    r.duplicateOf = target
    if let original = record(target), original.kind == .failed || original.kind == .unfinished {
      r.error =
        "\(MessageText.escaped(video ?? "?")): duplicate of \(MessageText.escaped(target)) "
        + "(which failed: \(original.error ?? "failed"))"
    }
    return r
  }
}
