import Foundation
import FrameExtractor
import HeroCore
import Preprocess

/// The sidecar of a sample clip: the screen of every time span.
public struct ScreenSidecar: Decodable, Sendable {
  public struct Span: Decodable, Sendable {
    public var start: Double
    public var end: Double
    public var screen: Screen
  }
  public var spans: [Span]

  /// The screen at `t` seconds, nil outside every span.
  public func screen(at t: Double) -> Screen? {
    spans.first { t >= $0.start - 1e-6 && t < $0.end - 1e-6 }?.screen
  }

  /// Reads the sidecar of `clip`: `clip.json`, else the clip's path with `.json` for its extension.
  public static func load(for clip: String) throws -> ScreenSidecar {
    let url = URL(fileURLWithPath: clip)
    let candidates = [
      url.path + ".json", url.deletingPathExtension().appendingPathExtension("json").path,
    ]
    guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
      throw ScreensError(
        message: "\(MessageText.escaped(clip)): no sidecar (looked for \(candidates[1]))")
    }
    guard let data = FileManager.default.contents(atPath: path),
      let sidecar = try? JSONDecoder().decode(ScreenSidecar.self, from: data)
    else {
      throw ScreensError(
        message: "\(MessageText.escaped(path)): not a sidecar with spans of start, end, screen")
    }
    return sidecar
  }
}

/// A problem with labelled footage or a screen model file, naming the file.
public struct ScreensError: Error, CustomStringConvertible {
  public let message: String
  public init(message: String) { self.message = message }
  public var description: String { message }
}

/// Labelled frames: a clip with a sidecar (each key frame gets the screen of the span holding
/// its pts), or a folder with sub-folders gameplay/, loading/, shop/, other/ of 1280x720 JPEGs.
public enum LabelledFrames {
  /// Calls `body` with each (frame, true screen, where) of `input`.
  public static func forEach(
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
              message:
                "\(MessageText.escaped(path)): frame is \(image.width)x\(image.height), not 1280x720"
            )
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
}

/// `screens eval`: per-screen precision and recall of a sorter on labelled footage.
public struct ScreensEvalJob: Sendable {
  public struct Outcome: Sendable {
    public var evaluation = ScreenEvaluation()
    /// The lowest P(gameplay) on gameplay frames and the highest on the others.
    public var lowestOnGameplay: Float = 1
    public var highestOnOthers: Float = 0
    /// Inputs that could not be read (each named in a note).
    public var failedInputs = 0

    /// `{"frames", "<screen>": {"support", "precision", "recall"}, ...}`.
    public var json: JSONValue {
      var fields: [JSONValue.Field] = [.init("frames", .int(evaluation.total))]
      for s in Screen.allCases {
        fields.append(
          .init(
            s.rawValue,
            .object([
              "support": .int(evaluation.support(s)),
              "precision": .rounded(evaluation.precision(s)),
              "recall": .rounded(evaluation.recall(s)),
            ])))
      }
      return .object(fields)
    }
  }

  public let sorter: ScreenSorter
  public var everySeconds: Double?
  /// Name every misclassified frame in a note.
  public var listMisclassified = false

  public init(sorter: ScreenSorter, everySeconds: Double?, listMisclassified: Bool) {
    self.sorter = sorter
    self.everySeconds = everySeconds
    self.listMisclassified = listMisclassified
  }

  public func run(_ inputs: [String], control: JobControl) -> Outcome {
    var outcome = Outcome()
    for input in inputs {
      do {
        try LabelledFrames.forEach(in: input, every: everySeconds) { frame, truth, place in
          let d = sorter.sort(frame)
          outcome.evaluation.add(truth: truth, predicted: d.screen)
          if truth == .gameplay {
            outcome.lowestOnGameplay = min(outcome.lowestOnGameplay, d.gameplayProbability)
          } else {
            outcome.highestOnOthers = max(outcome.highestOnOthers, d.gameplayProbability)
          }
          if listMisclassified, d.screen != truth {
            control.observer.note(
              String(
                format: "%@: %@ sorted as %@ (p %.3f, gameplay p %.3f, hud %.2f)", place,
                truth.rawValue, d.screen.rawValue, d.score, d.gameplayProbability, d.hudScore))
          }
        }
      } catch {
        control.observer.note("\(error)")
        outcome.failedInputs += 1
      }
    }
    return outcome
  }
}

/// `screens train`: a screen model from labelled footage (with perturbed copies of each frame).
public struct ScreensTrainJob: Sendable {
  public var layout: LayoutProfile
  public var augment = 2
  public var epochs = 300
  public var seed: UInt64 = 1
  public var everySeconds: Double?

  public init(layout: LayoutProfile) { self.layout = layout }

  public struct Outcome: Sendable {
    public var model: ScreenModel
    /// The sorter's results on the training examples.
    public var evaluation: ScreenEvaluation
    public var examples: Int
    public var failedInputs: Int
  }

  public func run(_ inputs: [String], control: JobControl) throws -> Outcome {
    let features = ScreenFeatures(layout: layout)
    var rng = SplitMix64(seed: seed)
    var examples: [ScreenExample] = []
    var failed = 0
    for input in inputs {
      do {
        try LabelledFrames.forEach(in: input, every: everySeconds) { frame, truth, _ in
          examples.append(ScreenExample(features: features.features(of: frame), screen: truth))
          for _ in 0..<augment {
            let f = FrameAugment.perturb(frame, using: &rng)
            examples.append(ScreenExample(features: features.features(of: f), screen: truth))
          }
        }
      } catch {
        control.observer.note("\(error)")
        failed += 1
      }
    }
    guard !examples.isEmpty else { throw ScreensError(message: "no labelled frames in the inputs") }
    var counts: [Screen: Int] = [:]
    for e in examples { counts[e.screen, default: 0] += 1 }
    control.observer.note(
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
    return Outcome(
      model: model, evaluation: evaluation, examples: examples.count, failedInputs: failed)
  }
}
