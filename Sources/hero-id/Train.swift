import ArgumentParser
import Classifier
import Foundation
import HeroCore
import HeroPipeline
import InceptionKernels
import Preprocess

extension Optimizer: ExpressibleByArgument {}

struct Train: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Train the new final layer on a folder of labelled crops.",
    discussion: """
      CROPS_DIR holds one sub-folder per hero with .jpg crops (what `hero-id extract --out` \
      writes). Each image's bottleneck is computed once and cached (by file content and base \
      network) under CROPS_DIR/.bottlenecks or --bottleneck-dir. Each hero's images are split \
      into training / validation / testing by a stable hash (crops from the same few seconds of \
      one video, per CROPS_DIR/index.csv, stay together), the final layer is trained, the \
      "unknown" threshold is chosen on simulated clips of the training and validation crops \
      (left-out heroes against trained ones), and the model is written to --model.
      Progress goes to stderr; results to stdout (one JSON object with --json).
      See docs/training.md.
      """)

  @Argument(help: "Crop folder: one sub-folder of .jpg files per hero.")
  var cropsDir: String?

  @Option(help: "Model directory to write.")
  var model = "hero-model"

  @Option(help: "Training steps (mini-batches).")
  var steps = 4000

  @Option(help: "Learning rate.")
  var learningRate: Float = 0.01

  @Option(help: "Images per training batch.")
  var batchSize = 100

  @Option(help: "Print training and validation accuracy every this many steps.")
  var evalStepInterval = 100

  @Option(help: "Percentage of images used for validation.")
  var validationPercentage = 10.0

  @Option(help: "Percentage of images used for testing.")
  var testingPercentage = 10.0

  @Option(help: "Crops of one video within this many seconds share a split set (0: per file).")
  var groupSeconds = 5.0

  @Option(help: "Bottleneck cache folder (default: CROPS_DIR/.bottlenecks).")
  var bottleneckDir: String?

  @Option(help: "Random seed (batch order, initial weights, distortions).")
  var seed: UInt64 = 0

  @Option(help: "Optimizer: sgd (retrain.py), momentum or adam.")
  var optimizer = Optimizer.momentum

  @Option(help: "L2 weight penalty.")
  var l2: Float = 0.001

  @Flag(
    inversion: .prefixedNo,
    help: "Standardise bottleneck features with the training set's mean and std.")
  var standardize = true

  @Flag(help: "List the misclassified test images.")
  var printMisclassified = false

  @Option(
    help: ArgumentHelp(
      "The review sheet: the N crops of any set whose label the trained model disputes most "
        + "(it names another hero), in --json \"disputed\" and `hero-id report`; 0: none.",
      valueName: "N"))
  var review = 20

  @Flag(help: "Randomly mirror training images (bottlenecks then computed fresh every step).")
  var flipLeftRight = false

  @Option(help: "Random crop margin, percent (retrain.py's --random_crop).")
  var randomCrop = 0.0

  @Option(help: "Random scale-up, percent (retrain.py's --random_scale).")
  var randomScale = 0.0

  @Option(help: "Random brightness change, percent (retrain.py's --random_brightness).")
  var randomBrightness = 0.0

  @Option(
    help: """
      Share of (simulated) clips of trained heroes the "unknown" threshold may reject: higher \
      catches more heroes the model never saw, and calls more known ones "unknown".
      """)
  var knownRejectRate = UnknownThresholds.defaultKnownRejectRate

  @Option(help: "Inception v3 weights (default: $HERO_ID_INCEPTION or $HERO_ID_HOME's).")
  var inception: String?

  @Option(help: "Layout profile the crops were made with (recorded in the model).")
  var layout: String?

  @Option(help: "Parallel tasks computing bottlenecks.")
  var jobs = 2

  @Flag(help: "Print one JSON object at the end on stdout.")
  var json = false

  @Flag(
    help: "Refuse the whole folder when a hero has fewer than 3 crops (default: leave it out).")
  var strict = false

  @Option(
    help: ArgumentHelp(
      "Train on the crops of these skill slots only, e.g. 2 (default: every crop; a folder from "
        + "`extract --slots 1,2,3` gives a model that reads all three slots).", valueName: "LIST"))
  var slots: String?

  @Option(
    help: ArgumentHelp(
      "Inception's arithmetic for the bottlenecks: int8 (about twice fp32's speed with AVX-512 "
        + "VNNI; docs/int8.md) or fp32. The model records it; `identify` runs the same.",
      valueName: "int8|fp32"))
  var precision = Precision.int8

  @Option(help: .hidden)
  var benchSynthetic: Int?

  @Option(help: .hidden)
  var benchClasses = 20

  @Option(help: .hidden)
  var benchSpread: Float = 2

  func validate() throws {
    try validateSlots(slots, layoutPath: layout)
    if cropsDir == nil && benchSynthetic == nil { throw ValidationError("missing CROPS_DIR") }
    if let problem = jobOptions.usageProblem { throw ValidationError(problem) }
  }

  /// The job's options from the flags (all but `--slots`, which needs the layout loaded).
  var jobOptions: TrainJob.Options {
    var o = TrainJob.Options()
    if let cropsDir { o.cropsDir = cropsDir }
    o.model = model
    o.training.steps = steps
    o.training.learningRate = learningRate
    o.training.batchSize = batchSize
    o.training.evalStepInterval = evalStepInterval
    o.training.seed = seed
    o.training.optimizer = optimizer
    o.training.l2 = l2
    o.training.standardize = standardize
    o.validationPercentage = validationPercentage
    o.testingPercentage = testingPercentage
    o.groupSeconds = groupSeconds
    o.bottleneckDir = bottleneckDir
    o.distortion = ImageDistortion(
      flipLeftRight: flipLeftRight, randomCropPercent: randomCrop, randomScalePercent: randomScale,
      randomBrightnessPercent: randomBrightness)
    o.knownRejectRate = knownRejectRate
    o.inception = inception
    o.layout = layout
    o.jobs = jobs
    o.strict = strict
    o.reviewCount = review
    o.precision = precision
    return o
  }

  func run() async throws {
    var o = jobOptions
    if let n = benchSynthetic {
      print(
        TrainBenchmark.run(
          images: n, classes: benchClasses, spread: benchSpread, options: o.training))
      return
    }
    guard cropsDir != nil else { throw ValidationError("missing CROPS_DIR") }
    o.slots = try slotList(slots, layout: Layouts.load(path: layout))
    let outcome = try await TrainJob(options: o).run(
      control: JobControl(observer: StderrObserver()))

    if printMisclassified {
      for line in outcome.misclassifiedLines { json ? printError(line) : print(line) }
    }
    if json {
      print(outcome.json.text)
    } else {
      for line in outcome.summaryLines + outcome.reviewLines { print(line) }
    }
    if let line = outcome.failedImagesLine {
      printError(line)
      throw ExitCode(1)
    }
  }
}
