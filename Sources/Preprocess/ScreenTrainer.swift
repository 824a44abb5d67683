import Foundation
import HeroCore

/// One labelled feature vector.
public struct ScreenExample: Sendable {
  public var features: [Float]
  public var screen: Screen
  public init(features: [Float], screen: Screen) {
    self.features = features
    self.screen = screen
  }
}

/// Trains a `ScreenModel`: the gameplay head by logistic regression on the HUD features of all
/// examples, the screen head by multinomial logistic regression on the thumbnail features of the
/// non-gameplay examples. Both: full-batch gradient descent (Adam), L2-regularised, classes
/// weighted by inverse frequency. Then the gameplay threshold is set to the lowest probability
/// (at least 0.5) at which the training examples reach `targetPrecision` for `gameplay`.
public enum ScreenTrainer {
  public struct Options: Sendable {
    public var epochs = 300
    public var learningRate: Float = 0.05
    public var l2: Float = 1e-3
    public var targetPrecision: Float = 0.998
    public init() {}
  }

  public static func train(
    _ examples: [ScreenExample], hudStart: Int, layout: String, trainedOn: String,
    options: Options = Options()
  ) -> ScreenModel {
    precondition(!examples.isEmpty)
    let d = examples[0].features.count
    precondition(hudStart > 0 && hudStart < d)
    let n = examples.count
    // Standardisation over all examples.
    var mean = [Float](repeating: 0, count: d)
    for e in examples { for j in 0..<d { mean[j] += e.features[j] } }
    for j in 0..<d { mean[j] /= Float(n) }
    var variance = [Float](repeating: 0, count: d)
    for e in examples {
      for j in 0..<d {
        let t = e.features[j] - mean[j]
        variance[j] += t * t
      }
    }
    let scale = variance.map { 1 / (($0 / Float(n)).squareRoot() + 1e-3) }
    func standardised(_ e: ScreenExample, _ range: Range<Int>) -> [Float] {
      range.map { (e.features[$0] - mean[$0]) * scale[$0] }
    }
    // Gameplay head: 2 classes (not gameplay, gameplay) on the HUD features.
    let hud = hudStart..<d
    let g = fitSoftmax(
      rows: examples.map { standardised($0, hud) },
      labels: examples.map { $0.screen == .gameplay ? 1 : 0 },
      classes: 2, options: options)
    let gameplayWeights = (0..<hud.count).map { g.weights[hud.count + $0] - g.weights[$0] }
    let gameplayBias = g.bias[1] - g.bias[0]
    // Screen head on the thumbnail of the other examples.
    let others = examples.filter { $0.screen != .gameplay }
    let screenClasses = Screen.allCases.filter { s in
      s != .gameplay && others.contains { $0.screen == s }
    }
    let classes = screenClasses.isEmpty ? [Screen.other] : screenClasses
    var screenWeights = [Float](repeating: 0, count: classes.count * hudStart)
    var screenBias = [Float](repeating: 0, count: classes.count)
    if classes.count > 1 {
      let h = fitSoftmax(
        rows: others.map { standardised($0, 0..<hudStart) },
        labels: others.map { e in classes.firstIndex(of: e.screen) ?? 0 }, classes: classes.count,
        options: options)
      screenWeights = h.weights
      screenBias = h.bias
    }
    var model = ScreenModel(
      featureCount: d, hudStart: hudStart, mean: mean, scale: scale,
      gameplayWeights: gameplayWeights, gameplayBias: gameplayBias, screenClasses: classes,
      screenWeights: screenWeights, screenBias: screenBias, gameplayThreshold: 0.5, layout: layout,
      trainedOn: trainedOn)
    let scored = examples.map { (model.gameplayProbability($0.features), $0.screen == .gameplay) }
    var threshold: Float = 0.5
    for t in stride(from: Float(0.5), through: 0.99, by: 0.01) {
      let kept = scored.filter { $0.0 >= t }
      let good = kept.filter { $0.1 }.count
      threshold = t
      if kept.isEmpty || Float(good) / Float(kept.count) >= options.targetPrecision { break }
    }
    model.gameplayThreshold = threshold
    return model
  }

  /// Multinomial logistic regression: weights `classes x cols` (row-major) and biases.
  static func fitSoftmax(rows: [[Float]], labels: [Int], classes k: Int, options: Options)
    -> (weights: [Float], bias: [Float])
  {
    let n = rows.count
    let d = rows.first?.count ?? 0
    var x = [Float](repeating: 0, count: n * d)
    for (i, r) in rows.enumerated() { for j in 0..<d { x[i * d + j] = r[j] } }
    var freq = [Float](repeating: 0, count: k)
    for c in labels { freq[c] += 1 }
    let present = Float(freq.filter { $0 > 0 }.count)
    let classWeight = freq.map { $0 > 0 ? Float(n) / (present * $0) : 0 }
    var w = [Float](repeating: 0, count: k * d)
    var b = [Float](repeating: 0, count: k)
    var mw = w
    var vw = w
    var mb = b
    var vb = b
    let beta1: Float = 0.9
    let beta2: Float = 0.999
    var gw = [Float](repeating: 0, count: k * d)
    var gb = [Float](repeating: 0, count: k)
    var logits = [Float](repeating: 0, count: k)
    for epoch in 1...max(1, options.epochs) {
      for j in gw.indices { gw[j] = 0 }
      for c in 0..<k { gb[c] = 0 }
      var weightSum: Float = 0
      x.withUnsafeBufferPointer { px in
        w.withUnsafeBufferPointer { pw in
          gw.withUnsafeMutableBufferPointer { pg in
            for i in 0..<n {
              let row = i * d
              for c in 0..<k {
                var z = b[c]
                let wr = c * d
                for j in 0..<d { z += pw[wr + j] * px[row + j] }
                logits[c] = z
              }
              let p = ScreenModel.softmax(logits)
              let cw = classWeight[labels[i]]
              weightSum += cw
              for c in 0..<k {
                let gc = cw * (p[c] - (c == labels[i] ? 1 : 0))
                gb[c] += gc
                let wr = c * d
                for j in 0..<d { pg[wr + j] += gc * px[row + j] }
              }
            }
          }
        }
      }
      let lr = options.learningRate
      let c1 = 1 - Float(pow(Double(beta1), Double(epoch)))
      let c2 = 1 - Float(pow(Double(beta2), Double(epoch)))
      for j in w.indices {
        let gj = gw[j] / weightSum + options.l2 * w[j]
        mw[j] = beta1 * mw[j] + (1 - beta1) * gj
        vw[j] = beta2 * vw[j] + (1 - beta2) * gj * gj
        w[j] -= lr * (mw[j] / c1) / ((vw[j] / c2).squareRoot() + 1e-8)
      }
      for c in 0..<k {
        let gc = gb[c] / weightSum
        mb[c] = beta1 * mb[c] + (1 - beta1) * gc
        vb[c] = beta2 * vb[c] + (1 - beta2) * gc * gc
        b[c] -= lr * (mb[c] / c1) / ((vb[c] / c2).squareRoot() + 1e-8)
      }
    }
    return (w, b)
  }
}

/// Per-screen precision and recall of predicted against true screens.
public struct ScreenEvaluation: Sendable, Equatable {
  /// counts[truth][predicted].
  public var counts: [Screen: [Screen: Int]] = [:]

  public init() {}

  public mutating func add(truth: Screen, predicted: Screen) {
    counts[truth, default: [:]][predicted, default: 0] += 1
  }

  public var total: Int { counts.values.reduce(0) { $0 + $1.values.reduce(0, +) } }

  /// True positives / predicted positives (1 when nothing was predicted as `screen`).
  public func precision(_ screen: Screen) -> Double {
    let predicted = counts.values.reduce(0) { $0 + ($1[screen] ?? 0) }
    let tp = counts[screen]?[screen] ?? 0
    return predicted == 0 ? 1 : Double(tp) / Double(predicted)
  }

  /// True positives / actual positives (1 when there were none).
  public func recall(_ screen: Screen) -> Double {
    let actual = counts[screen]?.values.reduce(0, +) ?? 0
    let tp = counts[screen]?[screen] ?? 0
    return actual == 0 ? 1 : Double(tp) / Double(actual)
  }

  public func support(_ screen: Screen) -> Int { counts[screen]?.values.reduce(0, +) ?? 0 }

  /// A plain-text table: screen, support, precision, recall, plus the confusion matrix.
  public var table: String {
    func pad(_ t: String, _ w: Int) -> String {
      t + String(repeating: " ", count: max(0, w - t.count))
    }
    func lpad(_ t: String, _ w: Int) -> String {
      String(repeating: " ", count: max(0, w - t.count)) + t
    }
    var s = "screen     support  precision  recall\n"
    for c in Screen.allCases {
      s +=
        pad(c.rawValue, 9) + lpad(String(support(c)), 8)
        + lpad(String(format: "%.4f", precision(c)), 11)
        + lpad(String(format: "%.4f", recall(c)), 8)
        + "\n"
    }
    s += "confusion (rows: truth; columns: predicted gameplay, loading, shop, other)\n"
    for t in Screen.allCases {
      s += pad(t.rawValue, 9)
      for p in Screen.allCases { s += lpad(String(counts[t]?[p] ?? 0), 9) }
      s += "\n"
    }
    return s
  }
}

/// Training-time perturbations that the sorter must shrug off: a shift of the whole picture by
/// up to `maxShift` px (the HUD moves with it), per-channel gain and offset (brightness, contrast
/// and colour-balance shifts).
public enum FrameAugment {
  /// A perturbed copy of `frame`; `rng` makes it repeatable.
  public static func perturb(
    _ frame: RGBImage, maxShift: Int = 6, using rng: inout some RandomNumberGenerator
  ) -> RGBImage {
    let dx = Int.random(in: -maxShift...maxShift, using: &rng)
    let dy = Int.random(in: -maxShift...maxShift, using: &rng)
    let common = Float.random(in: 0.7...1.3, using: &rng)
    var gain: [Float] = []
    var bias: [Float] = []
    for _ in 0..<3 {
      gain.append(common * Float.random(in: 0.9...1.1, using: &rng))
      bias.append(Float.random(in: -30...30, using: &rng))
    }
    // Lookup tables: one per channel.
    var lut = [UInt8](repeating: 0, count: 3 * 256)
    for c in 0..<3 {
      for v in 0..<256 {
        lut[c * 256 + v] = UInt8(max(0, min(255, (Float(v) * gain[c] + bias[c]).rounded())))
      }
    }
    let w = frame.width
    let h = frame.height
    var out = [UInt8](repeating: 0, count: w * h * 3)
    frame.pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for y in 0..<h {
          let sy = min(max(y - dy, 0), h - 1)
          for x in 0..<w {
            let sx = min(max(x - dx, 0), w - 1)
            let s = (sy * w + sx) * 3
            let d = (y * w + x) * 3
            dst[d] = lut[Int(src[s])]
            dst[d + 1] = lut[256 + Int(src[s + 1])]
            dst[d + 2] = lut[512 + Int(src[s + 2])]
          }
        }
      }
    }
    return RGBImage(width: w, height: h, pixels: out)
  }
}
