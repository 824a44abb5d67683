import ArgumentParser
import Foundation
import HeroCore
import HeroPipeline
import Preprocess

struct Batch: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "batch",
    abstract: "Process whole trees of videos: parallel, resumable, observable, shardable.",
    discussion: """
      batch extract TREE --out CROPS          scraped tree -> labelled crops
      batch identify TREE --model DIR --report FILE.csv
                                              any tree -> one row per clip
      batch merge SHARD_OUT... --out DIR      shard outputs -> one training set

      Resumable: every settled video is journaled (append-only JSONL, fsync'd) in \
      CROPS/.batch/journal.jsonl (identify: FILE.csv.journal.jsonl), keyed by the SHA-1 of the \
      video's content. A run killed at any point (even kill -9) and started again with the same \
      command finishes the rest: finished videos are not redone, a half-committed video is \
      rolled back and redone, and no crop or index row is duplicated or half-written. The same \
      video under two names is processed once (the other is reported as a duplicate). Failed \
      videos are not retried by a restart unless --retry-failed.

      A failure of the machine (no space left, a read-only file system, permission denied, an \
      I/O error) is not the video's: it is journaled "unfinished", and when it came from \
      writing the output the run stops there (every further video would fail the same way). \
      Fix the machine and run the same command again: it retries those videos, no flag needed.

      Exit status: 0 every video settled well; 1 some video failed (its own fault: named on \
      stderr and in the report; the others are finished first); 2 bad usage; 75 (EX_TEMPFAIL) \
      the machine failed (the run stopped or left videos unfinished; the cause is named), \
      whether or not some video failed too.

      Sharding: --shard K/N keeps the videos whose path relative to TREE hashes (SHA-1) to \
      shard K of N, so N machines split one corpus with no coordination; `batch merge` then \
      combines their outputs.

      Progress goes to stderr (a redrawn bar on a terminal, plain lines otherwise), then a \
      summary. See docs/batch.md.
      """,
    subcommands: [BatchExtract.self, BatchIdentify.self, BatchMerge.self])
}

/// Options shared by `batch extract` and `batch identify`.
struct BatchOptions: ParsableArguments {
  @Option(
    name: .customLong("shard"),
    help: ArgumentHelp(
      "Process only shard K of N (K from 1 to N), chosen by a stable hash of each video's path.",
      valueName: "K/N"))
  var shardText: String?

  @Option(help: "Videos processed at once (default: one per core).")
  var jobs: Int?

  @Flag(help: "Process again the videos that failed in an earlier run.")
  var retryFailed = false

  @Flag(help: "Per-video JSON objects, then a summary object, on stdout.")
  var json = false

  @Flag(help: "No progress, notes or summary on stderr (the exit status still tells).")
  var quiet = false

  func validate() throws {
    if let shardText {
      do { _ = try Shard(parsing: shardText) } catch { throw ValidationError("\(error)") }
    }
    if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
  }

  var shard: Shard { shardText.flatMap { try? Shard(parsing: $0) } ?? .all }
  var jobCount: Int { jobs ?? defaultBatchJobs() }

  /// Progress and notes on stderr, none with --quiet.
  var control: JobControl { JobControl(observer: StderrObserver(quiet: quiet, quietNotes: quiet)) }

  /// Prints the end of a run: `--json` lines, the summary on stderr, and the exit status.
  func finish(lines: [JSONValue], run: BatchRun) throws {
    try finishBatch(lines: lines, run: run, json: json, quiet: quiet)
  }
}

/// The end of a batch run: `--json` lines, the summary on stderr (the report, or why it could
/// not be written), and the exit status (``BatchSummary/exitStatus``: 0, 1, or 75 when the
/// machine failed).
func finishBatch(lines: [JSONValue], run: BatchRun, json: Bool, quiet: Bool) throws {
  if json { printJSON(lines + [run.summary.line]) }
  if let failure = run.reportFailure {
    // Said even with --quiet: the file the user will look for is not there.
    printError((quiet ? "" : run.summary.text + "\n") + "report not written: \(failure)")
  } else if !quiet {
    printError(run.summary.text + "\nreport: \(run.report)")
  }
  let status = run.summary.exitStatus
  if status != 0 { throw ExitCode(status) }
}

struct BatchExtract: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "extract",
    abstract: "Turn a scraped tree of videos (one folder per hero) into labelled crops.",
    discussion: """
      Walks TREE for videos (.mp4, .mkv, .mov, .webm, ...; hidden files skipped); each video's \
      label is the name of the folder it sits in. Writes CROPS/<hero>/<hero>_NNNNNN.jpg \
      (counters continue after files already there), CROPS/index.csv \
      (file,video,pts_seconds,screen,hero; video is the path relative to TREE) and \
      CROPS/.extract-keys.csv, as `hero-id extract` does. Also writes CROPS/batch-report.jsonl \
      (one line per video, then a summary) and keeps its journal in CROPS/.batch/.

      --check-with MODEL judges each video's label by a trained model (warnings on stderr, \
      "label_check" in the report); --drop-disagreeing keeps the disputed crops out, as \
      `hero-id extract` does.

      Exit 0 when every video of the shard is done, 1 when any failed (the others are finished \
      first), 2 on bad usage, 75 when the machine failed (a full disk, a read-only or \
      forbidden output: the run stops; fix it and run the same command again).
      """)

  @Argument(help: "Folder of videos, one sub-folder per hero.")
  var tree: String

  @Option(help: "Crop folder to write (created if needed).")
  var out: String

  @Option(help: "At most one frame per this many seconds (as ffmpeg -r).")
  var every: Double?

  @Option(help: "Layout profile JSON (default: the built-in 1280x720 landscape HUD).")
  var layout: String?

  @OptionGroup var footage: FootageOptions

  @OptionGroup var check: LabelCheckOptions

  @Option(
    help: ArgumentHelp(
      "Skill slots to crop, e.g. 1,2,3, as `hero-id extract --slots` (default: slot 2).",
      valueName: "LIST"))
  var slots: String?

  @OptionGroup var batch: BatchOptions

  func validate() throws {
    try validateEvery(every)
    try validateSlots(slots, layoutPath: layout)
  }

  func run() async throws {
    var o = BatchExtractJob.Options(out: out)
    o.everySeconds = every
    o.layout = layout
    o.slots = try slotList(slots, layout: Layouts.load(path: layout))
    o.footage = footage.settings
    o.labelCheck = check.settings
    o.shard = batch.shard
    o.jobs = batch.jobCount
    o.retryFailed = batch.retryFailed
    let outcome = try await BatchExtractJob(options: o).run(tree: tree, control: batch.control)
    try batch.finish(
      lines: outcome.results.map { cropReportJSON($0, cropPrefix: out) }, run: outcome)
  }
}

struct BatchIdentify: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "identify",
    abstract: "Identify the hero of every clip under a folder, into one CSV report.",
    discussion: """
      Walks TREE (any layout) for videos and runs `hero-id identify` on each. Writes FILE.csv \
      with one row per clip: video,status,hero,confidence,frames,gameplay_frames,reason,error, \
      picture,hud_scale,hud_dx,hud_dy (empty with --fixed-layout) \
      (video relative to TREE; status ok, unknown, duplicate or failed; hero empty when \
      unknown). The journal FILE.csv.journal.jsonl makes a killed run resumable; the report is \
      rewritten from it at the end of each run. With --jobs > 1 each clip's Inception pass uses \
      one BLAS thread, so the clips, not the threads, share the cores. --json prints, per clip, \
      the same object as `identify --json` (plus "skipped" or "duplicate_of"), then a summary. \
      Exit 0 when every clip was processed (an "unknown" answer is a success), 1 when any \
      failed, 2 on bad usage, 75 when the machine failed (the journal or the report could not \
      be written, a clip could not be read for its permissions: fix it and run the same command \
      again). A journal made with another model is refused (exit 1).
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
    var o = BatchIdentifyJob.Options(report: report)
    o.identify = chain.options(model: model, jobs: batch.jobCount)
    o.shard = batch.shard
    o.jobs = batch.jobCount
    o.retryFailed = batch.retryFailed
    let outcome = try await BatchIdentifyJob(options: o).run(tree: tree, control: batch.control)
    try batch.finish(lines: outcome.results.map(BatchIdentifyJob.json), run: outcome)
  }
}

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
      killed extract. The shards must have used the same --every and --layout. A video a \
      shard left unfinished (the machine failed there) is merged once that shard is run again.

      Exit 0 when every video is merged, 1 when a shard holds failed videos (carried over), \
      2 on bad usage, 75 when the machine failed (a full disk: the merge stops; free space and \
      merge again, it adds only what is left).
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
    let outcome = try await BatchMergeJob(options: .init(out: out)).run(
      shards: shardOutputs,
      control: JobControl(observer: StderrObserver(quiet: quiet, quietNotes: quiet)))
    try finishBatch(
      lines: outcome.results.map { cropReportJSON($0.record) }, run: outcome, json: json,
      quiet: quiet)
  }
}
