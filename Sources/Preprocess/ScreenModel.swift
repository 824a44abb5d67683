import Foundation
import HeroCore

/// A linear screen model: multinomial logistic regression over `ScreenFeatures`.
///
/// File format (JSON, what `hero-id screens train` writes and `--screen-model FILE` reads):
/// `format` ("hero-id-screen-model-1"), `classes` (screen names, the order of the rows),
/// `featureCount`, `mean` and `scale` (per-feature standardisation: x' = (x - mean) * scale),
/// `weights` (classes x featureCount, row-major), `bias` (one per class), `gameplayThreshold`
/// (a frame is `gameplay` only when that class's probability reaches it; otherwise the most
/// probable other class), `layout` (the name of the layout it was trained with) and `trainedOn`
/// (free text).
public struct ScreenModel: Sendable, Equatable, Codable {
  public static let formatName = "hero-id-screen-model-1"

  public var format: String
  public var classes: [Screen]
  public var featureCount: Int
  public var mean: [Float]
  public var scale: [Float]
  public var weights: [Float]
  public var bias: [Float]
  public var gameplayThreshold: Float
  public var layout: String
  public var trainedOn: String

  public init(
    classes: [Screen], featureCount: Int, mean: [Float], scale: [Float], weights: [Float],
    bias: [Float], gameplayThreshold: Float, layout: String, trainedOn: String
  ) {
    format = Self.formatName
    self.classes = classes
    self.featureCount = featureCount
    self.mean = mean
    self.scale = scale
    self.weights = weights
    self.bias = bias
    self.gameplayThreshold = gameplayThreshold
    self.layout = layout
    self.trainedOn = trainedOn
  }

  /// Checks the shapes; `source` names the file in the error.
  public func validate(source: String) throws {
    func fail(_ why: String) -> ScreenModelError { .invalid(path: source, reason: why) }
    guard format == Self.formatName else { throw fail("format is \"\(format)\", expected \"\(Self.formatName)\"") }
    guard !classes.isEmpty, Set(classes).count == classes.count else { throw fail("bad classes") }
    guard classes.contains(.gameplay) else { throw fail("no gameplay class") }
    guard featureCount > 0, mean.count == featureCount, scale.count == featureCount,
      weights.count == classes.count * featureCount, bias.count == classes.count
    else { throw fail("array sizes do not match featureCount \(featureCount)") }
    guard (mean + scale + weights + bias).allSatisfy(\.isFinite) else { throw fail("non-finite number") }
    guard gameplayThreshold > 0, gameplayThreshold < 1 else {
      throw fail("gameplayThreshold \(gameplayThreshold) is not in (0, 1)")
    }
  }

  /// Class probabilities (softmax, in `classes` order) of one feature vector.
  public func probabilities(_ x: [Float]) -> [Float] {
    precondition(x.count == featureCount)
    var logits = bias
    for c in 0..<classes.count {
      var s: Float = 0
      let row = c * featureCount
      for j in 0..<featureCount { s += weights[row + j] * (x[j] - mean[j]) * scale[j] }
      logits[c] += s
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

  /// The model as JSON (compact, keys sorted).
  public func jsonData() -> Data {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys]
    return (try? enc.encode(self)) ?? Data()
  }

  /// The built-in model (trained on the sample clips' training heroes; see docs/screens.md).
  public static let `default`: ScreenModel = {
    guard let m = try? JSONDecoder().decode(ScreenModel.self, from: Data(defaultScreenModelJSON.utf8))
    else { preconditionFailure("built-in screen model does not decode") }
    return m
  }()
}

public enum ScreenModelError: Error, CustomStringConvertible {
  case invalid(path: String, reason: String)
  case mismatch(path: String, reason: String)

  public var description: String {
    switch self {
    case .invalid(let p, let r): "\(p): invalid screen model (\(r))"
    case .mismatch(let p, let r): "\(p): screen model does not fit the layout (\(r))"
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
/// (`ScreenModel`): linear softmax; `gameplay` only when its probability reaches the model's
/// `gameplayThreshold` (tuned for precision: a non-gameplay frame kept is worse than a gameplay
/// frame dropped).
public struct ScreenSorter: Sendable {
  public let features: ScreenFeatures
  public let model: ScreenModel

  /// A sorter for `layout` with `model` (the built-in one by default); `modelSource` names the
  /// model file in errors.
  public init(layout: LayoutProfile, model: ScreenModel = .default,
              modelSource: String = "built-in screen model") throws {
    let f = ScreenFeatures(layout: layout)
    guard f.count == model.featureCount else {
      throw ScreenModelError.mismatch(
        path: modelSource,
        reason: "it takes \(model.featureCount) features, layout \(layout.name) gives \(f.count)")
    }
    features = f
    self.model = model
  }

  /// Sorts one frame (of the layout's frame size).
  public func sort(_ frame: RGBImage) -> ScreenDecision {
    decide(features.features(of: frame))
  }

  /// The decision for a feature vector from `features`.
  public func decide(_ x: [Float]) -> ScreenDecision {
    let p = model.probabilities(x)
    let hud = x[x.count - 2]  // the mean ring score (see ScreenFeatures)
    let gi = model.classes.firstIndex(of: .gameplay) ?? 0
    if p[gi] >= model.gameplayThreshold {
      return ScreenDecision(screen: .gameplay, score: p[gi], gameplayProbability: p[gi], hudScore: hud)
    }
    var best = -1
    for c in model.classes.indices where c != gi && (best < 0 || p[c] > p[best]) { best = c }
    let screen = best >= 0 ? model.classes[best] : .other
    return ScreenDecision(
      screen: screen, score: best >= 0 ? p[best] : 1 - p[gi], gameplayProbability: p[gi],
      hudScore: hud)
  }
}
