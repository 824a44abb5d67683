import ArgumentParser
import Foundation
import FrameExtractor
import HeroCore
import HeroPipeline
import Labeler
import Preprocess

/// `hero-id extract`: key frames of each video → screen sort → skill-2 crop of the gameplay
/// frames → labelled JPEGs in `DIR/<hero>/` and rows in `DIR/index.csv` (CONTRACT.md).
///
/// The job is HeroPipeline's `ExtractJob` (`--frames`: `FramesJob`); this file maps the flags.
struct Extract: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "extract",
    abstract: "Sort the key frames of videos and write labelled skill-2 crops.",
    discussion: """
      Key frames (I-frames) are decoded through libav; the game picture is found (bars and \
      stream layouts cut off) and scaled by libswscale to 720 lines with its aspect ratio kept; \
      the HUD is found per video (any HUD scale and position); each frame is sorted into \
      gameplay, loading, shop or other; the crop of the second skill button of every gameplay \
      frame (at the found button, resampled to the layout's 104x104 crop size) is written as a \
      JPEG (quality 95) named \
      DIR/<hero>/<hero>_<NNNNNN>.jpg, the counter continuing after the files already there, and \
      DIR/index.csv gets a row file,video,pts_seconds,screen,hero for each.

      --slots 1,2,3 crops every skill button (so that a model learns each hero's three icons; \
      recommended for scraped footage): slot K as DIR/<hero>/<hero>_<NNNNNN>-skillK.jpg under \
      its frame's number, one index row each.

      --fixed-layout reads every frame the mission's original way instead: stretched to \
      1280x720, the crop at the layout profile's fixed place (docs/footage.md).

      The hero comes from --hero, else from the --manifest CSV (video,hero rows; relative paths \
      are relative to the manifest), else from the name of the video's parent folder. Any \
      Unicode name works; names that cannot be a folder name (empty, ".", "..", "/", a leading \
      dot, control characters) are refused.

      Running extract again on a video already extracted adds no duplicate crops: frames are \
      keyed by the video's content (SHA-1) and pts, recorded in DIR/.extract-keys.csv.

      --json prints one object per video: {"video", "hero", "frames", "kept", "screens": \
      {"gameplay", "loading", "shop", "other"}, "crops": [new crop files], "geometry" (the \
      picture and HUD found; not with --fixed-layout)}; "kept" counts the \
      gameplay frames (crops written now or by an earlier run). A video that fails: \
      {"video", "error"}. A summary per video goes to stderr.

      --check-with MODEL has a trained model identify each video too and judge its label: a \
      video whose gameplay frames mostly name another hero "disagrees", one with a segment of \
      another hero "partly" disagrees (a warning on stderr, "label_check" in --json); \
      --drop-disagreeing keeps the crops of such a video, or of such segments, out of DIR \
      (docs/training.md).

      --frames writes every decoded frame whole instead (DIR/<stem>/<stem>_<NNNNNN>.jpg, no \
      sorting, no labels; --size and --quality apply); its --json objects are {"video", \
      "frames", "written": [...]}.
      """)

  @Argument(help: "Video files (any format libavformat reads).")
  var videos: [String] = []

  @Option(
    name: .long,
    help: ArgumentHelp("Output folder (default: crops, or frames with --frames).", valueName: "DIR")
  )
  var out: String?

  @Option(name: .long, help: ArgumentHelp("The hero of every video given.", valueName: "NAME"))
  var hero: String?

  @Option(
    name: .long,
    help: ArgumentHelp("CSV of video,hero rows naming each video's hero.", valueName: "CSV"))
  var manifest: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "At most one frame per interval of this many seconds (as ffmpeg -r).", valueName: "SECONDS"))
  var every: Double?

  @Option(
    name: .long, help: ArgumentHelp("Layout profile JSON (default: built in).", valueName: "FILE"))
  var layout: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Screen model JSON from `hero-id screens train` (default: built in).", valueName: "FILE"))
  var screenModel: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Write the rejected frames whole to DIR/<loading|shop|other>/ for inspection.",
      valueName: "DIR"))
  var keepRejected: String?

  @Flag(name: .long, help: "Write every decoded frame whole instead of sorting and cropping.")
  var frames = false

  @OptionGroup var footage: FootageOptions

  @OptionGroup var check: LabelCheckOptions

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Skill slots to crop from each gameplay frame, e.g. 1,2,3 (default: the layout's crop "
        + "slot, 2). Slot 2's crop is <hero>_NNNNNN.jpg; slot K's <hero>_NNNNNN-skillK.jpg.",
      valueName: "LIST"))
  var slots: String?

  @Flag(name: .long, help: "Decode every frame, not only key frames (combine with --every).")
  var allFrames = false

  @Option(
    name: .long, help: ArgumentHelp("Frame size with --frames, WIDTHxHEIGHT.", valueName: "WxH"))
  var size: String = "1280x720"

  @Option(name: .long, help: ArgumentHelp("JPEG quality with --frames, 1 to 100.", valueName: "Q"))
  var quality: Int = 95

  @Option(
    name: .long,
    help:
      "Videos decoded in parallel (their crops are still committed, and numbered, in the order given)."
  )
  var jobs: Int = 2

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Decoder threads per video (0: all cores for one video, a share of them with --jobs).",
      visibility: .hidden))
  var decoderThreads: Int = 0

  @Flag(name: .long, help: "One JSON object per video on stdout.")
  var json = false

  func validate() throws {
    try validateSlots(slots, layoutPath: layout)
    guard !videos.isEmpty else { throw ValidationError("give at least one video") }
    var usage = ExtractUsage()
    usage.frames = frames
    (usage.hero, usage.manifest, usage.keepRejected) = (hero, manifest, keepRejected)
    (usage.layout, usage.screenModel, usage.slots) = (layout, screenModel, slots)
    (usage.checkWith, usage.size, usage.quality) = (check.checkWith, size, quality)
    (usage.jobs, usage.every) = (jobs, every)
    if let problem = usage.problem { throw ValidationError(problem) }
  }

  func run() async throws {
    let control = JobControl(observer: StderrObserver())
    if frames {
      var o = FramesJob.Options()
      o.out = out ?? "frames"
      (o.width, o.height) = FramesJob.frameSize(size) ?? (1280, 720)
      o.quality = quality
      o.everySeconds = every
      o.allFrames = allFrames
      o.jobs = jobs
      o.decoderThreads = decoderThreads == 0 ? nil : decoderThreads
      let results = await FramesJob(options: o).run(videos, control: control)
      if json { printJSON(results.map(\.json)) }
      if results.contains(where: { $0.error != nil }) { throw ExitCode.failure }
      return
    }
    var o = ExtractJob.Options()
    o.out = out ?? "crops"
    o.labels = LabelSource(
      hero: try hero.map { try HeroName.validate($0, source: "--hero") },
      manifest: try manifest.map { try Manifest.load(path: $0) })
    o.layout = try Layouts.load(path: layout)
    o.screenModel = screenModel
    o.everySeconds = every
    o.allFrames = allFrames
    o.keepRejected = keepRejected
    o.footage = footage.settings
    o.slots = try slotList(slots, layout: o.layout)
    o.jobs = jobs
    o.decoderThreads = decoderThreads == 0 ? nil : decoderThreads
    o.labelCheck = check.settings
    let results = try await ExtractJob(options: o).run(videos, control: control)
    if json { printJSON(results.map(\.json)) }
    // 75 when the machine failed (fix it and run the same command again), else 1 for a bad video.
    if results.contains(where: \.isMachineFailure) { throw ExitCode(MachineFailure.exitStatus) }
    if results.contains(where: { $0.error != nil }) { throw ExitCode.failure }
  }
}

/// `--check-with MODEL` and `--drop-disagreeing`, shared by `extract` and `batch extract`
/// (``LabelCheck``, docs/training.md).
struct LabelCheckOptions: ParsableArguments {
  @Option(
    name: .customLong("check-with"),
    help: ArgumentHelp(
      "A model from `hero-id train` that identifies each video too: videos whose gameplay frames "
        + "mostly name another hero than their label are reported.", valueName: "MODEL"))
  var checkWith: String?

  @Flag(
    name: .customLong("drop-disagreeing"),
    help: ArgumentHelp(
      "With --check-with: keep the crops of such videos (or of their segments that name "
        + "another hero) out of the crop folder."))
  var dropDisagreeing = false

  /// The job's settings.
  var settings: LabelCheckSettings {
    LabelCheckSettings(checkWith: checkWith, dropDisagreeing: dropDisagreeing)
  }

  func validate() throws {
    if let problem = settings.usageProblem { throw ValidationError(problem) }
  }
}
