import ArgumentParser
import Foundation
import HeroCore
import HeroPipeline
import Preprocess

/// `hero-id screens`: measure the screen sorter on labelled footage, or train a new screen model.
struct Screens: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "screens",
    abstract: "Evaluate or retrain the screen sorter (gameplay / loading / shop / other).",
    discussion: """
      Labelled footage comes in two forms:
        - a clip with a sidecar JSON next to it (CLIP.json or CLIP-without-extension.json) \
      holding {"spans": [{"start": S, "end": E, "screen": "gameplay"}, ...]} (what sample-maker \
      writes); each key frame gets the screen of the span holding its pts;
        - a folder with sub-folders gameplay/, loading/, shop/ and other/ of 1280x720 JPEG \
      frames (e.g. what `extract --keep-rejected` and `extract --frames` write, sorted by hand).
      See docs/screens.md.
      """,
    subcommands: [ScreensEval.self, ScreensTrain.self])
}

struct ScreensEval: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval",
    abstract: "Per-screen precision and recall of the sorter on labelled footage.")

  @Argument(help: "Clips with sidecars, or folders of frames by screen.")
  var inputs: [String] = []

  @Option(
    name: .long, help: ArgumentHelp("Layout profile JSON (default: built in).", valueName: "FILE"))
  var layout: String?

  @Option(
    name: .long,
    help: ArgumentHelp("Screen model JSON (default: built in).", valueName: "FILE"))
  var screenModel: String?

  @Option(name: .long, help: ArgumentHelp("At most one frame per interval.", valueName: "SECONDS"))
  var every: Double?

  @Flag(name: .long, help: "List every misclassified frame on stderr.")
  var printMisclassified = false

  @Flag(name: .long, help: "One JSON object on stdout instead of the table.")
  var json = false

  func validate() throws {
    guard !inputs.isEmpty else { throw ValidationError("give at least one clip or folder") }
    try validateEvery(every)
  }

  func run() async throws {
    let sorter = try ScreenSorter.load(layout: Layouts.load(path: layout), modelPath: screenModel)
    let outcome = ScreensEvalJob(
      sorter: sorter, everySeconds: every, listMisclassified: printMisclassified
    ).run(inputs, control: JobControl(observer: StderrObserver()))
    if json {
      print(outcome.json.text)
    } else {
      print("frames: \(outcome.evaluation.total)")
      print(outcome.evaluation.table, terminator: "")
      print(
        String(
          format: "P(gameplay): lowest on gameplay frames %.4f, highest on the others %.4f "
            + "(threshold %.2f)", outcome.lowestOnGameplay, outcome.highestOnOthers,
          sorter.model.gameplayThreshold))
    }
    if outcome.failedInputs > 0 { throw ExitCode.failure }
  }
}

struct ScreensTrain: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Train a screen model on labelled footage and write it as JSON.",
    discussion: """
      Use it with `extract --screen-model FILE`, or embed it as the built-in model with \
      scripts/screen-model-to-swift.sh (see docs/screens.md).
      """)

  @Argument(help: "Clips with sidecars, or folders of frames by screen.")
  var inputs: [String] = []

  @Option(name: .long, help: ArgumentHelp("Where to write the model.", valueName: "FILE"))
  var out: String = "screen-model.json"

  @Option(
    name: .long, help: ArgumentHelp("Layout profile JSON (default: built in).", valueName: "FILE"))
  var layout: String?

  @Option(name: .long, help: "Perturbed copies per frame (shift, brightness, colour).")
  var augment: Int = 2

  @Option(name: .long, help: "Training epochs.")
  var epochs: Int = 300

  @Option(name: .long, help: "Seed for the perturbations.")
  var seed: UInt64 = 1

  @Option(name: .long, help: ArgumentHelp("At most one frame per interval.", valueName: "SECONDS"))
  var every: Double?

  func validate() throws {
    guard !inputs.isEmpty else { throw ValidationError("give at least one clip or folder") }
    guard augment >= 0, epochs >= 1 else { throw ValidationError("--augment >= 0, --epochs >= 1") }
    try validateEvery(every)
  }

  func run() async throws {
    var job = ScreensTrainJob(layout: try Layouts.load(path: layout))
    job.augment = augment
    job.epochs = epochs
    job.seed = seed
    job.everySeconds = every
    let outcome = try job.run(inputs, control: JobControl(observer: StderrObserver()))
    printError("on the training examples (gameplay threshold \(outcome.model.gameplayThreshold)):")
    printError(outcome.evaluation.table)
    do { try AtomicFile.write(outcome.model.jsonData(), to: URL(fileURLWithPath: out)) } catch {
      throw WriteError(path: out, what: "the screen model", error: error)
    }
    printError("wrote \(out)")
    if outcome.failedInputs > 0 { throw ExitCode.failure }
  }
}
