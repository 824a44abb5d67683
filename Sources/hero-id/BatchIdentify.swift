import ArgumentParser
import Classifier
import Foundation
import HeroCore
import Labeler
import Preprocess

struct BatchIdentify: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "identify",
    abstract: "Identify the hero of every clip under a folder, into one CSV report.",
    discussion: """
      Walks TREE (any layout) for videos and runs `hero-id identify` on each. Writes FILE.csv \
      with one row per clip: video,status,hero,confidence,frames,gameplay_frames,reason,error \
      (video relative to TREE; status ok, unknown, duplicate or failed; hero empty when \
      unknown). The journal FILE.csv.journal.jsonl makes a killed run resumable; the report is \
      rewritten from it at the end of each run. With --jobs > 1 each clip's Inception pass uses \
      one BLAS thread, so the clips, not the threads, share the cores. \
      Exit 0 when every clip was processed (an "unknown" answer is a success), 1 when any \
      failed, 2 on bad usage.
      """)

  @Argument(help: "Folder of clips (any layout).")
  var tree: String

  @Option(help: "Model folder written by `hero-id train`.")
  var model: String

  @Option(help: ArgumentHelp("The CSV report to write.", valueName: "FILE.csv"))
  var report: String

  @OptionGroup var chain: IdentifyChainOptions

  @OptionGroup var batch: BatchOptions

  func run() async throws {
    let started = Date()
    let videos = try batch.videos(in: tree)
    let reportURL = URL(fileURLWithPath: report)
    let job = try chain.job(model: model, parallel: min(batch.jobCount, max(videos.count, 1)))
    let store = try BatchStore(
      journalURL: URL(fileURLWithPath: report + ".journal.jsonl"), cropRoot: nil,
      options: [
        "model": try modelFingerprint(model),
        "every": chain.every.map { "\($0)" } ?? "every key frame",
        "layout": try chain.layout.map { SHA1.hex(try Layouts.load(path: $0).jsonData()) }
          ?? "model's",
      ])
    if !batch.quiet { for n in store.recoveryNotes { printError("batch identify: \(n)") } }
    let results = await batch.driver(label: "batch identify", store: store).run(videos) {
      video, base, began in
      var record = base
      record.identify = IdentifyRow(try await offload { try job.identify(video.path).get() })
      record.frames = record.identify?.frames
      record.seconds = Date().timeIntervalSince(began)
      try await store.settle(record)
      return record
    }
    let summary = BatchSummary(
      command: "batch identify", shard: batch.shard, results: results,
      seconds: Date().timeIntervalSince(started))
    try writeIdentifyReport(records: await store.allSettled(), to: reportURL)
    if batch.json {
      printLines(results.map { identifyJSON($0) } + [reportJSON(["summary": summary])])
    }
    if !batch.quiet { printError(summary.text + "\nreport: \(reportURL.path)") }
    if summary.failed > 0 { throw ExitCode.failure }
  }
}

/// The CSV header of a `batch identify` report.
let identifyReportHeader = "video,status,hero,confidence,frames,gameplay_frames,reason,error"

/// Writes the CSV report atomically: one row per settled clip, sorted by path; a duplicate
/// gets the answer of the clip it duplicates.
func writeIdentifyReport(records: [BatchRecord], to url: URL) throws {
  var byVideo: [String: BatchRecord] = [:]
  for r in records { if let v = r.video { byVideo[v] = r } }
  var text = identifyReportHeader + "\n"
  for r in records {
    let answer = r.kind == .duplicate ? r.duplicateOf.flatMap { byVideo[$0]?.identify } : r.identify
    let status: String =
      switch r.kind {
      case .failed: "failed"
      case .duplicate: "duplicate"
      default: answer?.hero == nil ? "unknown" : "ok"
      }
    let fields: [String] = [
      r.video ?? "", status, answer?.hero ?? "",
      answer.map { String(format: "%.4f", $0.confidence) } ?? "",
      answer.map { "\($0.frames)" } ?? "", answer.map { "\($0.gameplayFrames)" } ?? "",
      answer?.reason ?? (r.kind == .duplicate ? "duplicate of \(r.duplicateOf ?? "?")" : ""),
      r.error ?? "",
    ]
    text += CSV.line(fields)
  }
  do { try AtomicFile.write(Data(text.utf8), to: url) } catch {
    throw BatchError.cannotWrite(path: url.path, reason: "cannot write report")
  }
}

/// The contract's per-clip `identify --json` fields (without the timeline), plus
/// `skipped` / `duplicate_of`.
private func identifyJSON(_ r: BatchResult) -> String {
  struct Line: Encodable {
    var video: String
    var hero: String?
    var confidence: Double?
    var frames: Int?
    var gameplayFrames: Int?
    var reason: String?
    var top: [IdentifyRow.Candidate]?
    var error: String?
    var skipped: String?
    var duplicateOf: String?
  }
  var line = Line(video: r.video.path)
  if let id = r.record.identify {
    line.hero = id.hero
    line.confidence = id.confidence
    line.frames = id.frames
    line.gameplayFrames = id.gameplayFrames
    line.reason = id.reason
    line.top = id.top
  }
  line.error = r.record.error
  line.duplicateOf = r.record.duplicateOf
  if r.outcome == .alreadyDone { line.skipped = "already done" }
  return reportJSON(line)
}

/// SHA-1 over the names and contents of the model folder's files, so a journal made with
/// one model is not resumed with another.
func modelFingerprint(_ dir: String) throws -> String {
  let fm = FileManager.default
  guard let names = try? fm.contentsOfDirectory(atPath: dir) else {
    throw BatchError.cannotWrite(path: dir, reason: "cannot read model folder")
  }
  var h = SHA1Hasher()
  for name in names.sorted() where !name.hasPrefix(".") {
    let path = dir + "/" + name
    var isDir: ObjCBool = false
    guard fm.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else { continue }
    h.update(name)
    h.update((try? SHA1.hex(fileAt: path)) ?? "unreadable")
  }
  return SHA1.hexString(h.finalize())
}

extension IdentifyRow {
  /// The fields of `identify`'s verdict that the batch keeps.
  init(_ v: ClipVerdict) {
    self.init(
      hero: v.hero, confidence: v.confidence, frames: v.frames, gameplayFrames: v.gameplayFrames,
      reason: v.reason, top: v.top.map { Candidate(hero: $0.hero, p: $0.p) })
  }
}
