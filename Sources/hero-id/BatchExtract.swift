import ArgumentParser
import Foundation
import FrameExtractor
import HeroCore
import Labeler
import Preprocess

struct BatchExtract: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "extract",
    abstract: "Turn a scraped tree of videos (one folder per hero) into labelled crops.",
    discussion: """
      Walks TREE for videos (.mp4, .mkv, .mov, .webm, ...; hidden files skipped); each video's \
      label is the name of the folder it sits in. Writes CROPS/<hero>/<hero>_NNNNNN.jpg \
      (counters continue after files already there) and CROPS/index.csv \
      (file,video,pts_seconds,screen,hero; video is the path relative to TREE), as \
      `hero-id extract` does. Also writes CROPS/batch-report.jsonl (one line per video, then a \
      summary) and keeps its journal in CROPS/.batch/.

      Exit 0 when every video of the shard is done, 1 when any failed (the others are finished \
      first), 2 on bad usage.
      """)

  @Argument(help: "Folder of videos, one sub-folder per hero.")
  var tree: String

  @Option(help: "Crop folder to write (created if needed).")
  var out: String

  @Option(help: "At most one frame per this many seconds (as ffmpeg -r).")
  var every: Double?

  @Option(help: "Layout profile JSON (default: the built-in 1280x720 landscape HUD).")
  var layout: String?

  @OptionGroup var batch: BatchOptions

  func validate() throws {
    if let every, let why = ExtractOptions.everyProblem(every) { throw ValidationError(why) }
  }

  func run() async throws {
    let started = Date()
    let profile = try Layouts.load(path: layout)
    let videos = try batch.videos(in: tree)
    let outURL = URL(fileURLWithPath: out, isDirectory: true)
    let store = try BatchStore(
      journalURL: outURL.appendingPathComponent(".batch/journal.jsonl"), cropRoot: outURL,
      options: [
        "every": every.map { "\($0)" } ?? "every key frame",
        "layout": SHA1.hex(profile.jsonData()),
      ])
    if !batch.quiet { for n in store.recoveryNotes { printError("batch extract: \(n)") } }
    let extract = try makeCropExtractor(every: every, layout: profile, jobs: batch.jobCount)
    let results = await batch.driver(label: "batch extract", store: store).run(videos) {
      video, base, began in
      let staging = try await store.stagingFolder(hash: base.hash ?? "unknown")
      defer { try? FileManager.default.removeItem(at: staging) }
      let staged = try await extract(video, staging)
      var record = base
      record.hero = staged.hero
      record.frames = staged.frames
      record.screens = staged.screens
      record.seconds = Date().timeIntervalSince(began)
      return try await store.commitCrops(staged, record: record, link: false)
    }
    let summary = BatchSummary(
      command: "batch extract", shard: batch.shard, results: results,
      seconds: Date().timeIntervalSince(started))
    let reportURL = outURL.appendingPathComponent("batch-report.jsonl")
    try writeCropReport(records: await store.allSettled(), summary: summary, to: reportURL)
    if batch.json {
      printLines(
        results.map { reportJSON(ReportLine($0, cropPrefix: out)) }
          + [reportJSON(["summary": summary])])
    }
    if !batch.quiet { printError(summary.text + "\nreport: \(reportURL.path)") }
    if summary.failed > 0 { throw ExitCode.failure }
  }
}

/// Extracts one video's crops into a staging folder.
typealias CropExtractor = @Sendable (VideoFile, URL) async throws -> StagedVideo

/// The per-video chain of `hero-id extract` (`extractCrops`: key frames -> screen sort ->
/// skill crop -> JPEG), run with a `CropStore` rooted in the video's staging folder; the staged
/// crops are read back from that folder's `index.csv`. With more than one job, each decoder gets
/// one thread, so the videos, not the threads, share the cores.
func makeCropExtractor(every: Double?, layout: LayoutProfile, jobs: Int) throws -> CropExtractor {
  let sorter = try ScreenSorter(layout: layout)
  let options = ExtractOptions(
    everySeconds: every, width: layout.frame.width, height: layout.frame.height,
    decoderThreads: jobs > 1 ? 1 : 0)
  return { video, staging in
    let store = try CropStore(root: staging.path)
    let run = CropRun(
      sorter: sorter, layout: layout, options: options, labels: LabelSource(), store: store,
      keepRejected: nil)
    let outcome = await extractCrops(video.path, run: run)
    if let error = outcome.error { throw BatchError.stage(error) }
    let rows = try CropStore.readIndex(root: staging.path)
    var screens: [String: Int] = [:]
    for s in Screen.allCases { screens[s.rawValue] = outcome.screens[s] ?? 0 }
    return StagedVideo(
      hero: outcome.hero ?? video.label, frames: outcome.frames, screens: screens,
      crops: rows.map {
        StagedCrop(
          file: staging.appendingPathComponent($0.file), ptsSeconds: $0.ptsSeconds,
          screen: $0.screen.rawValue)
      })
  }
}
