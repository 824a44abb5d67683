import Foundation
import HeroCore
import Labeler

/// `batch merge`: the crop folders of `batch extract` shards → one crop folder (docs/batch.md).
/// Every video done in a shard is committed into the output through its journal (crops
/// hard-linked or copied under new names); failures and duplicates are carried over.
public struct BatchMergeJob: Sendable {
  public struct Options: Sendable {
    /// The merged crop folder.
    public var out: String
    public init(out: String) { self.out = out }
  }

  public var options: Options

  public init(options: Options) { self.options = options }

  public func run(shards: [String], control: JobControl) async throws -> BatchRun {
    let started = Date()
    let outURL = URL(fileURLWithPath: options.out, isDirectory: true).standardizedFileURL
    // Read every shard: its options and its settled videos.
    var merged: [String: String]?
    var items: [(shard: URL, record: BatchRecord)] = []
    var notes: [String] = []
    for s in shards {
      let root = URL(fileURLWithPath: s, isDirectory: true).standardizedFileURL
      guard root != outURL else {
        throw BatchError.cannotWrite(path: s, reason: "a shard cannot be merged into itself")
      }
      let journalURL = root.appendingPathComponent(".batch/journal.jsonl")
      guard FileManager.default.fileExists(atPath: journalURL.path) else {
        throw BatchError.notABatchOutput(path: s)
      }
      let contents = try Journal.read(BatchRecord.self, from: journalURL)
      for r in contents.records where r.kind == .run {
        guard let o = r.options else { continue }
        if let merged,
          let clash = o.first(where: { kv in merged[kv.key].map { $0 != kv.value } ?? false })
        {
          throw BatchError.optionsChanged(
            path: journalURL.path, option: clash.key, was: merged[clash.key] ?? "",
            now: clash.value)
        }
        merged = (merged ?? [:]).merging(o) { a, _ in a }
      }
      for r in Self.settledRecords(contents.records) {
        items.append((root, try r.validated(source: journalURL.path)))
      }
      // Videos the machine kept the shard from finishing: not in the merge until it has them.
      let left = Self.unfinishedCount(contents.records)
      if left > 0 {
        notes.append(
          "\(MessageText.escaped(s)): \(left) video(s) unfinished there (the machine failed); "
            + "run that shard's `batch extract` again, then merge again to add them")
      }
    }
    // One entry per video path: the first shard that settled it wins; done before the rest, so
    // a duplicate refers to the video that is kept.
    var seen = Set<String>()
    items = items.filter { seen.insert($0.record.video ?? "").inserted }
    items.sort { a, b in
      let ra = a.record.kind == .done ? 0 : 1
      let rb = b.record.kind == .done ? 0 : 1
      if ra != rb { return ra < rb }
      return (a.record.video ?? "").utf8.lexicographicallyPrecedes((b.record.video ?? "").utf8)
    }
    let store = try BatchStore(
      journalURL: outURL.appendingPathComponent(".batch/journal.jsonl"), cropRoot: outURL,
      options: merged ?? [:])
    for n in store.recoveryNotes + notes { control.observer.note("batch merge: \(n)") }
    control.observer.begin("batch merge", total: items.count)
    var results: [BatchResult] = []
    // A failure of the machine (a full disk) stops the merge: the video it met is rolled back
    // and, like the rest, merged by the next run.
    var stopped: String?
    for (root, record) in items {
      try control.checkCancelled()
      let video = record.video ?? ""
      let file = VideoFile(
        path: root.appendingPathComponent(video).path, relativePath: video,
        label: record.hero ?? "")
      if let stopped {
        var r = record
        r.kind = .unfinished
        r.error = "\(MessageText.escaped(video)): not started (the run stopped: \(stopped))"
        results.append(BatchResult(video: file, outcome: .notStarted, record: r))
        continue
      }
      let outcome: (BatchOutcome, BatchRecord)
      do { outcome = try await Self.mergeOne(record, from: root, into: store) } catch
        where MachineFailure.isMachineFailure(error)
      {
        stopped = "\(error)"
        var r = record
        r.kind = .unfinished
        r.error = "\(error)"
        control.observer.note("batch merge: unfinished (the machine failed): \(error)")
        outcome = (.unfinished, r)
      }
      results.append(BatchResult(video: file, outcome: outcome.0, record: outcome.1))
      control.observer.advance(
        "batch merge", note: "\(outcome.0.rawValue) \(MessageText.escaped(video))")
    }
    control.observer.finish("batch merge")
    for i in results.indices where results[i].record.kind == .duplicate {
      results[i].record = await store.resolved(results[i].record)
    }
    var summary = BatchSummary(
      command: "batch merge", shard: .all, results: results,
      seconds: Date().timeIntervalSince(started))
    summary.stopped = stopped
    let reportURL = outURL.appendingPathComponent("batch-report.jsonl")
    return try await BatchRun(results: results, summary: summary, report: reportURL.path) {
      try writeCropReport(records: await store.allSettled(), summary: summary, to: reportURL)
    }
  }

  /// Videos whose latest record in a shard's journal is `unfinished` (the machine failed).
  static func unfinishedCount(_ records: [BatchRecord]) -> Int {
    var latest: [String: BatchRecord.Kind] = [:]
    for r in records where r.source == nil && (r.isTerminal || r.kind == .unfinished) {
      latest[r.video ?? ""] = r.kind
    }
    return latest.values.filter { $0 == .unfinished }.count
  }

  /// Adds one settled video of a shard to the merged store.
  private static func mergeOne(_ record: BatchRecord, from root: URL, into store: BatchStore)
    async throws -> (BatchOutcome, BatchRecord)
  {
    let video = record.video ?? ""
    if let hash = record.hash {
      switch await store.claim(hash: hash, video: video, includeFailed: false) {
      case .settled(let earlier) where earlier.video == video:
        return (.alreadyDone, earlier)
      case .settled(let earlier) where record.kind == .done || record.kind == .duplicate:
        var dup = record
        dup.kind = .duplicate
        dup.crops = nil
        dup.duplicateOf = earlier.video
        try await store.settle(dup)
        return (.duplicate, dup)
      default: break
      }
    }
    switch record.kind {
    case .done:
      let staged = StagedVideo(
        hero: record.hero ?? "",
        frames: record.frames ?? 0, screens: record.screens ?? [:],
        crops: try (record.crops ?? []).map {
          // Inside the shard, through no symbolic link (the record was validated on reading).
          StagedCrop(
            file: try RelativePath.resolve($0.file, under: root, field: "crop", source: root.path),
            ptsSeconds: $0.ptsSeconds, screen: $0.screen, slot: CropIndex.slot(ofFile: $0.file))
        })
      return (.ok, try await store.commitCrops(staged, record: record, link: true))
    default:
      try await store.settle(record)
      return (record.kind == .failed ? .failed : .duplicate, record)
    }
  }

  /// The settling records of a journal: the latest per video path, in journal order. Commits of
  /// plain `extract` into a shard folder are not videos of the batch.
  static func settledRecords(_ records: [BatchRecord]) -> [BatchRecord] {
    var latest: [String: Int] = [:]
    for (i, r) in records.enumerated() where r.isTerminal && r.source == nil {
      latest[r.video ?? ""] = i
    }
    return latest.values.sorted().map { records[$0] }
  }
}
