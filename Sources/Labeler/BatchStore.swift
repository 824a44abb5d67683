import Foundation
import HeroCore

/// Crops of one video waiting to be committed: JPEG files in a staging folder (or, for
/// `batch merge`, in another crop folder), with the frame time and screen of each.
public struct StagedCrop: Sendable {
  public var file: URL
  public var ptsSeconds: Double
  public var screen: String
  /// The skill slot of the crop when it is not the layout's crop slot (its final name gets
  /// `-<slot>`, ``CropIndex/fileName(hero:number:slot:)``); nil for the crop slot's.
  public var slot: String?
  public init(file: URL, ptsSeconds: Double, screen: String, slot: String? = nil) {
    self.file = file
    self.ptsSeconds = ptsSeconds
    self.screen = screen
    self.slot = slot
  }
}

/// What the extraction stage gave for one video.
public struct StagedVideo: Sendable {
  public var hero: String
  public var frames: Int
  public var screens: [String: Int]
  public var crops: [StagedCrop]
  public init(hero: String, frames: Int, screens: [String: Int], crops: [StagedCrop]) {
    self.hero = hero
    self.frames = frames
    self.screens = screens
    self.crops = crops
  }
}

/// What the store says about a video before it is processed.
public enum Claim: Sendable {
  /// Nobody has it: process it.
  case fresh
  /// Its content was settled under `video` (by an earlier run or this one).
  case settled(BatchRecord)
  /// Another video with the same content is being processed now.
  case inFlight(video: String)
}

/// The journaled store of an output folder, and the only writer of a crop folder: its journal,
/// its hero folders, `index.csv` and `.extract-keys.csv`. Plain `extract`, `batch extract` and
/// `batch merge` all commit through ``commitCrops(_:record:link:)``; `batch identify` uses it
/// without a crop folder, for its journal alone. Commits are serialised here, so at most one is
/// open at a time.
///
/// Committing a video's crops (`commitCrops`): drop the frames whose key (video content and
/// pts) `.extract-keys.csv` already holds, append `begin` (the final names and the current
/// lengths of `index.csv` and `.extract-keys.csv`) to the journal, move each staged JPEG to its
/// final name, append the video's rows to `index.csv` and its keys to `.extract-keys.csv` (one
/// write each), append `done`. On start, a `begin`
/// with no `done` or `abort` after it (a run killed mid-commit) is rolled back: its files are
/// removed, `index.csv` and the keys are cut back to their recorded lengths, `abort` is journaled; that video is
/// then processed again like any other unfinished one. Staging folders are temporary and are
/// cleared on start.
public actor BatchStore {
  /// The crop folder (`batch extract` / `batch merge`), nil for `batch identify`.
  public nonisolated let cropRoot: URL?
  public nonisolated let journalURL: URL
  public nonisolated let stagingRoot: URL?
  private let journal: Journal
  /// One writer per output folder (`batch extract`, `batch merge`).
  private let lock: FolderLock?
  /// Settling records by content hash, and the latest settling record by video path.
  private var byHash: [String: BatchRecord] = [:]
  private var byVideo: [String: BatchRecord] = [:]
  private var inFlight: [String: String] = [:]
  private var counters: [String: Int] = [:]
  /// The extraction keys of the crop folder (``CropIndex/key(videoSHA1:ptsSeconds:)``).
  private var keys: Set<String> = []
  /// A crop file of each extracted frame (``CropIndex/readFrameFiles(root:)``).
  private var frameFiles: [String: String] = [:]
  /// Notes about the recovery done on open (for the log).
  public nonisolated let recoveryNotes: [String]

  /// Opens (or starts) the batch whose journal is `journalURL`. `options` are the settings that
  /// shape the output; a journal started with other values is refused (mixing them would give
  /// an inconsistent set).
  public init(journalURL: URL, cropRoot: URL?, options: [String: String]) throws {
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
        // Commits of plain `extract` keep the folder consistent but settle no video for a batch.
        guard r.source == nil else { continue }
        if let h = r.hash, Self.replaces(r, hashes[h]) { hashes[h] = r }
        if let v = r.video { videos[v] = r }
      case .unfinished:
        // Reported until a later run settles the video; never the record of its content.
        if r.source == nil, let v = r.video { videos[v] = r }
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
    if let root = cropRoot {
      // A line cut short by a writer of an older version killed mid-line: drop it, so the next
      // append starts on a line of its own.
      for url in [CropIndex.indexURL(root: root), CropIndex.keysURL(root: root)] {
        try Self.cutTornTail(url)
      }
      keys = try CropIndex.readKeys(root: root)
      frameFiles = CropIndex.readFrameFiles(root: root)
    }
    var run = BatchRecord(.run)
    run.options = options
    try journal.append(run)
    recoveryNotes = notes
  }

  /// Whether `record` becomes the record of its content over `existing`: the video that was
  /// processed stands for its content, so a later `done` (a retry that worked) replaces
  /// anything, a `failed` replaces only a duplicate, and a duplicate never replaces a record
  /// (else the next copy would be told a duplicate of a duplicate; journals written before
  /// this rule are read with it too).
  static func replaces(_ record: BatchRecord, _ existing: BatchRecord?) -> Bool {
    guard let existing else { return true }
    switch record.kind {
    case .done: return true
    case .failed: return existing.kind == .duplicate
    default: return false
    }
  }

  /// Truncates `url` after its last line ending when it does not end with one.
  private static func cutTornTail(_ url: URL) throws {
    guard let data = FileManager.default.contents(atPath: url.path), let last = data.last,
      last != UInt8(ascii: "\n")
    else { return }
    let keep = data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
    try Syscalls.truncate(url.path, to: Int64(keep))
  }

  /// Undoes a `begin` with no `done`: removes its files, cuts `index.csv` back.
  private static func rollBack(_ open: BatchRecord, cropRoot: URL) throws {
    for c in open.crops ?? [] {
      try Syscalls.unlink(cropRoot.appendingPathComponent(c.file).path)
    }
    for (url, before) in [
      (CropIndex.indexURL(root: cropRoot), open.indexBytes),
      (CropIndex.keysURL(root: cropRoot), open.keysBytes),
    ] {
      guard let before, let size = Syscalls.size(url.path), size > before else { continue }
      try Syscalls.truncate(url.path, to: before)
    }
  }

  /// The settling record of `video` when the file is unchanged since (same size and
  /// modification time); failures count only when `includeFailed`, and an `unfinished` video
  /// (a failure of the machine) never.
  public func settled(_ video: VideoFile, includeFailed: Bool) -> BatchRecord? {
    guard let r = byVideo[video.relativePath], r.isTerminal,
      let stamp = FileStamp(path: video.path), r.size == stamp.size, r.mtime == stamp.mtime
    else { return nil }
    return r.kind == .failed && !includeFailed ? nil : r
  }

  /// Claims the content `hash` for `video`.
  public func claim(hash: String, video: String, includeFailed: Bool) -> Claim {
    if let r = byHash[hash], r.kind != .failed || includeFailed { return .settled(r) }
    if let other = inFlight[hash] { return .inFlight(video: other) }
    inFlight[hash] = video
    return .fresh
  }

  /// True when the crop folder holds a crop of the video with content `videoSHA1` at
  /// `ptsSeconds` of `slot` (nil: the layout's crop slot; ``CropIndex/key(videoSHA1:ptsSeconds:slot:)``).
  public func contains(videoSHA1: String, ptsSeconds: Double, slot: String? = nil) -> Bool {
    keys.contains(CropIndex.key(videoSHA1: videoSHA1, ptsSeconds: ptsSeconds, slot: slot))
  }

  /// A new staging folder for a video with content `hash` (unique: the same content may be
  /// staged twice at once by plain `extract`).
  public func stagingFolder(hash: String) throws -> URL {
    guard let stagingRoot else { throw BatchError.internalState("no staging for identify") }
    let name = hash + "-" + UUID().uuidString.prefix(8)
    let url = stagingRoot.appendingPathComponent(name, isDirectory: true)
    try? FileManager.default.removeItem(at: url)
    do { try Syscalls.createFolder(url.path) } catch {
      throw WriteError(path: url.path, what: "staging folder", error: error)
    }
    return url
  }

  /// Journals a settling record (`failed`, `duplicate`, or an identification's `done`), or an
  /// `unfinished` one (which settles nothing: the video is processed again by the next run),
  /// and releases the claim on its hash.
  public func settle(_ record: BatchRecord) throws {
    if let h = record.hash {
      if inFlight[h] == record.video { inFlight[h] = nil }
      if record.isTerminal, Self.replaces(record, byHash[h]) { byHash[h] = record }
    }
    if let v = record.video { byVideo[v] = record }
    try journal.append(record)
    if record.kind == .done { StopPoint.reach("video-done") }
  }

  /// Moves (or, with `link`, hard-links or copies) the staged crops to their final names in
  /// the crop folder, appends their `index.csv` rows and journals `done`. On an error the
  /// commit is rolled back and the error rethrown.
  public func commitCrops(_ staged: StagedVideo, record: BatchRecord, link: Bool) throws
    -> BatchRecord
  {
    guard let root = cropRoot, let video = record.video else {
      throw BatchError.internalState("commit without crop folder")
    }
    defer { if let h = record.hash, inFlight[h] == video { inFlight[h] = nil } }
    let index = CropIndex.indexURL(root: root)
    let keysFile = CropIndex.keysURL(root: root)
    let indexBytes = Syscalls.size(index.path) ?? 0
    let keysBytes = Syscalls.size(keysFile.path) ?? 0
    // Frames of this content already in the folder (an earlier run, or the same video given
    // twice) are not added again.
    let fresh = staged.crops.filter { c in
      record.hash.map {
        !keys.contains(CropIndex.key(videoSHA1: $0, ptsSeconds: c.ptsSeconds, slot: c.slot))
      } ?? true
    }
    let hero = try HeroName.validate(staged.hero, source: video)
    let heroDir = root.appendingPathComponent(hero, isDirectory: true)
    var next = counters[hero] ?? CropIndex.firstFreeNumber(in: heroDir, hero: hero)
    var rows: [CropRow] = []
    rows.reserveCapacity(fresh.count)
    // The crops of one frame (one pts: its slots) share a number, that of the frame's crops
    // already in the folder when there are some; a name taken meanwhile (a file put there by
    // hand) is skipped, never overwritten.
    var i = 0
    while i < fresh.count {
      var j = i + 1
      while j < fresh.count, fresh[j].ptsSeconds == fresh[i].ptsSeconds { j += 1 }
      let frame = fresh[i..<j]
      func names(_ n: Int) -> [String] {
        frame.map { CropIndex.fileName(hero: hero, number: n, slot: $0.slot) }
      }
      func free(_ n: Int) -> Bool {
        !names(n).contains {
          FileManager.default.fileExists(atPath: heroDir.appendingPathComponent($0).path)
        }
      }
      let earlier = record.hash.flatMap {
        frameFiles[CropIndex.key(videoSHA1: $0, ptsSeconds: frame[i].ptsSeconds)]
      }.flatMap { CropIndex.number(ofFile: $0, hero: hero) }
      var number: Int
      if let earlier, free(earlier) {
        number = earlier
      } else {
        while !free(next) { next += 1 }
        number = next
        next += 1
      }
      for (c, name) in zip(frame, names(number)) {
        rows.append(CropRow(file: hero + "/" + name, ptsSeconds: c.ptsSeconds, screen: c.screen))
      }
      i = j
    }
    var begin = record
    begin.kind = .begin
    begin.crops = rows
    begin.indexBytes = indexBytes
    begin.keysBytes = keysBytes
    try journal.append(begin)
    do {
      if !fresh.isEmpty {
        do { try Syscalls.createFolder(heroDir.path) } catch {
          throw WriteError(path: heroDir.path, what: "hero folder", error: error)
        }
      }
      for (c, row) in zip(fresh, rows) {
        try Self.place(c.file, at: root.appendingPathComponent(row.file), link: link)
      }
      // The names on disk before the index rows and the journal's `done` that promise them.
      if !fresh.isEmpty { Syscalls.syncFolder(heroDir.path) }
      StopPoint.reach("commit-placed")
      var text = indexBytes == 0 ? IndexRow.header : ""
      var keyText = keysBytes == 0 ? CropIndex.keysHeader : ""
      for row in rows {
        text +=
          IndexRow(
            file: row.file, video: video, ptsSeconds: row.ptsSeconds,
            screen: Screen(rawValue: row.screen) ?? .gameplay, hero: hero
          ).csvLine
        if let h = record.hash {
          keyText += CSV.line([h, IndexRow.format(row.ptsSeconds), row.file])
        }
      }
      try Journal.appendWhole(Data(text.utf8), to: index)
      if keyText != CropIndex.keysHeader || keysBytes == 0 {
        try Journal.appendWhole(Data(keyText.utf8), to: keysFile)
      }
      var done = record
      done.kind = .done
      done.hero = hero
      done.crops = rows
      try journal.append(done)
      StopPoint.reach("video-done")
      counters[hero] = next
      if let h = record.hash {
        for row in rows {
          keys.insert(
            CropIndex.key(
              videoSHA1: h, ptsSeconds: row.ptsSeconds, slot: CropIndex.slot(ofFile: row.file)))
          frameFiles[CropIndex.key(videoSHA1: h, ptsSeconds: row.ptsSeconds)] = row.file
        }
      }
      if done.source == nil {
        if let h = record.hash { byHash[h] = done }
        byVideo[video] = done
      }
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
      if (try? Syscalls.link(source.path, destination.path)) == true { return }
      do { try FileManager.default.copyItem(at: source, to: destination) } catch {
        throw WriteError(
          path: destination.path, what: "crop (a copy of \(MessageText.escaped(source.path)))",
          error: error)
      }
    } else {
      try Syscalls.rename(source.path, destination.path)
    }
  }

  /// Every settling record, one per video path (the latest), sorted by path; duplicates
  /// resolved (``resolved(_:)``).
  public func allSettled() -> [BatchRecord] {
    byVideo.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.compactMap {
      byVideo[$0].map(resolved)
    }
  }

  /// `record`, when it is a duplicate, told of the video that was processed for its content
  /// (``BatchRecord/resolvingDuplicate(_:)`` over this store's latest record per video).
  public func resolved(_ record: BatchRecord) -> BatchRecord {
    record.resolvingDuplicate { byVideo[$0] }
  }
}

/// Errors of the batch layer; each names the file.
public enum BatchError: Error, CustomStringConvertible, CarriesErrno {
  case optionsChanged(path: String, option: String, was: String, now: String)
  case cannotWrite(path: String, reason: String)
  case notABatchOutput(path: String)
  case internalState(String)
  /// A stage's own one-line message (it names the file).
  case stage(String)
  /// A stage's own one-line message for a failure of the machine (`code`: its errno,
  /// ``MachineFailure``), not of the video.
  case machine(String, code: Int32)
  /// A journal line that names something outside its folder or is otherwise unusable.
  case badJournal(path: String, reason: String)

  public var description: String {
    switch self {
    case .optionsChanged(let p, "footage", "off", _):
      "\(MessageText.escaped(p)): this batch was started with the HUD at the layout's fixed place (before the HUD was "
        + "found by default); add --fixed-layout to resume it, or use another output"
    case .optionsChanged(let p, "footage", "on", _):
      "\(MessageText.escaped(p)): this batch was started with the HUD found (the default), not --fixed-layout; "
        + "resume it without --fixed-layout, or use another output"
    case .optionsChanged(let p, "model", let was, let now):
      "\(MessageText.escaped(p)): this batch was started with another model (fingerprint "
        + "\(was.prefix(12)), this one \(now.prefix(12))); identify with that model, or write "
        + "another report"
    case .optionsChanged(let p, let o, let was, let now):
      "\(MessageText.escaped(p)): this batch was started with \(o) \(was), not \(now); use the same options or another output"
    case .cannotWrite(let p, let r): "\(MessageText.escaped(p)): \(r)"
    case .notABatchOutput(let p):
      "\(MessageText.escaped(p)): not a batch output (no .batch/journal.jsonl)"
    case .internalState(let s): "internal error: \(s)"
    case .stage(let s), .machine(let s, _): s
    case .badJournal(let p, let r): "\(MessageText.escaped(p)): \(r); refusing to act on it"
    }
  }
}

extension BatchError {
  public var errnoCode: Int32? {
    if case .machine(_, let code) = self { return code }
    return nil
  }
}
