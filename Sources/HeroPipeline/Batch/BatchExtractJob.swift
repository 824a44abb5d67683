import Foundation
import FrameExtractor
import HeroCore
import Labeler
import Preprocess

/// `batch extract`: a scraped tree (one folder per hero) → a crop folder, resumable after
/// `kill -9`, shardable (docs/batch.md). Each video goes through the chain of `extract`
/// (``CropStager``), is staged, and committed whole through the folder's journal.
public struct BatchExtractJob: Sendable {
  public struct Options: Sendable {
    /// The crop folder (created if needed).
    public var out: String
    public var everySeconds: Double?
    /// A layout profile file (nil: the built-in one).
    public var layout: String?
    public var shard = Shard.all
    /// Videos at once.
    public var jobs = defaultBatchJobs()
    public var retryFailed = false
    /// Where the HUD is read, as `extract` (found by default; `--fixed-layout`: fixed).
    public var placement = HUDPlacement.found
    /// `--debug-hud`: one annotated frame per video into this folder.
    public var debugHUD: String?
    /// `--slots`, as `extract --slots` (nil: the layout's crop slot alone).
    public var slots: [String]?
    /// `--check-with` and `--drop-disagreeing`, as `extract`'s.
    public var checkWith: String?
    public var dropDisagreeing = false
    /// `--max-key-frames`: the per-video work bound (``ExtractOptions/maxFrames``; nil: none).
    public var maxKeyFrames: Int? = ExtractOptions.defaultMaxFrames
    public init(out: String) { self.out = out }
  }

  public var options: Options

  public init(options: Options) { self.options = options }

  /// Extracts the videos of `tree` in this shard. Throws when the run cannot start (tree,
  /// layout, an output started with other options); failed videos are in the outcome.
  public func run(tree: String, control: JobControl) async throws -> BatchRun {
    let started = Date()
    let profile = try Layouts.load(path: options.layout)
    let shard = options.shard
    let walked = try VideoTree.walk(under: tree)
    // Named pipes, devices and sockets with a video's name: one line each, never opened.
    for entry in walked.skipped { control.observer.note("batch extract: \(entry.message)") }
    let videos = walked.videos.filter { shard.contains(relativePath: $0.relativePath) }
    let policy = ThreadPolicy.forRun(jobs: options.jobs, items: videos.count)
    policy.apply()
    let outURL = URL(fileURLWithPath: options.out, isDirectory: true)
    var settings = [
      "every": options.everySeconds.map { "\($0)" } ?? "every key frame",
      "layout": SHA1.hex(profile.jsonData()),
    ]
    // A journal from before the option (no such key) resumes either way.
    settings["footage"] = options.placement.journalValue
    // The work bound changes what a long video gives; journals from before it resume either way.
    settings["max-key-frames"] = options.maxKeyFrames.map { "\($0)" } ?? "none"
    let slots = options.slots ?? [profile.crop.slot]
    settings["slots"] = slots.joined(separator: ",")
    let checker = try options.checkWith.map {
      try LabelChecker(
        model: $0, inception: nil, placement: options.placement, drop: options.dropDisagreeing,
        videos: videos.count, maxKeyFrames: options.maxKeyFrames)
    }
    // Dropping changes what a video adds: a resumed batch drops by the same model.
    if let checker, checker.drop { settings["drop-disagreeing"] = checker.journalValue }
    let store = try BatchStore(
      journalURL: outURL.appendingPathComponent(".batch/journal.jsonl"), cropRoot: outURL,
      options: settings)
    for n in store.recoveryNotes { control.observer.note("batch extract: \(n)") }
    let stager = CropStager(
      sorter: try ScreenSorter(layout: profile), layout: profile,
      decoding: options.placement.decoding(
        everySeconds: options.everySeconds, decoderThreads: policy.decoderThreads,
        maxFrames: options.maxKeyFrames),
      keepRejected: nil, store: store, placement: options.placement, debugHUD: options.debugHUD,
      slots: slots, sorters: ScreenSorterCache(layout: profile))
    let driver = BatchDriver(
      label: "batch extract", store: store, jobs: policy.tasks, retryFailed: options.retryFailed,
      control: control)
    let results = await driver.run(videos) { video, base, began in
      var staged: StagedExtraction
      let check: LabelCheck?
      do {
        staged = try await stager.stage(video.path, hero: { video.label }, control: control)
        check = try checker?.check(&staged, control: control)
      } catch {
        let message = describeVideoError(error, video: video.path)
        if let code = MachineFailure.code(of: error) {
          throw BatchError.machine(message, code: code)
        }
        throw BatchError.stage(message)
      }
      if let line = check?.warning {
        control.observer.note("batch extract: \(MessageText.escaped(video.path)): warning: \(line)")
      }
      defer { try? FileManager.default.removeItem(at: staged.staging) }
      var record = base
      record.hero = staged.video.hero
      record.frames = staged.video.frames
      record.screens = staged.video.screens
      record.geometry = staged.result.geometry
      record.labelCheck = check
      record.seconds = Date().timeIntervalSince(began)
      return try await store.commitCrops(staged.video, record: record, link: false)
    }
    var summary = BatchSummary(
      command: "batch extract", shard: shard, results: results,
      seconds: Date().timeIntervalSince(started))
    summary.stopped = driver.stop.reason
    let reportURL = outURL.appendingPathComponent("batch-report.jsonl")
    return try await BatchRun(results: results, summary: summary, report: reportURL.path) {
      try writeCropReport(records: await store.allSettled(), summary: summary, to: reportURL)
    }
  }
}
