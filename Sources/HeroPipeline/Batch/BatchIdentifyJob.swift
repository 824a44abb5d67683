import Foundation
import HeroCore
import Labeler
import Preprocess

/// `batch identify`: every clip under a tree → one CSV report, resumable through its journal
/// (`REPORT.csv.journal.jsonl`), shardable. Each clip goes through ``IdentifyJob``.
public struct BatchIdentifyJob: Sendable {
  public struct Options: Sendable {
    /// The identification chain (model, weights, layout, screen model, `--every`).
    public var identify = IdentifyJob.Options()
    /// The CSV report to write.
    public var report: String
    public var shard = Shard.all
    public var jobs = defaultBatchJobs()
    public var retryFailed = false
    public init(report: String) { self.report = report }
  }

  public var options: Options

  public init(options: Options) { self.options = options }

  /// The CSV header of the report. `picture,hud_scale,hud_dx,hud_dy` are the game picture in
  /// the source (`WxH+X+Y`) and the HUD found (scale, shift in frame pixels; empty with
  /// `--fixed-layout`); `segments` lists where the hero changes when there is more than one
  /// segment (`李白 4.5-13.0; 韩信 19.0-25.0`; "unknown" for a segment without a hero).
  public static let reportHeader =
    "video,status,hero,confidence,frames,gameplay_frames,reason,error,"
    + "picture,hud_scale,hud_dx,hud_dy,segments"

  public func run(tree: String, control: JobControl) async throws -> BatchRun {
    let started = Date()
    let shard = options.shard
    let walked = try VideoTree.walk(under: tree)
    // Named pipes, devices and sockets with a video's name: one line each, never opened.
    for entry in walked.skipped { control.observer.note("batch identify: \(entry.message)") }
    let videos = walked.videos.filter { shard.contains(relativePath: $0.relativePath) }
    var identifyOptions = options.identify
    identifyOptions.jobs = options.jobs
    let job = try IdentifyJob(options: identifyOptions, clips: videos.count)
    job.policy.apply()
    let reportURL = URL(fileURLWithPath: options.report)
    var settings = [
      "model": try modelFingerprint(options.identify.model),
      "every": options.identify.everySeconds.map { "\($0)" } ?? "every key frame",
      "layout": try options.identify.layout.map {
        SHA1.hex(try Layouts.load(path: $0).jsonData())
      } ?? "model's",
    ]
    // A journal from before the option (no such key) resumes either way.
    settings["footage"] = options.identify.placement.journalValue
    // The work bound changes what a long video gives; journals from before it resume either way.
    settings["max-key-frames"] = options.identify.maxKeyFrames.map { "\($0)" } ?? "none"
    let store = try BatchStore(
      journalURL: URL(fileURLWithPath: options.report + ".journal.jsonl"), cropRoot: nil,
      options: settings)
    for n in store.recoveryNotes { control.observer.note("batch identify: \(n)") }
    let driver = BatchDriver(
      label: "batch identify", store: store, jobs: job.policy.tasks,
      retryFailed: options.retryFailed, control: control)
    let results = await driver.run(videos) { video, base, began in
      var record = base
      record.identify = try await offload { try job.identify(video.path, control: control).get() }
      record.frames = record.identify?.frames
      record.seconds = Date().timeIntervalSince(began)
      try await store.settle(record)
      return record
    }
    var summary = BatchSummary(
      command: "batch identify", shard: shard, results: results,
      seconds: Date().timeIntervalSince(started))
    summary.stopped = driver.stop.reason
    return try await BatchRun(results: results, summary: summary, report: reportURL.path) {
      try Self.writeReport(records: await store.allSettled(), to: reportURL)
    }
  }

  /// Writes the CSV report atomically: one row per settled clip, sorted by path; a duplicate
  /// gets the answer of the clip it duplicates.
  static func writeReport(records: [BatchRecord], to url: URL) throws {
    var byVideo: [String: BatchRecord] = [:]
    for r in records { if let v = r.video { byVideo[v] = r } }
    var text = reportHeader + "\n"
    for r in records {
      let answer =
        r.kind == .duplicate ? r.duplicateOf.flatMap { byVideo[$0]?.identify } : r.identify
      let status: String =
        switch r.kind {
        case .failed: "failed"
        case .unfinished: "unfinished"
        case .duplicate: "duplicate"
        default: answer?.hero == nil ? "unknown" : "ok"
        }
      let fields: [String] =
        [
          r.video ?? "", status, answer?.hero ?? "",
          answer.map { String(format: "%.4f", $0.confidence) } ?? "",
          answer.map { "\($0.frames)" } ?? "", answer.map { "\($0.gameplayFrames)" } ?? "",
          answer?.reason ?? (r.kind == .duplicate ? "duplicate of \(r.duplicateOf ?? "?")" : ""),
          r.error ?? "",
        ] + Self.geometryColumns(answer?.geometry) + [Self.segmentsColumn(answer?.segments ?? [])]
      text += CSV.line(fields)
    }
    do { try AtomicFile.write(Data(text.utf8), to: url) } catch {
      throw WriteError(path: url.path, what: "report", error: error)
    }
  }

  /// The `segments` column: empty for one segment or none.
  public static func segmentsColumn(_ segments: [IdentifyResult.Segment]) -> String {
    guard segments.count > 1 else { return "" }
    return segments.map {
      "\($0.hero ?? "unknown") " + String(format: "%.1f-%.1f", $0.start, $0.end)
    }.joined(separator: "; ")
  }

  /// `picture,hud_scale,hud_dx,hud_dy` of a report row (empty with `--fixed-layout`, and the HUD
  /// columns empty when none was found).
  static func geometryColumns(_ g: HUDFound?) -> [String] {
    guard let g else { return ["", "", "", ""] }
    let p = g.picture
    let picture = "\(p[2])x\(p[3])+\(p[0])+\(p[1])"
    guard let h = g.geometry else { return [picture, "", "", ""] }
    return [
      picture, String(format: "%.3f", h.scale), String(format: "%.1f", h.dx),
      String(format: "%.1f", h.dy),
    ]
  }

  /// The `--json` line of one clip: the same object as `identify --json` (video as found in the
  /// tree), then `skipped` ("already done") or `duplicate_of`; a failed clip is
  /// `{"video", "error"}`.
  public static func json(_ r: BatchResult) -> JSONValue {
    var fields: [JSONValue.Field]
    if let id = r.record.identify, case .object(let f) = id.json(video: r.video.path) {
      fields = f
    } else {
      fields = [.init("video", .string(r.video.path))]
    }
    if let error = r.record.error { fields.append(.init("error", .string(error))) }
    if let d = r.record.duplicateOf { fields.append(.init("duplicate_of", .string(d))) }
    if r.outcome == .alreadyDone { fields.append(.init("skipped", .string("already done"))) }
    return .object(fields)
  }
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
