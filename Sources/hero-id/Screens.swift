import ArgumentParser
import Foundation
import FrameExtractor
import HeroCore
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

/// The sidecar of a sample clip: the screen of every time span.
struct ScreenSidecar: Decodable {
  struct Span: Decodable {
    var start: Double
    var end: Double
    var screen: Screen
  }
  var spans: [Span]

  /// The screen at `t` seconds, nil outside every span.
  func screen(at t: Double) -> Screen? {
    spans.first { t >= $0.start - 1e-6 && t < $0.end - 1e-6 }?.screen
  }

  /// Reads the sidecar of `clip`: `clip.json`, else the clip's path with `.json` for its extension.
  static func load(for clip: String) throws -> ScreenSidecar {
    let url = URL(fileURLWithPath: clip)
    let candidates = [
      url.path + ".json", url.deletingPathExtension().appendingPathExtension("json").path,
    ]
    guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
      throw ScreensError(message: "\(clip): no sidecar (looked for \(candidates[1]))")
    }
    guard let data = FileManager.default.contents(atPath: path),
      let sidecar = try? JSONDecoder().decode(ScreenSidecar.self, from: data)
    else { throw ScreensError(message: "\(path): not a sidecar with spans of start, end, screen") }
    return sidecar
  }
}

struct ScreensError: Error, CustomStringConvertible {
  let message: String
  var description: String { message }
}

/// One labelled frame source: calls `body` with each (frame, true screen, where).
func forEachLabelledFrame(
  in input: String, every: Double?, _ body: (RGBImage, Screen, String) throws -> Void
) throws {
  var isDirectory: ObjCBool = false
  if FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory),
    isDirectory.boolValue
  {
    for screen in Screen.allCases {
      let dir = URL(fileURLWithPath: input).appendingPathComponent(screen.rawValue)
      let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
      for name in names.sorted()
      where name.lowercased().hasSuffix(".jpg") || name.lowercased().hasSuffix(".jpeg") {
        let path = dir.appendingPathComponent(name).path
        let image = try JPEG.decode(fileAt: path)
        guard image.width == Layouts.frameWidth, image.height == Layouts.frameHeight else {
          throw ScreensError(
            message: "\(path): frame is \(image.width)x\(image.height), not 1280x720")
        }
        try body(image, screen, path)
      }
    }
    return
  }
  let sidecar = try ScreenSidecar.load(for: input)
  let decoder = try KeyFrameDecoder(path: input, options: ExtractOptions(everySeconds: every))
  while let frame = try decoder.nextFrame() {
    guard let screen = sidecar.screen(at: frame.ptsSeconds) else { continue }
    try body(frame.image, screen, String(format: "%@@%.3f", input, frame.ptsSeconds))
  }
}

/// Options shared by the `screens` subcommands.
struct ScreenModelOptions: ParsableArguments {
  @Option(
    name: .long, help: ArgumentHelp("Layout profile JSON (default: built in).", valueName: "FILE"))
  var layout: String?

  @Option(
    name: .long,
    help: ArgumentHelp("Screen model JSON (default: built in).", valueName: "FILE"))
  var screenModel: String?

  func sorter() throws -> ScreenSorter {
    try ScreenSorter.load(layout: Layouts.load(path: self.layout), modelPath: screenModel)
  }
}

struct ScreensEval: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval",
    abstract: "Per-screen precision and recall of the sorter on labelled footage.")

  @Argument(help: "Clips with sidecars, or folders of frames by screen.")
  var inputs: [String] = []

  @OptionGroup var model: ScreenModelOptions

  @Option(name: .long, help: ArgumentHelp("At most one frame per interval.", valueName: "SECONDS"))
  var every: Double?

  @Flag(name: .long, help: "List every misclassified frame on stderr.")
  var printMisclassified = false

  @Flag(name: .long, help: "One JSON object on stdout instead of the table.")
  var json = false

  func validate() throws {
    guard !inputs.isEmpty else { throw ValidationError("give at least one clip or folder") }
    if let e = every, let why = ExtractOptions.everyProblem(e) { throw ValidationError(why) }
  }

  func run() async throws {
    let sorter = try model.sorter()
    var evaluation = ScreenEvaluation()
    var failed = false
    var lowestOnGameplay: Float = 1
    var highestOnOthers: Float = 0
    for input in inputs {
      do {
        try forEachLabelledFrame(in: input, every: every) { frame, truth, place in
          let d = sorter.sort(frame)
          evaluation.add(truth: truth, predicted: d.screen)
          if truth == .gameplay {
            lowestOnGameplay = min(lowestOnGameplay, d.gameplayProbability)
          } else {
            highestOnOthers = max(highestOnOthers, d.gameplayProbability)
          }
          if printMisclassified, d.screen != truth {
            printError(
              String(
                format: "%@: %@ sorted as %@ (p %.3f, gameplay p %.3f, hud %.2f)", place,
                truth.rawValue, d.screen.rawValue, d.score, d.gameplayProbability, d.hudScore))
          }
        }
      } catch {
        printError("\(error)")
        failed = true
      }
    }
    if json {
      var fields: [(String, String)] = [("frames", String(evaluation.total))]
      for s in Screen.allCases {
        fields.append(
          (
            s.rawValue,
            JSONText.object([
              ("support", String(evaluation.support(s))),
              ("precision", String(format: "%.4f", evaluation.precision(s))),
              ("recall", String(format: "%.4f", evaluation.recall(s))),
            ])
          ))
      }
      print(JSONText.object(fields))
    } else {
      print("frames: \(evaluation.total)")
      print(evaluation.table, terminator: "")
      print(
        String(
          format: "P(gameplay): lowest on gameplay frames %.4f, highest on the others %.4f "
            + "(threshold %.2f)", lowestOnGameplay, highestOnOthers, sorter.model.gameplayThreshold)
      )
    }
    if failed { throw ExitCode.failure }
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
    if let e = every, let why = ExtractOptions.everyProblem(e) { throw ValidationError(why) }
  }

  func run() async throws {
    let layout = try Layouts.load(path: self.layout)
    let features = ScreenFeatures(layout: layout)
    var rng = SplitMix64(seed: seed)
    var examples: [ScreenExample] = []
    var failed = false
    for input in inputs {
      do {
        try forEachLabelledFrame(in: input, every: every) { frame, truth, _ in
          examples.append(ScreenExample(features: features.features(of: frame), screen: truth))
          for _ in 0..<augment {
            let f = FrameAugment.perturb(frame, using: &rng)
            examples.append(ScreenExample(features: features.features(of: f), screen: truth))
          }
        }
      } catch {
        printError("\(error)")
        failed = true
      }
    }
    guard !examples.isEmpty else { throw ScreensError(message: "no labelled frames in the inputs") }
    var counts: [Screen: Int] = [:]
    for e in examples { counts[e.screen, default: 0] += 1 }
    printError(
      "training on \(examples.count) examples ("
        + Screen.allCases.map { "\($0.rawValue) \(counts[$0] ?? 0)" }.joined(separator: ", ") + ")")
    var options = ScreenTrainer.Options()
    options.epochs = epochs
    let model = ScreenTrainer.train(
      examples, hudStart: ScreenFeatures.thumbnailCount, layout: layout.name,
      trainedOn: "\(examples.count) examples from \(inputs.count) inputs (augment \(augment), "
        + "seed \(seed))",
      options: options)
    var evaluation = ScreenEvaluation()
    let sorter = try ScreenSorter(layout: layout, model: model)
    for e in examples {
      evaluation.add(truth: e.screen, predicted: sorter.decide(e.features).screen)
    }
    printError("on the training examples (gameplay threshold \(model.gameplayThreshold)):")
    printError(evaluation.table)
    do { try AtomicFile.write(model.jsonData(), to: URL(fileURLWithPath: out)) } catch {
      throw ScreensError(message: "\(out): cannot write the model")
    }
    printError("wrote \(out)")
    if failed { throw ExitCode.failure }
  }
}
