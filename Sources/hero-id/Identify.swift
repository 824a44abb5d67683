import ArgumentParser
import Foundation
import FrameExtractor
import HeroCore
import HeroPipeline
import InceptionKernels

extension Precision: ExpressibleByArgument {}

struct Identify: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "identify",
    abstract: "Name the hero in each clip with a trained model.",
    discussion: """
      Each clip goes through the same chain as training data (key frames; the game picture at \
      720 lines; the HUD found; screen sorting; the crops of the skill buttons the model reads; \
      bottleneck; final layer); the gameplay frames' \
      log-probabilities are averaged into one answer. When no gameplay frame is found, or the \
      crops look too little like the winner's training crops (familiarity: the median over the \
      frames of icon pattern + colour + half the shape similarity, below the model's \
      threshold), the answer is "unknown" (hero null in --json) with a reason. The table shows \
      those medians. CONF (confidence) is the share of the gameplay frames that support the \
      answer: frames whose own best hero is the one named and whose crop is familiar enough, \
      or, for "unknown", frames whose crop is not; 0 without gameplay frames. Results go to stdout in input order: a table, or one JSON object \
      per clip with --json (CONTRACT.md). See docs/training.md. Any phone shape, bars, stream \
      layouts, resized or moved buttons (docs/footage.md): each clip's game picture (bars and \
      stream layouts cut off) is scaled to 720 lines with its aspect ratio kept and its buttons \
      are found before cropping; --json has "geometry" (picture box, HUD scale and shift, \
      button centres), and "reason" says when no HUD was found. For scraped footage train on \
      all three skills (`extract --slots 1,2,3`, then `train` on the folder). \
      --fixed-layout reads the old way instead (stretch to 1280x720, the layout's fixed crop).
      """)

  @Argument(help: "Video clips.")
  var clips: [String]

  @Option(help: "Model directory (from `hero-id train`).")
  var model = "hero-model"

  @Flag(help: "One JSON object per clip on stdout.")
  var json = false

  @OptionGroup var chain: IdentifyChainOptions

  @Option(help: "Clips processed at once.")
  var jobs = 2

  @Option(
    help: """
      Keep each clip's gameplay crops under this folder (for `hero-id report --clip-crops`): \
      DIR/<clip name>-<hash>/NNNN_<t>s.jpg, NNNN the frame's index in the timeline.
      """)
  var cropsDir: String?

  func validate() throws {
    guard !clips.isEmpty else { throw ValidationError("give at least one CLIP") }
    guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
  }

  func run() async throws {
    var options = chain.options(model: model, jobs: jobs)
    options.cropsDirectory = cropsDir
    options.loadBaseInBackground = true
    let job = try IdentifyJob(options: options, clips: clips.count)
    let control = JobControl(observer: StderrObserver(minimumTotal: 2))
    let results = await job.run(clips, control: control)
    // Weights that could not be loaded: their error alone, as if checked first.
    try job.checkBaseNetwork()
    var failed = 0
    if !json { print(IdentifyTable.header) }
    for (clip, result) in zip(clips, results) {
      switch result {
      case .success(let answer):
        print(json ? answer.json(video: clip).text : IdentifyTable.row(clip, answer))
      case .failure(let error):
        failed += 1
        printError("\(error)")
        if json {
          print(IdentifyTable.failedJSON(clip, error).text)
        } else {
          print(IdentifyTable.failedRow(clip))
        }
      }
    }
    // Issue 28: crops that took an identical crop's bottleneck (per clip; "bottlenecks" in --json).
    let use = results.compactMap { try? $0.get().bottlenecks }.reduce(BottleneckUse(), +)
    if use.crops > 0 { printError("identify: " + use.text) }
    if failed > 0 { throw ExitCode.failure }
  }
}

/// The options of the identification chain that `identify` and `batch identify` share.
struct IdentifyChainOptions: ParsableArguments {
  @Option(help: "At most one key frame per this many seconds.")
  var every: Double?

  @Option(help: "Layout profile (default: the one the model was trained with).")
  var layout: String?

  @Option(help: "Screen sorter model (default: the built-in one).")
  var screenModel: String?

  @Option(help: "Inception v3 weights (default: $HERO_ID_INCEPTION or $HERO_ID_HOME's).")
  var inception: String?

  @OptionGroup var footage: FootageOptions

  @Option(
    help: ArgumentHelp(
      "Inception's arithmetic: fp32 or int8 (default: the model's, `train --precision`; fp32 "
        + "for an older model). int8: integer convolutions within a documented tolerance of "
        + "fp32 (docs/int8.md), 2.2-2.6x fp32's speed with AVX-512 VNNI, fp32's on AVX2 alone.",
      valueName: "fp32|int8"))
  var precision: Precision?

  func validate() throws {
    try validateEvery(every)
  }

  /// The job's options for `model` with `jobs` clips at once.
  func options(model: String, jobs: Int) -> IdentifyJob.Options {
    var o = IdentifyJob.Options()
    o.model = model
    o.inception = inception
    o.layout = layout
    o.screenModel = screenModel
    o.everySeconds = every
    o.jobs = jobs
    o.footage = footage.settings
    o.precision = precision
    return o
  }
}

/// `--fixed-layout` and `--debug-hud`, shared by `extract`, `identify`, `serve` and the batch
/// commands (docs/footage.md). `--footage` is still accepted: it is the default now.
struct FootageOptions: ParsableArguments {
  @Flag(
    name: .customLong("fixed-layout"),
    help: """
      Read the HUD at the layout's fixed place: every frame stretched to 1280x720 and the \
      buttons cropped where the layout profile puts them, as the mission's original chain did. \
      The default finds each video's game picture (bars, stream layouts, any aspect ratio) and \
      its buttons (any HUD scale and position) and crops at the found buttons; --json and the \
      reports then add the geometry found (docs/footage.md).
      """)
  var fixedLayout = false

  @Flag(help: .hidden)
  var footage = false

  @Option(
    name: .customLong("debug-hud"),
    help: ArgumentHelp(
      "Write one annotated frame per video (buttons and crop squares drawn) into this folder, "
        + "as DIR/<video name>-hud.jpg.", valueName: "DIR"))
  var debugHUD: String?

  @Option(
    name: .customLong("max-key-frames"),
    help: ArgumentHelp(
      "At most N key frames a video: a video with more (an all-intra recording, a long VOD) is "
        + "sampled evenly over its length, key frames skipped before they are decoded; 0: no "
        + "bound.", valueName: "N"))
  var maxKeyFrames = ExtractOptions.defaultMaxFrames

  /// The job's settings.
  var settings: FootageSettings {
    FootageSettings(fixedLayout: fixedLayout, debugHUD: debugHUD, maxKeyFrames: maxKeyFrames)
  }

  func validate() throws {
    if let problem = FootageSettings.usageProblem(
      fixedLayout: fixedLayout, footage: footage, maxKeyFrames: maxKeyFrames)
    {
      throw ValidationError(problem)
    }
  }
}
