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

/// Trains a `ScreenModel`: multinomial logistic regression by full-batch gradient descent
/// (Adam), L2-regularised, classes weighted by inverse frequency; then sets the gameplay
/// threshold as the lowest probability (at least 0.5) at which the training examples reach
/// `targetPrecision` for `gameplay`.
public enum ScreenTrainer {
  public struct Options: Sendable {
    public var epochs = 300
    public var learningRate: Float = 0.05
    public var l2: Float = 1e-3
    public var targetPrecision: Float = 0.998
    public init() {}
  }

  public static func train(
    _ examples: [ScreenExample], layout: String, trainedOn: String, options: Options = Options()
  ) -> ScreenModel {
    let classes = Screen.allCases
    precondition(!examples.isEmpty)
    let d = examples[0].features.count
    let n = examples.count
    let k = classes.count
    // Standardisation.
    var mean = [Float](repeating: 0, count: d)
    var scale = [Float](repeating: 1, count: d)
    for e in examples { for j in 0..<d { mean[j] += e.features[j] } }
    for j in 0..<d { mean[j] /= Float(n) }
    var varc = [Float](repeating: 0, count: d)
    for e in examples {
      for j in 0..<d {
        let t = e.features[j] - mean[j]
        varc[j] += t * t
      }
    }
    for j in 0..<d { scale[j] = 1 / ((varc[j] / Float(n)).squareRoot() + 1e-3) }
    var x = [Float](repeating: 0, count: n * d)
    for (i, e) in examples.enumerated() {
      for j in 0..<d { x[i * d + j] = (e.features[j] - mean[j]) * scale[j] }
    }
    let y = examples.map { classes.firstIndex(of: $0.screen) ?? 0 }
    var freq = [Float](repeating: 0, count: k)
    for c in y { freq[c] += 1 }
    let present = Float(freq.filter { $0 > 0 }.count)
    let classWeight = freq.map { $0 > 0 ? Float(n) / (present * $0) : 0 }

    var w = [Float](repeating: 0, count: k * d)
    var b = [Float](repeating: 0, count: k)
    var mw = w, vw = w, mb = b, vb = b
    let beta1: Float = 0.9, beta2: Float = 0.999
    var gw = [Float](repeating: 0, count: k * d)
    var logits = [Float](repeating: 0, count: k)
    for epoch in 1...options.epochs {
      for j in 0..<gw.count { gw[j] = 0 }
      var gb = [Float](repeating: 0, count: k)
      var wsum: Float = 0
      x.withUnsafeBufferPointer { px in
        w.withUnsafeBufferPointer { pw in
          gw.withUnsafeMutableBufferPointer { pg in
            for i in 0..<n {
              let row = i * d
              for c in 0..<k {
                var s = b[c]
                let wr = c * d
                for j in 0..<d { s += pw[wr + j] * px[row + j] }
                logits[c] = s
              }
              let p = ScreenModel.softmax(logits)
              let cw = classWeight[y[i]]
              wsum += cw
              for c in 0..<k {
                let g = cw * (p[c] - (c == y[i] ? 1 : 0))
                gb[c] += g
                let wr = c * d
                for j in 0..<d { pg[wr + j] += g * px[row + j] }
              }
            }
          }
        }
      }
      let lr = options.learningRate
      let c1 = 1 - Float(pow(Double(beta1), Double(epoch)))
      let c2 = 1 - Float(pow(Double(beta2), Double(epoch)))
      for j in 0..<w.count {
        let g = gw[j] / wsum + options.l2 * w[j]
        mw[j] = beta1 * mw[j] + (1 - beta1) * g
        vw[j] = beta2 * vw[j] + (1 - beta2) * g * g
        w[j] -= lr * (mw[j] / c1) / ((vw[j] / c2).squareRoot() + 1e-8)
      }
      for c in 0..<k {
        let g = gb[c] / wsum
        mb[c] = beta1 * mb[c] + (1 - beta1) * g
        vb[c] = beta2 * vb[c] + (1 - beta2) * g * g
        b[c] -= lr * (mb[c] / c1) / ((vb[c] / c2).squareRoot() + 1e-8)
      }
    }
    var model = ScreenModel(
      classes: classes, featureCount: d, mean: mean, scale: scale, weights: w, bias: b,
      gameplayThreshold: 0.5, layout: layout, trainedOn: trainedOn)
    // Threshold for precision on the training examples.
    let gi = classes.firstIndex(of: .gameplay) ?? 0
    let scored = examples.map { (model.probabilities($0.features)[gi], $0.screen == .gameplay) }
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
    var s = "screen     support  precision  recall\n"
    for c in Screen.allCases {
      s += String(
        format: "%-9@ %8d  %9.4f  %6.4f\n", c.rawValue as NSString, support(c), precision(c),
        recall(c))
    }
    s += "confusion (rows truth, columns predicted: gameplay loading shop other)\n"
    for t in Screen.allCases {
      s += String(format: "%-9@", t.rawValue as NSString)
      for p in Screen.allCases { s += String(format: " %8d", counts[t]?[p] ?? 0) }
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
