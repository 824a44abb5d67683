import Foundation
import HeroCore

/// The end-of-run summary of a batch: printed on stderr, the last line of the JSONL report,
/// and (with `--json`) the last line on stdout.
struct BatchSummary: Codable, Sendable {
  struct Failure: Codable, Sendable {
    var video: String
    var error: String
  }
  var command: String
  var shard: String
  /// Videos of this shard in the tree.
  var videos: Int
  var ok = 0
  var failed = 0
  var duplicates = 0
  var alreadyDone = 0
  /// Key frames decoded by this run.
  var frames = 0
  /// Crops written by this run, and per hero.
  var crops = 0
  var cropsPerHero: [String: Int] = [:]
  /// `batch identify`: clips per answer ("unknown" for no answer).
  var answers: [String: Int]?
  var failures: [Failure] = []
  var seconds: Double = 0

  init(command: String, shard: Shard, results: [BatchResult], seconds: Double) {
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
        }
      case .failed:
        failed += 1
        failures.append(Failure(video: r.video.relativePath, error: r.record.error ?? "failed"))
      case .duplicate: duplicates += 1
      case .alreadyDone where r.record.kind == .failed:
        // Failed in an earlier run and not retried: still a failure of this output.
        failed += 1
        failures.append(
          Failure(
            video: r.video.relativePath, error: (r.record.error ?? "failed") + " (earlier run)"))
      case .alreadyDone: alreadyDone += 1
      }
    }
  }

  /// The human summary, several lines, for stderr.
  var text: String {
    var lines = [
      "\(command): \(videos) videos (shard \(shard)): \(ok) ok, \(failed) failed, "
        + "\(duplicates) duplicate, \(alreadyDone) already done; \(frames) frames"
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
    for f in failures { lines.append("  failed: \(f.error)") }
    return lines.joined(separator: "\n")
  }
}

/// One video in the JSONL report of a crop folder (`OUT/batch-report.jsonl`).
struct ReportLine: Encodable {
  var video: String
  var status: String
  var hash: String?
  var hero: String?
  var frames: Int?
  var kept: Int?
  var screens: [String: Int]?
  var crops: [String]?
  var error: String?
  var duplicateOf: String?
  var seconds: Double?

  init(_ r: BatchRecord) {
    video = r.video ?? ""
    status =
      switch r.kind {
      case .done: "ok"
      case .failed: "failed"
      case .duplicate: "duplicate"
      default: r.kind.rawValue
      }
    hash = r.hash
    hero = r.hero
    frames = r.frames
    kept = r.crops?.count
    screens = r.screens
    crops = r.crops?.map(\.file)
    error = r.error
    duplicateOf = r.duplicateOf
    seconds = r.seconds.map { ($0 * 1000).rounded() / 1000 }
  }

  /// The `--json` line of a result: the video as found in the tree, crop paths under
  /// `cropPrefix` (the output folder as given), status `already_done` for a skipped video.
  init(_ result: BatchResult, cropPrefix: String) {
    self.init(result.record)
    video = result.video.path
    if result.outcome == .alreadyDone { status = BatchOutcome.alreadyDone.rawValue }
    let base = cropPrefix.hasSuffix("/") ? cropPrefix : cropPrefix + "/"
    crops = crops?.map { base + $0 }
  }
}

/// JSON as the reports and `--json` write it: snake_case keys, sorted, one line.
func reportJSON<T: Encodable>(_ value: T) -> String {
  let enc = JSONEncoder()
  enc.keyEncodingStrategy = .convertToSnakeCase
  enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
  guard let data = try? enc.encode(value) else { return "{}" }
  return String(decoding: data, as: UTF8.self)
}

/// Writes the JSONL report of a crop folder atomically: one line per settled video (every run
/// so far, sorted by path), then `{"summary": ...}` of this run.
func writeCropReport(records: [BatchRecord], summary: BatchSummary, to url: URL) throws {
  struct SummaryLine: Encodable { var summary: BatchSummary }
  var text = ""
  for r in records { text += reportJSON(ReportLine(r)) + "\n" }
  text += reportJSON(SummaryLine(summary: summary)) + "\n"
  do { try AtomicFile.write(Data(text.utf8), to: url) } catch {
    throw BatchError.cannotWrite(path: url.path, reason: "cannot write report")
  }
}
