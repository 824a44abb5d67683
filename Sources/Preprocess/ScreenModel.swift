import Foundation
import HeroCore

/// The screen model: two linear heads over `ScreenFeatures`.
///
/// - The **gameplay head** sees only the HUD ring features (hero- and scenery-independent):
///   P(gameplay) = sigmoid(gameplayWeights · x_hud + gameplayBias).
/// - The **screen head** sees only the masked thumbnail and tells the other screens apart:
///   P(s | not gameplay) = softmax(screenWeights · x_thumb + screenBias) over `screenClasses`.
///
/// P(s) = (1 − P(gameplay)) · P(s | not gameplay). A frame is `gameplay` when P(gameplay)
/// reaches `gameplayThreshold`, otherwise the most probable of `screenClasses`.
///
/// File format (JSON, what `hero-id screens train` writes and `--screen-model FILE` reads):
/// `format` ("hero-id-screen-model-2"), `featureCount`, `hudStart` (index of the first HUD
/// feature; the thumbnail comes before it), `mean` and `scale` (per-feature standardisation,
/// x' = (x − mean) · scale, featureCount each), `gameplayWeights` (featureCount − hudStart) and
/// `gameplayBias`, `screenClasses` (names), `screenWeights` (screenClasses x hudStart, row-major)
/// and `screenBias`, `gameplayThreshold`, `layout` (the layout's name) and `trainedOn` (free text).
public struct ScreenModel: Sendable, Equatable, Codable {
  public static let formatName = "hero-id-screen-model-2"

  public var format: String
  public var featureCount: Int
  public var hudStart: Int
  public var mean: [Float]
  public var scale: [Float]
  public var gameplayWeights: [Float]
  public var gameplayBias: Float
  public var screenClasses: [Screen]
  public var screenWeights: [Float]
  public var screenBias: [Float]
  public var gameplayThreshold: Float
  public var layout: String
  public var trainedOn: String

  public init(
    featureCount: Int, hudStart: Int, mean: [Float], scale: [Float], gameplayWeights: [Float],
    gameplayBias: Float, screenClasses: [Screen], screenWeights: [Float], screenBias: [Float],
    gameplayThreshold: Float, layout: String, trainedOn: String
  ) {
    format = Self.formatName
    self.featureCount = featureCount
    self.hudStart = hudStart
    self.mean = mean
    self.scale = scale
    self.gameplayWeights = gameplayWeights
    self.gameplayBias = gameplayBias
    self.screenClasses = screenClasses
    self.screenWeights = screenWeights
    self.screenBias = screenBias
    self.gameplayThreshold = gameplayThreshold
    self.layout = layout
    self.trainedOn = trainedOn
  }

  /// Checks the shapes; `source` names the file in the error.
  public func validate(source: String) throws {
    func fail(_ why: String) -> ScreenModelError { .invalid(path: source, reason: why) }
    guard format == Self.formatName else {
      throw fail("format is \"\(format)\", expected \"\(Self.formatName)\"")
    }
    guard featureCount > 0, hudStart > 0, hudStart < featureCount else {
      throw fail("featureCount \(featureCount) and hudStart \(hudStart) do not fit")
    }
    guard !screenClasses.isEmpty, Set(screenClasses).count == screenClasses.count,
      !screenClasses.contains(.gameplay)
    else { throw fail("screenClasses must be distinct screens other than gameplay") }
    guard mean.count == featureCount, scale.count == featureCount,
      gameplayWeights.count == featureCount - hudStart,
      screenWeights.count == screenClasses.count * hudStart, screenBias.count == screenClasses.count
    else { throw fail("array sizes do not match featureCount \(featureCount)") }
    let all = mean + scale + gameplayWeights + screenWeights + screenBias + [gameplayBias]
    guard all.allSatisfy(\.isFinite) else { throw fail("non-finite number") }
    guard gameplayThreshold > 0, gameplayThreshold < 1 else {
      throw fail("gameplayThreshold \(gameplayThreshold) is not in (0, 1)")
    }
  }

  /// P(gameplay) of one feature vector.
  public func gameplayProbability(_ x: [Float]) -> Float {
    precondition(x.count == featureCount)
    var z = gameplayBias
    for j in hudStart..<featureCount {
      z += gameplayWeights[j - hudStart] * (x[j] - mean[j]) * scale[j]
    }
    return 1 / (1 + Float(exp(Double(-z))))
  }

  /// P(s | not gameplay) over `screenClasses`.
  public func screenProbabilities(_ x: [Float]) -> [Float] {
    precondition(x.count == featureCount)
    var logits = screenBias
    for c in screenClasses.indices {
      var z: Float = 0
      let row = c * hudStart
      for j in 0..<hudStart { z += screenWeights[row + j] * (x[j] - mean[j]) * scale[j] }
      logits[c] += z
    }
    return Self.softmax(logits)
  }

  static func softmax(_ z: [Float]) -> [Float] {
    let m = z.max() ?? 0
    let e = z.map { Float(exp(Double($0 - m))) }
    let s = e.reduce(0, +)
    return e.map { $0 / s }
  }

  /// Reads and validates a model file.
  public static func load(path: String) throws -> ScreenModel {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
      throw ScreenModelError.invalid(path: path, reason: "cannot read file")
    }
    let m: ScreenModel
    do { m = try JSONDecoder().decode(ScreenModel.self, from: data) } catch {
      throw ScreenModelError.invalid(path: path, reason: "not a screen model JSON file")
    }
    try m.validate(source: path)
    return m
  }

  /// The model as JSON: keys sorted, number arrays wrapped at about 96 characters a line (so
  /// the built-in copy in Swift source stays within the line limit).
  public func jsonData() -> Data {
    func string(_ v: String) -> String {
      (try? JSONEncoder().encode(v)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }
    func numbers(_ values: [Float]) -> String {
      var lines: [String] = []
      var line = ""
      for v in values {
        let t = "\(v)"
        if !line.isEmpty, line.count + t.count + 1 > 96 {
          lines.append(line + ",")
          line = ""
        }
        line += (line.isEmpty ? "" : ",") + t
      }
      lines.append(line)
      return "[\n" + lines.joined(separator: "\n") + "\n]"
    }
    let fields: [(String, String)] = [
      ("featureCount", String(featureCount)),
      ("format", string(format)),
      ("gameplayBias", "\(gameplayBias)"),
      ("gameplayThreshold", "\(gameplayThreshold)"),
      ("gameplayWeights", numbers(gameplayWeights)),
      ("hudStart", String(hudStart)),
      ("layout", string(layout)),
      ("mean", numbers(mean)),
      ("scale", numbers(scale)),
      ("screenBias", numbers(screenBias)),
      (
        "screenClasses",
        "[" + screenClasses.map { string($0.rawValue) }.joined(separator: ",") + "]"
      ),
      ("screenWeights", numbers(screenWeights)),
      ("trainedOn", string(trainedOn)),
    ]
    let body = fields.map { "\(string($0.0)): \($0.1)" }.joined(separator: ",\n")
    return Data(("{\n" + body + "\n}\n").utf8)
  }

  /// The built-in model (trained on sample clips of four heroes; see docs/screens.md).
  public static let `default`: ScreenModel = {
    guard
      let m = try? JSONDecoder().decode(ScreenModel.self, from: Data(defaultScreenModelJSON.utf8))
    else { preconditionFailure("built-in screen model does not decode") }
    return m
  }()
}

public enum ScreenModelError: Error, CustomStringConvertible {
  case invalid(path: String, reason: String)
  case mismatch(path: String, reason: String)

  public var description: String {
    switch self {
    case .invalid(let p, let r): "\(MessageText.escaped(p)): invalid screen model (\(r))"
    case .mismatch(let p, let r):
      "\(MessageText.escaped(p)): screen model does not fit the layout (\(r))"
    }
  }
}

/// What the sorter decided for one frame.
public struct ScreenDecision: Sendable, Equatable {
  /// The screen the frame is sorted into.
  public var screen: Screen
  /// The model's probability of that screen (0...1).
  public var score: Float
  /// The probability of `gameplay`.
  public var gameplayProbability: Float
  /// The mean HUD ring score (0...1; high when the round buttons are visible).
  public var hudScore: Float
}

/// Sorts 1280x720 frames into `gameplay`, `loading`, `shop` or `other`.
///
/// Features (`ScreenFeatures`): a masked, per-channel standardised colour thumbnail and HUD
/// ring evidence at the layout's buttons, searched over small offsets. Decision
/// (`ScreenModel`): a logistic gameplay head on the HUD features alone, a softmax head on the
/// thumbnail for the other screens; `gameplay` only when its probability reaches the model's
/// `gameplayThreshold` (tuned for precision: a non-gameplay frame kept is worse than a gameplay
/// frame dropped).
public struct ScreenSorter: Sendable {
  public let features: ScreenFeatures
  public let model: ScreenModel

  /// A sorter for `layout` with `model` (the built-in one by default); `modelSource` names the
  /// model file in errors.
  public init(
    layout: LayoutProfile, model: ScreenModel = .default,
    modelSource: String = "built-in screen model"
  ) throws {
    let f = ScreenFeatures(layout: layout)
    guard f.count == model.featureCount else {
      throw ScreenModelError.mismatch(
        path: modelSource,
        reason: "it takes \(model.featureCount) features, layout \(layout.name) gives \(f.count)")
    }
    features = f
    self.model = model
  }

  /// A sorter for `layout` with the screen model at `modelPath`, or the built-in one when nil.
  public static func load(layout: LayoutProfile, modelPath: String?) throws -> ScreenSorter {
    guard let modelPath else { return try ScreenSorter(layout: layout) }
    return try ScreenSorter(
      layout: layout, model: ScreenModel.load(path: modelPath), modelSource: modelPath)
  }

  /// Sorts one frame (of the layout's frame size).
  public func sort(_ frame: RGBImage) -> ScreenDecision {
    decide(features.features(of: frame))
  }

  /// ``sort(_:)`` with the frame's luma already made.
  func sort(_ frame: RGBImage, luma: Luma) -> ScreenDecision {
    decide(features.features(of: frame, luma: luma))
  }

  /// The decision for a feature vector from `features`.
  public func decide(_ x: [Float]) -> ScreenDecision {
    let pg = model.gameplayProbability(x)
    let hud = x[x.count - 2]  // the mean ring score (see ScreenFeatures)
    if pg >= model.gameplayThreshold {
      return ScreenDecision(screen: .gameplay, score: pg, gameplayProbability: pg, hudScore: hud)
    }
    let p = model.screenProbabilities(x)
    var best = 0
    for c in p.indices where p[c] > p[best] { best = c }
    return ScreenDecision(
      screen: model.screenClasses[best], score: (1 - pg) * p[best], gameplayProbability: pg,
      hudScore: hud)
  }
}
