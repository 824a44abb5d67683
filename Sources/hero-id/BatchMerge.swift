import ArgumentParser
import Foundation
import HeroCore

struct BatchMerge: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "merge",
    abstract: "Combine the outputs of `batch extract` shards into one training set.",
    discussion: """
      Each SHARD_OUT is a crop folder written by `batch extract` (it has .batch/journal.jsonl). \
      Every video done in a shard is added to DIR: its crops are hard-linked (or copied) under \
      new names DIR/<hero>/<hero>_NNNNNN.jpg, counters continuing after what DIR holds, so \
      shards never collide; its index.csv rows follow, and DIR/batch-report.jsonl lists every \
      video of every shard. Failures and duplicates are carried over as such. The same video \
      content done in two shards is kept once. DIR is itself a batch output: merging again, or \
      merging more shards later, adds only what is new, and a killed merge resumes like a \
      killed extract. The shards must have used the same --every and --layout.
      """)

  @Argument(help: "Crop folders written by `hero-id batch extract --shard K/N`.")
  var shardOutputs: [String]

  @Option(help: "The merged crop folder.")
  var out: String

  @Flag(help: "Per-video JSON objects, then a summary object, on stdout.")
  var json = false

  @Flag(help: "No progress or summary on stderr.")
  var quiet = false

  func validate() throws {
    if shardOutputs.isEmpty { throw ValidationError("give at least one shard output") }
  }

  func run() async throws {
    let started = Date()
    let outURL = URL(fileURLWithPath: out, isDirectory: true).standardizedFileURL
    // Read every shard: its options and its settled videos.
    var options: [String: String]?
    var items: [(shard: URL, record: BatchRecord)] = []
    for s in shardOutputs {
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
        if let options,
          let clash = o.first(where: { kv in options[kv.key].map { $0 != kv.value } ?? false })
        {
          throw BatchError.optionsChanged(
            path: journalURL.path, option: clash.key, was: options[clash.key] ?? "",
            now: clash.value)
        }
        options = (options ?? [:]).merging(o) { a, _ in a }
      }
      for r in settledRecords(contents.records) {
        items.append((root, try r.validated(source: journalURL.path)))
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
      options: options ?? [:])
    if !quiet { for n in store.recoveryNotes { printError("batch merge: \(n)") } }
    let progress = ProgressReporter("batch merge", total: items.count, quiet: quiet)
    var results: [BatchResult] = []
    for (root, record) in items {
      let video = record.video ?? ""
      let file = VideoFile(
        path: root.appendingPathComponent(video).path, relativePath: video,
        label: record.hero ?? "")
      let outcome = try await mergeOne(record, from: root, into: store)
      results.append(BatchResult(video: file, outcome: outcome.0, record: outcome.1))
      progress.advance(note: "\(outcome.0.rawValue) \(video)")
    }
    progress.finish()
    let summary = BatchSummary(
      command: "batch merge", shard: .all, results: results,
      seconds: Date().timeIntervalSince(started))
    let reportURL = outURL.appendingPathComponent("batch-report.jsonl")
    try writeCropReport(records: await store.allSettled(), summary: summary, to: reportURL)
    if json {
      printLines(
        results.map { reportJSON(ReportLine($0.record)) } + [reportJSON(["summary": summary])])
    }
    if !quiet { printError(summary.text + "\nreport: \(reportURL.path)") }
    if summary.failed > 0 { throw ExitCode.failure }
  }

  /// Adds one settled video of a shard to the merged store.
  private func mergeOne(_ record: BatchRecord, from root: URL, into store: BatchStore) async throws
    -> (BatchOutcome, BatchRecord)
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
            ptsSeconds: $0.ptsSeconds, screen: $0.screen)
        })
      return (.ok, try await store.commitCrops(staged, record: record, link: true))
    default:
      try await store.settle(record)
      return (record.kind == .failed ? .failed : .duplicate, record)
    }
  }
}

/// The settling records of a journal: the latest per video path, in journal order.
func settledRecords(_ records: [BatchRecord]) -> [BatchRecord] {
  var latest: [String: Int] = [:]
  for (i, r) in records.enumerated() where r.isTerminal { latest[r.video ?? ""] = i }
  return latest.values.sorted().map { records[$0] }
}
