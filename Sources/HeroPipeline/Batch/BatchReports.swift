import Foundation
import HeroCore
import Labeler

/// The end-of-run summary of a batch: printed on stderr, the last line of the JSONL report,
/// and (with `--json`) the last line on stdout.
public struct BatchSummary: Sendable {
  public struct Failure: Sendable {
    public var video: String
    public var error: String
  }
  public var command: String
  public var shard: String
  /// Videos of this shard in the tree.
  public var videos: Int
  public var ok = 0
  public var failed = 0
  public var duplicates = 0
  public var alreadyDone = 0
  /// Key frames decoded by this run.
  public var frames = 0
  /// Crops written by this run, and per hero.
  public var crops = 0
  public var cropsPerHero: [String: Int] = [:]
  /// `batch identify`: clips per answer ("unknown" for no answer).
  public var answers: [String: Int]?
  /// `batch identify`: how the clips identified by this run got their crops' bottlenecks
  /// (issue 28: reused within each clip); nil for the other commands.
  public var bottlenecks: BottleneckUse?
  public var failures: [Failure] = []
  /// Duplicates of a video that failed (the same broken bytes under other names): counted
  /// among the duplicates, listed here with the original and its reason.
  public var duplicatesOfFailed: [Failure] = []
  /// Videos this run could not process because of the machine (``BatchOutcome/unfinished``),
  /// with the cause; the next run processes them again.
  public var unfinished: [Failure] = []
  /// Videos not started because the run stopped (``stopped``).
  public var notStarted = 0
  /// The failure of the machine that stopped the run (nil: it was not stopped).
  public var stopped: String?
  public var seconds: Double = 0

  /// True when the machine failed (some video unfinished, the run stopped): the exit status is
  /// ``MachineFailure/exitStatus`` and the same command, run again once the machine is fixed,
  /// does what is left.
  public var machineFailed: Bool { !unfinished.isEmpty || notStarted > 0 || stopped != nil }

  /// The exit status of the run: 0 when every video is settled well, 1 when some video failed
  /// (the input's fault), 75 when the machine failed (``machineFailed``; before 1: the run is
  /// not finished).
  public var exitStatus: Int32 {
    machineFailed ? MachineFailure.exitStatus : failed > 0 ? 1 : 0
  }

  public init(command: String, shard: Shard, results: [BatchResult], seconds: Double) {
    self.command = command
    self.shard = shard.description
    self.videos = results.count
    self.seconds = seconds
    for r in results {
      switch r.outcome {
      case .ok:
        ok += 1
        frames += r.record.frames ?? r.record.identify?.frames ?? 0
        if let crops = r.record.crops, let hero = r.record.hero, r.record.identify == nil {
          self.crops += crops.count
          cropsPerHero[hero, default: 0] += crops.count
        }
        if let id = r.record.identify {
          answers = answers ?? [:]
          answers?[id.hero ?? "unknown", default: 0] += 1
          bottlenecks = (bottlenecks ?? BottleneckUse()) + (id.bottlenecks ?? BottleneckUse())
        }
      case .failed:
        failed += 1
        failures.append(Failure(video: r.video.relativePath, error: r.record.error ?? "failed"))
      case .duplicate:
        duplicates += 1
        if let error = r.record.error {
          duplicatesOfFailed.append(Failure(video: r.video.relativePath, error: error))
        }
      case .alreadyDone where r.record.kind == .duplicate && r.record.error != nil:
        alreadyDone += 1
        duplicatesOfFailed.append(
          Failure(
            video: r.video.relativePath, error: (r.record.error ?? "") + " (earlier run)"))
      case .alreadyDone where r.record.kind == .failed:
        // Failed in an earlier run and not retried: still a failure of this output.
        failed += 1
        failures.append(
          Failure(
            video: r.video.relativePath, error: (r.record.error ?? "failed") + " (earlier run)"))
      case .alreadyDone: alreadyDone += 1
      case .unfinished:
        unfinished.append(Failure(video: r.video.relativePath, error: r.record.error ?? "failed"))
      case .notStarted: notStarted += 1
      }
    }
  }

  /// The human summary, several lines, for stderr.
  public var text: String {
    var lines = [
      "\(command): \(videos) videos (shard \(shard)): \(ok) ok, \(failed) failed, "
        + "\(duplicates) duplicate"
        + (duplicatesOfFailed.isEmpty ? "" : " (\(duplicatesOfFailed.count) of a failed video)")
        + ", \(alreadyDone) already done"
        + (unfinished.isEmpty ? "" : ", \(unfinished.count) unfinished")
        + (notStarted == 0 ? "" : ", \(notStarted) not started")
        + "; \(frames) frames"
        + (answers == nil ? ", \(crops) crops" : "") + " in "
        + String(format: "%.1fs", seconds)
    ]
    if !cropsPerHero.isEmpty {
      lines.append(
        "  crops per hero: "
          + cropsPerHero.keys.sorted().map { "\($0) \(cropsPerHero[$0] ?? 0)" }.joined(
            separator: ", "))
    }
    if let answers, !answers.isEmpty {
      lines.append(
        "  answers: "
          + answers.keys.sorted().map { "\($0) \(answers[$0] ?? 0)" }.joined(separator: ", "))
    }
    if let bottlenecks, bottlenecks.crops > 0 { lines.append("  " + bottlenecks.text) }
    for f in failures { lines.append("  failed: \(f.error)") }
    for f in duplicatesOfFailed { lines.append("  failed (duplicate): \(f.error)") }
    for f in unfinished { lines.append("  unfinished: \(f.error)") }
    // The cause, unless it is an unfinished video's listed above.
    if let stopped, !unfinished.contains(where: { $0.error == stopped }) {
      lines.append("  stopped by: \(stopped)")
    }
    if machineFailed {
      lines.append(
        "  \(stopped == nil ? "" : "stopped: ")the machine failed "
          + "(\(unfinished.count + notStarted) videos left, not the videos' fault): fix it (free "
          + "space, permissions), then run the same command again; it does what is left")
    }
    return lines.joined(separator: "\n")
  }
}

extension BatchSummary {
  /// The summary object of the reports and of `--json` (`{"summary": ...}` wraps it).
  public var json: JSONValue {
    .object([
      "command": .string(command), "shard": .string(shard), "videos": .int(videos),
      "ok": .int(ok), "failed": .int(failed), "duplicates": .int(duplicates),
      "already_done": .int(alreadyDone), "frames": .int(frames), "crops": .int(crops),
      "crops_per_hero": .object(
        cropsPerHero.keys.sorted().map { .init($0, .int(cropsPerHero[$0] ?? 0)) }),
      "answers": answers.map { a in .object(a.keys.sorted().map { .init($0, .int(a[$0] ?? 0)) }) },
      "failures": .array(
        failures.map { .object(["video": .string($0.video), "error": .string($0.error)]) }),
      "duplicates_of_failed": .array(
        duplicatesOfFailed.map {
          .object(["video": .string($0.video), "error": .string($0.error)])
        }),
      "unfinished": .array(
        unfinished.map { .object(["video": .string($0.video), "error": .string($0.error)]) }),
      "not_started": .int(notStarted),
      "stopped": stopped.map { .string($0) },
      "seconds": .rounded(seconds, 3),
      "bottlenecks": bottlenecks?.json,
    ])
  }

  /// The last line of a report and of `--json`: `{"summary": {...}}`.
  public var line: JSONValue { .object(["summary": json]) }
}

/// What a batch run did: every video of the shard (or every shard's video, for merge), the
/// summary (also the report's last line) and the report it wrote.
public struct BatchRun: Sendable {
  public var results: [BatchResult]
  public var summary: BatchSummary
  /// `OUT/batch-report.jsonl`, or the CSV report of `batch identify`.
  public var report: String
  /// The report could not be written because of the machine (a full disk): the error, while
  /// the journal keeps every video's outcome (the next run writes the report).
  public var reportFailure: String?

  public init(results: [BatchResult], summary: BatchSummary, report: String) {
    self.results = results
    self.summary = summary
    self.report = report
  }

  /// The run, after `write` wrote its report; a failure of the machine there is kept in
  /// ``reportFailure`` (and ``summary`` says the machine failed), any other is thrown.
  init(
    results: [BatchResult], summary: BatchSummary, report: String,
    write: () async throws -> Void
  ) async throws {
    self.init(results: results, summary: summary, report: report)
    do { try await write() } catch  where MachineFailure.isMachineFailure(error) {
      reportFailure = "\(error)"
      self.summary.stopped = self.summary.stopped ?? "\(error)"
    }
  }
}

/// The status of a settled video in the reports: ok, failed, duplicate.
func reportStatus(_ r: BatchRecord) -> String {
  switch r.kind {
  case .done: "ok"
  case .failed: "failed"
  case .duplicate: "duplicate"
  default: r.kind.rawValue
  }
}

/// One video of a crop folder's report (`OUT/batch-report.jsonl`) and of `batch extract
/// --json`: video, status, hash, hero, frames, kept, screens, crops, error, duplicate_of,
/// seconds (absent fields left out). `cropPrefix` goes before each crop path.
public func cropReportJSON(
  _ r: BatchRecord, video: String? = nil, status: String? = nil, cropPrefix: String = ""
) -> JSONValue {
  let prefix = cropPrefix.isEmpty || cropPrefix.hasSuffix("/") ? cropPrefix : cropPrefix + "/"
  return .object([
    "video": .string(video ?? r.video ?? ""), "status": .string(status ?? reportStatus(r)),
    "hash": r.hash.map { .string($0) }, "hero": r.hero.map { .string($0) },
    "frames": r.frames.map { .int($0) }, "kept": r.crops.map { .int($0.count) },
    "screens": r.screens.map { s in .object(s.keys.sorted().map { .init($0, .int(s[$0] ?? 0)) }) },
    "crops": r.crops.map { .strings($0.map { prefix + $0.file }) },
    "error": r.error.map { .string($0) }, "duplicate_of": r.duplicateOf.map { .string($0) },
    "seconds": r.seconds.map { .rounded($0, 3) },
    "geometry": r.geometry.map { .object($0.fields) },
    "label_check": r.labelCheck.map(\.json),
  ])
}

/// The `--json` line of a batch result: the video as found in the tree, crop paths under
/// `cropPrefix`, status `already_done` for a video settled by an earlier run, `not_started`
/// for one a stopped run did not start.
public func cropReportJSON(_ result: BatchResult, cropPrefix: String) -> JSONValue {
  cropReportJSON(
    result.record, video: result.video.path,
    status: result.outcome == .alreadyDone || result.outcome == .notStarted
      ? result.outcome.rawValue : nil,
    cropPrefix: cropPrefix)
}

/// Writes the JSONL report of a crop folder atomically: one line per settled video (every run
/// so far, sorted by path), then `{"summary": ...}` of this run.
func writeCropReport(records: [BatchRecord], summary: BatchSummary, to url: URL) throws {
  var text = ""
  for r in records { text += cropReportJSON(r).text + "\n" }
  text += summary.line.text + "\n"
  do { try AtomicFile.write(Data(text.utf8), to: url) } catch {
    throw WriteError(path: url.path, what: "report", error: error)
  }
}
