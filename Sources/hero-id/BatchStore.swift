import Foundation
import HeroCore
import Labeler

/// Crops of one video waiting to be committed: JPEG files in a staging folder (or, for
/// `batch merge`, in another crop folder), with the frame time and screen of each.
struct StagedCrop: Sendable {
  var file: URL
  var ptsSeconds: Double
  var screen: String
}

/// What the extraction stage gave for one video.
struct StagedVideo: Sendable {
  var hero: String
  var frames: Int
  var screens: [String: Int]
  var crops: [StagedCrop]
}

/// What the store says about a video before it is processed.
enum Claim: Sendable {
  /// Nobody has it: process it.
  case fresh
  /// Its content was settled under `video` (by an earlier run or this one).
  case settled(BatchRecord)
  /// Another video with the same content is being processed now.
  case inFlight(video: String)
}

/// The state of one batch output and the only writer of its journal, crop folders and
/// `index.csv`. Commits are serialised here, so at most one is open at a time.
///
/// Committing a video's crops (`commitCrops`): append `begin` (the final names and the
/// current length of `index.csv`) to the journal, move each staged JPEG to its final name,
/// append the video's rows to `index.csv` in one write, append `done`. On start, a `begin`
/// with no `done` or `abort` after it (a run killed mid-commit) is rolled back: its files are
/// removed, `index.csv` is cut back to its recorded length, `abort` is journaled; that video is
/// then processed again like any other unfinished one. Staging folders are temporary and are
/// cleared on start.
actor BatchStore {
  /// The crop folder (`batch extract` / `batch merge`), nil for `batch identify`.
  let cropRoot: URL?
  let journalURL: URL
  let stagingRoot: URL?
  private let journal: Journal
  /// One writer per output folder (`batch extract`, `batch merge`).
  private let lock: FolderLock?
  /// Settling records by content hash, and the latest settling record by video path.
  private var byHash: [String: BatchRecord] = [:]
  private var byVideo: [String: BatchRecord] = [:]
  private var inFlight: [String: String] = [:]
  private var counters: [String: Int] = [:]
  /// Notes about the recovery done on open (for the log).
  let recoveryNotes: [String]

  /// Opens (or starts) the batch whose journal is `journalURL`. `options` are the settings that
  /// shape the output; a journal started with other values is refused (mixing them would give
  /// an inconsistent set).
  init(journalURL: URL, cropRoot: URL?, options: [String: String]) throws {
    self.journalURL = journalURL
    lock = try cropRoot.map { try FolderLock.acquire(folder: $0.path) }
    self.cropRoot = cropRoot
    let staging = cropRoot.map { $0.appendingPathComponent(".batch/staging", isDirectory: true) }
    self.stagingRoot = staging
    let contents = try Journal.read(BatchRecord.self, from: journalURL)
    var notes: [String] = []
    if contents.tornTail { notes.append("ignored a torn last line (a run was killed mid-write)") }
    if contents.skippedLines > 0 {
      notes.append("ignored \(contents.skippedLines) unreadable journal line(s)")
    }
    for r in contents.records where r.kind == .run {
      for (key, value) in options where r.options?[key].map({ $0 != value }) ?? false {
        throw BatchError.optionsChanged(
          path: journalURL.path, option: key, was: r.options?[key] ?? "", now: value)
      }
    }
    journal = try Journal(url: journalURL)
    var open: BatchRecord?
    var hashes: [String: BatchRecord] = [:]
    var videos: [String: BatchRecord] = [:]
    for r in contents.records {
      switch r.kind {
      case .begin: open = r
      case .abort where open?.hash == r.hash: open = nil
      case .done, .failed, .duplicate:
        if r.kind == .done, open?.hash == r.hash { open = nil }
        if let h = r.hash, r.kind != .failed || hashes[h] == nil { hashes[h] = r }
        if let v = r.video { videos[v] = r }
      default: break
      }
    }
    byHash = hashes
    byVideo = videos
    if let open, let root = cropRoot {
      // The output journal's file names are checked before anything is removed.
      try Self.rollBack(open.validated(source: journalURL.path), cropRoot: root)
      var abort = BatchRecord(.abort, video: open.video, hash: open.hash)
      abort.indexBytes = open.indexBytes
      try journal.append(abort)
      notes.append("rolled back the unfinished commit of \(open.video ?? "?")")
    }
    if let staging { try? FileManager.default.removeItem(at: staging) }
    var run = BatchRecord(.run)
    run.options = options
    try journal.append(run)
    recoveryNotes = notes
  }

  /// Undoes a `begin` with no `done`: removes its files, cuts `index.csv` back.
  private static func rollBack(_ open: BatchRecord, cropRoot: URL) throws {
    for c in open.crops ?? [] {
      let url = cropRoot.appendingPathComponent(c.file)
      if unlink(url.path) != 0, errno != ENOENT {
        throw BatchError.cannotWrite(path: url.path, reason: "cannot remove for roll-back")
      }
    }
    let index = cropRoot.appendingPathComponent("index.csv")
    guard let before = open.indexBytes, let stamp = FileStamp(path: index.path),
      stamp.size > before
    else { return }
    guard truncate(index.path, off_t(before)) == 0 else {
      throw BatchError.cannotWrite(path: index.path, reason: "cannot cut back for roll-back")
    }
  }

  /// The settling record of `video` when the file is unchanged since (same size and
  /// modification time); failures count only when `includeFailed`.
  func settled(_ video: VideoFile, includeFailed: Bool) -> BatchRecord? {
    guard let r = byVideo[video.relativePath], let stamp = FileStamp(path: video.path),
      r.size == stamp.size, r.mtime == stamp.mtime
    else { return nil }
    return r.kind == .failed && !includeFailed ? nil : r
  }

  /// Claims the content `hash` for `video`.
  func claim(hash: String, video: String, includeFailed: Bool) -> Claim {
    if let r = byHash[hash], r.kind != .failed || includeFailed { return .settled(r) }
    if let other = inFlight[hash] { return .inFlight(video: other) }
    inFlight[hash] = video
    return .fresh
  }

  /// A staging folder for the video with content `hash`.
  func stagingFolder(hash: String) throws -> URL {
    guard let stagingRoot else { throw BatchError.internalState("no staging for identify") }
    let url = stagingRoot.appendingPathComponent(hash, isDirectory: true)
    try? FileManager.default.removeItem(at: url)
    do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch
    {
      throw BatchError.cannotWrite(path: url.path, reason: "cannot create staging folder")
    }
    return url
  }

  /// Journals a settling record (`failed`, `duplicate`, or an identification's `done`) and
  /// releases the claim on its hash.
  func settle(_ record: BatchRecord) throws {
    if let h = record.hash {
      if inFlight[h] == record.video { inFlight[h] = nil }
      if record.kind != .failed || byHash[h] == nil { byHash[h] = record }
    }
    if let v = record.video { byVideo[v] = record }
    try journal.append(record)
  }

  /// Moves (or, with `link`, hard-links or copies) the staged crops to their final names in
  /// the crop folder, appends their `index.csv` rows and journals `done`. On an error the
  /// commit is rolled back and the error rethrown.
  func commitCrops(_ staged: StagedVideo, record: BatchRecord, link: Bool) throws -> BatchRecord {
    guard let root = cropRoot, let video = record.video else {
      throw BatchError.internalState("commit without crop folder")
    }
    defer { if let h = record.hash, inFlight[h] == video { inFlight[h] = nil } }
    let index = root.appendingPathComponent("index.csv")
    let indexBytes = FileStamp(path: index.path)?.size ?? 0
    let heroDir = root.appendingPathComponent(staged.hero, isDirectory: true)
    var next =
      try counters[staged.hero] ?? CropStore.firstFreeNumber(in: heroDir, hero: staged.hero)
    var rows: [CropRow] = []
    rows.reserveCapacity(staged.crops.count)
    for c in staged.crops {
      let name = CropStore.fileName(hero: staged.hero, number: next)
      next += 1
      rows.append(
        CropRow(file: staged.hero + "/" + name, ptsSeconds: c.ptsSeconds, screen: c.screen))
    }
    var begin = record
    begin.kind = .begin
    begin.crops = rows
    begin.indexBytes = indexBytes
    try journal.append(begin)
    do {
      if !staged.crops.isEmpty {
        try FileManager.default.createDirectory(at: heroDir, withIntermediateDirectories: true)
      }
      for (c, row) in zip(staged.crops, rows) {
        try Self.place(c.file, at: root.appendingPathComponent(row.file), link: link)
      }
      // The names on disk before the index rows and the journal's `done` that promise them.
      if !staged.crops.isEmpty { AtomicFile.syncFolder(heroDir) }
      var text = indexBytes == 0 ? IndexRow.header : ""
      for row in rows {
        text +=
          IndexRow(
            file: row.file, video: video, ptsSeconds: row.ptsSeconds,
            screen: Screen(rawValue: row.screen) ?? .gameplay, hero: staged.hero
          ).csvLine
      }
      try Journal.appendWhole(Data(text.utf8), to: index)
      var done = record
      done.kind = .done
      done.crops = rows
      try journal.append(done)
      counters[staged.hero] = next
      if let h = record.hash { byHash[h] = done }
      byVideo[video] = done
      return done
    } catch {
      try? Self.rollBack(begin, cropRoot: root)
      var abort = BatchRecord(.abort, video: video, hash: record.hash)
      abort.error = "\(error)"
      try? journal.append(abort)
      throw error
    }
  }

  /// Puts `source` at `destination` (which must not exist): a rename, or a hard link falling
  /// back to a copy.
  private static func place(_ source: URL, at destination: URL, link shouldLink: Bool) throws {
    if shouldLink {
      if link(source.path, destination.path) == 0 { return }
      do { try FileManager.default.copyItem(at: source, to: destination) } catch {
        throw BatchError.cannotWrite(path: destination.path, reason: "cannot copy \(source.path)")
      }
    } else if rename(source.path, destination.path) != 0 {
      throw BatchError.cannotWrite(
        path: destination.path,
        reason: "cannot move from staging (\(String(cString: strerror(errno))))")
    }
  }

  /// Every settling record, one per video path (the latest), sorted by path.
  func allSettled() -> [BatchRecord] {
    byVideo.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.compactMap { byVideo[$0] }
  }
}

/// Errors of the batch layer; each names the file.
enum BatchError: Error, CustomStringConvertible {
  case optionsChanged(path: String, option: String, was: String, now: String)
  case cannotWrite(path: String, reason: String)
  case notABatchOutput(path: String)
  case internalState(String)
  /// A stage's own one-line message (it names the file).
  case stage(String)
  /// A journal line that names something outside its folder or is otherwise unusable.
  case badJournal(path: String, reason: String)

  var description: String {
    switch self {
    case .optionsChanged(let p, let o, let was, let now):
      "\(p): this batch was started with \(o) \(was), not \(now); use the same options or another output"
    case .cannotWrite(let p, let r): "\(p): \(r)"
    case .notABatchOutput(let p): "\(p): not a batch output (no .batch/journal.jsonl)"
    case .internalState(let s): "internal error: \(s)"
    case .stage(let s): s
    case .badJournal(let p, let r): "\(p): \(r); refusing to act on it"
    }
  }
}
