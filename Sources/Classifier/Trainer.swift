import Foundation
import InceptionKernels

/// How the final layer is updated from its gradient.
public enum Optimizer: String, Sendable, Codable, CaseIterable {
  /// Plain mini-batch gradient descent, as `retrain.py`.
  case sgd
  /// Gradient descent with heavy-ball momentum.
  case momentum
  /// Adam (β1 0.9, β2 0.999, ε 1e-8).
  case adam
}

/// The knobs of a training run. Defaults: see docs/training.md for the comparison behind them.
public struct TrainingOptions: Sendable, Codable, Equatable {
  public var steps = 4000
  public var learningRate: Float = 0.01
  public var batchSize = 100
  /// Every this many steps (and at the last step) a progress line is produced.
  public var evalStepInterval = 100
  public var seed: UInt64 = 0
  public var optimizer = Optimizer.momentum
  /// Momentum factor for `.momentum`.
  public var momentum: Float = 0.9
  /// L2 penalty on the weights (added to the gradient as `l2 * w`).
  public var l2: Float = 0.001
  /// Standardise each bottleneck feature with the training set's mean and standard deviation.
  public var standardize = true

  enum CodingKeys: String, CodingKey {
    case steps, seed, optimizer, momentum, l2, standardize
    case learningRate = "learning_rate"
    case batchSize = "batch_size"
    case evalStepInterval = "eval_step_interval"
  }

  public init() {}
}

/// Bottlenecks with their class indices: `labels.count` rows of `inputSize` floats, row-major.
public struct LabelledBottlenecks: Sendable {
  public let inputSize: Int
  public var features: [Float]
  public var labels: [Int]

  public init(inputSize: Int, features: [Float] = [], labels: [Int] = []) {
    precondition(features.count == labels.count * inputSize)
    self.inputSize = inputSize
    self.features = features
    self.labels = labels
  }

  public var count: Int { labels.count }

  /// Adds one row.
  public mutating func append(_ bottleneck: [Float], label: Int) {
    precondition(bottleneck.count == inputSize)
    features.append(contentsOf: bottleneck)
    labels.append(label)
  }
}

/// A progress line: on the current training batch (before its update) and on the whole
/// validation set.
public struct TrainingProgress: Sendable {
  public var step: Int
  public var trainAccuracy: Double
  public var crossEntropy: Double
  public var validationAccuracy: Double?
}

/// Accuracy, mean cross entropy and the per-row probabilities of a labelled set.
public struct Evaluation: Sendable {
  public var accuracy: Double
  public var crossEntropy: Double
  /// `count × classCount`, row-major.
  public var probabilities: [Float]
  /// The arg-max class of each row.
  public var predictions: [Int]
}

/// Trains a `FinalLayer` by mini-batch gradient descent on softmax cross entropy; each batch is
/// one sgemm forward and one backward.
public struct Trainer {
  public internal(set) var layer: FinalLayer
  public let options: TrainingOptions
  var rng: SeededGenerator
  var velocity: [Float]
  private var secondMoment: [Float]
  var biasVelocity: [Float]
  private var biasSecondMoment: [Float]
  var updates = 0
  // Scratch, reused every step.
  var logits: [Float] = []
  var gradient: [Float] = []
  private var weightGradient: [Float]

  /// A trainer whose standardisation comes from `statisticsFrom` (the training set) and whose
  /// weights start as small seeded Gaussian values (σ 0.001, as `retrain.py`).
  public init(
    classCount: Int, statisticsFrom training: LabelledBottlenecks, options: TrainingOptions
  ) {
    let n = training.inputSize
    var mean = [Float](repeating: 0, count: n)
    var scale = [Float](repeating: 1, count: n)
    if options.standardize, training.count > 0 {
      Self.statistics(training, mean: &mean, scale: &scale)
    }
    var rng = SeededGenerator(seed: options.seed)
    var w = [Float](repeating: 0, count: n * classCount)
    for i in 0..<w.count { w[i] = 0.001 * rng.nextGaussian() }
    layer = FinalLayer(
      inputSize: n, classCount: classCount, mean: mean, scale: scale, weights: w,
      bias: [Float](repeating: 0, count: classCount))
    self.options = options
    self.rng = rng
    velocity = [Float](repeating: 0, count: w.count)
    secondMoment = options.optimizer == .adam ? [Float](repeating: 0, count: w.count) : []
    biasVelocity = [Float](repeating: 0, count: classCount)
    biasSecondMoment = [Float](repeating: 0, count: classCount)
    weightGradient = [Float](repeating: 0, count: w.count)
  }

  /// Per-feature mean and 1/std (std floored so constant features do not blow up).
  static func statistics(_ set: LabelledBottlenecks, mean: inout [Float], scale: inout [Float]) {
    let n = set.inputSize
    var sum = [Double](repeating: 0, count: n)
    var sq = [Double](repeating: 0, count: n)
    set.features.withUnsafeBufferPointer { p in
      for r in 0..<set.count {
        let row = r * n
        for j in 0..<n {
          let v = Double(p[row + j])
          sum[j] += v
          sq[j] += v * v
        }
      }
    }
    let count = Double(set.count)
    for j in 0..<n {
      let m = sum[j] / count
      let variance = max(sq[j] / count - m * m, 0)
      mean[j] = Float(m)
      scale[j] = Float(1 / max(variance.squareRoot(), 1e-3))
    }
  }

  /// One update from a batch of standardised rows. Returns the batch's accuracy and mean cross
  /// entropy before the update.
  public mutating func step(standardized x: [Float], labels: [Int]) -> (
    accuracy: Double, crossEntropy: Double
  ) {
    x.withUnsafeBufferPointer { px in
      guard let base = px.baseAddress else { return (0, 0) }
      return step(base, labels: labels)
    }
  }

  private mutating func step(_ x: UnsafePointer<Float>, labels: [Int]) -> (
    accuracy: Double, crossEntropy: Double
  ) {
    let rows = labels.count
    let c = layer.classCount
    let n = layer.inputSize
    if logits.count != rows * c {
      logits = [Float](repeating: 0, count: rows * c)
      gradient = logits
    }
    // Forward: logits = x · W + b, softmax.
    for r in 0..<rows {
      for j in 0..<c { logits[r * c + j] = layer.bias[j] }
    }
    layer.weights.withUnsafeBufferPointer { pw in
      logits.withUnsafeMutableBufferPointer { pl in
        guard let w = pw.baseAddress, let l = pl.baseAddress else { return }
        BLAS.gemm(x, w, into: l, m: rows, n: c, k: n, accumulate: true)
      }
    }
    let result = softmaxGradient(labels: labels)
    // Backward: dW = xᵀ · g, db = Σ g.
    gradient.withUnsafeBufferPointer { pg in
      weightGradient.withUnsafeMutableBufferPointer { pd in
        guard let g = pg.baseAddress, let d = pd.baseAddress else { return }
        BLAS.gemm(x, transposeA: true, g, into: d, m: n, n: c, k: rows)
      }
    }
    update(biasGradient(rows: rows))
    return result
  }

  /// The softmax of `logits` (`labels.count` rows, in place), the batch's accuracy and mean
  /// cross entropy, and dL/dlogits = (p − y) / rows into `gradient`.
  mutating func softmaxGradient(labels: [Int]) -> (accuracy: Double, crossEntropy: Double) {
    let rows = labels.count
    let c = layer.classCount
    var correct = 0
    var loss = 0.0
    let inv = 1 / Float(rows)
    logits.withUnsafeMutableBufferPointer { pl in
      gradient.withUnsafeMutableBufferPointer { pg in
        guard let l = pl.baseAddress else { return }
        Softmax.applyRows(l, rows: rows, columns: c)
        for r in 0..<rows {
          let y = labels[r]
          if Softmax.argmax(l, row: r, columns: c) == y { correct += 1 }
          loss -= Double(logf(max(l[r * c + y], 1e-30)))
          for j in 0..<c { pg[r * c + j] = l[r * c + j] * inv }
          pg[r * c + y] -= inv
        }
      }
    }
    return (Double(correct) / Double(rows), loss / Double(rows))
  }

  /// db = Σ over the batch's rows of `gradient`.
  func biasGradient(rows: Int) -> [Float] {
    let c = layer.classCount
    var biasGradient = [Float](repeating: 0, count: c)
    for r in 0..<rows {
      for j in 0..<c { biasGradient[j] += gradient[r * c + j] }
    }
    return biasGradient
  }

  /// The bias's update from its gradient, as ``update(_:)`` does for the bias.
  mutating func updateBias(_ biasGradient: [Float]) {
    let lr = options.learningRate
    let c = layer.classCount
    switch options.optimizer {
    case .sgd:
      for j in 0..<c { layer.bias[j] -= lr * biasGradient[j] }
    case .momentum:
      let mu = options.momentum
      for j in 0..<c {
        biasVelocity[j] = mu * biasVelocity[j] + biasGradient[j]
        layer.bias[j] -= lr * biasVelocity[j]
      }
    case .adam:
      preconditionFailure("Adam updates the bias with its weights (update(_:))")
    }
  }

  private mutating func update(_ biasGradient: [Float]) {
    updates += 1
    let lr = options.learningRate
    let l2 = options.l2
    let c = layer.classCount
    switch options.optimizer {
    case .sgd:
      layer.weights.withUnsafeMutableBufferPointer { w in
        weightGradient.withUnsafeBufferPointer { g in
          for i in 0..<w.count { w[i] -= lr * (g[i] + l2 * w[i]) }
        }
      }
      updateBias(biasGradient)
    case .momentum:
      let mu = options.momentum
      layer.weights.withUnsafeMutableBufferPointer { w in
        weightGradient.withUnsafeBufferPointer { g in
          velocity.withUnsafeMutableBufferPointer { v in
            for i in 0..<w.count {
              v[i] = mu * v[i] + g[i] + l2 * w[i]
              w[i] -= lr * v[i]
            }
          }
        }
      }
      updateBias(biasGradient)
    case .adam:
      let b1: Float = 0.9
      let b2: Float = 0.999
      let eps: Float = 1e-8
      let t = Float(updates)
      let c1 = 1 / (1 - powf(b1, t))
      let c2 = 1 / (1 - powf(b2, t))
      layer.weights.withUnsafeMutableBufferPointer { w in
        weightGradient.withUnsafeBufferPointer { g in
          velocity.withUnsafeMutableBufferPointer { m in
            secondMoment.withUnsafeMutableBufferPointer { v in
              for i in 0..<w.count {
                let gi = g[i] + l2 * w[i]
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                w[i] -= lr * (m[i] * c1) / ((v[i] * c2).squareRoot() + eps)
              }
            }
          }
        }
      }
      for j in 0..<c {
        let gi = biasGradient[j]
        biasVelocity[j] = b1 * biasVelocity[j] + (1 - b1) * gi
        biasSecondMoment[j] = b2 * biasSecondMoment[j] + (1 - b2) * gi * gi
        layer.bias[j] -=
          lr * (biasVelocity[j] * c1) / ((biasSecondMoment[j] * c2).squareRoot() + eps)
      }
    }
  }

  /// Accuracy, cross entropy and probabilities of an already standardised set.
  public func evaluate(standardized set: LabelledBottlenecks) -> Evaluation {
    evaluate(standardized: set, iconsPerClass: 1)
  }

  /// The same at the level of classes of `icons` outputs each (``HeroModel/iconsPerClass``):
  /// the outputs' probabilities summed per class, `set`'s labels being classes.
  public func evaluate(standardized set: LabelledBottlenecks, iconsPerClass icons: Int)
    -> Evaluation
  {
    let c = layer.classCount / max(icons, 1)
    guard set.count > 0 else {
      return Evaluation(accuracy: 0, crossEntropy: 0, probabilities: [], predictions: [])
    }
    let p = HeroModel.summing(layer.probabilities(standardized: set.features), icons: icons)
    var correct = 0
    var loss = 0.0
    var predictions = [Int](repeating: 0, count: set.count)
    p.withUnsafeBufferPointer { pp in
      guard let base = pp.baseAddress else { return }
      for r in 0..<set.count {
        let best = Softmax.argmax(base, row: r, columns: c)
        predictions[r] = best
        if best == set.labels[r] { correct += 1 }
        loss -= Double(logf(max(pp[r * c + set.labels[r]], 1e-30)))
      }
    }
    return Evaluation(
      accuracy: Double(correct) / Double(set.count), crossEntropy: loss / Double(set.count),
      probabilities: p, predictions: predictions)
  }

  /// Standardises a set with this trainer's statistics (in place).
  public func standardize(_ set: inout LabelledBottlenecks) { layer.standardize(&set.features) }

  /// A whole run on cached bottlenecks: `options.steps` batches drawn from `training` (shuffled
  /// epochs, seeded), a progress line every `evalStepInterval` steps and at the last.
  ///
  /// `distortedBatch`, when given, replaces the cached rows: it is asked for each step's batch
  /// of raw (not yet standardised) bottlenecks, computed fresh from distorted images.
  ///
  /// `stop` is asked before every step; once it says true the run ends there (no more steps or
  /// reports) and the trainer is returned as it stands: the caller, cancelled, discards it.
  ///
  /// `form`: the direct updates of the weights, or their dual form (``TrainingForm``), the same
  /// steps up to float rounding; by default the dual form where it is the cheaper.
  public static func train(
    classCount: Int, training: LabelledBottlenecks, validation: LabelledBottlenecks,
    options: TrainingOptions,
    distortedBatch: ((inout SeededGenerator, Int) -> LabelledBottlenecks)? = nil,
    stop: () -> Bool = { false },
    report: (TrainingProgress) -> Void = { _ in }, form: TrainingForm = .automatic
  ) -> Trainer {
    precondition(training.count > 0 && options.steps > 0 && options.batchSize > 0)
    var trainer = Trainer(classCount: classCount, statisticsFrom: training, options: options)
    var train = training
    trainer.standardize(&train)
    var valid = validation
    trainer.standardize(&valid)
    if distortedBatch == nil, form.isDual(rows: train.count, inputSize: train.inputSize, options) {
      trainer.trainDual(train: train, validation: valid, stop: stop, report: report)
      return trainer
    }
    let n = training.inputSize
    let b = options.batchSize
    var order = EpochOrder(count: train.count)
    var batch = [Float](repeating: 0, count: b * n)
    var labels = [Int](repeating: 0, count: b)
    for step in 1...options.steps {
      if stop() { break }
      let result: (accuracy: Double, crossEntropy: Double)
      if let distortedBatch {
        var fresh = distortedBatch(&trainer.rng, b)
        trainer.standardize(&fresh)
        result = trainer.step(standardized: fresh.features, labels: fresh.labels)
      } else {
        train.features.withUnsafeBufferPointer { src in
          batch.withUnsafeMutableBufferPointer { dst in
            guard let s = src.baseAddress, let d = dst.baseAddress else { return }
            for i in 0..<b {
              let row = order.next(using: &trainer.rng)
              labels[i] = train.labels[row]
              (d + i * n).update(from: s + row * n, count: n)
            }
          }
        }
        result = batch.withUnsafeBufferPointer { p in
          guard let base = p.baseAddress else { return (0.0, 0.0) }
          return trainer.step(base, labels: labels)
        }
      }
      if step % max(options.evalStepInterval, 1) == 0 || step == options.steps {
        let v = valid.count > 0 ? trainer.evaluate(standardized: valid).accuracy : nil
        report(
          TrainingProgress(
            step: step, trainAccuracy: result.accuracy, crossEntropy: result.crossEntropy,
            validationAccuracy: v))
      }
    }
    return trainer
  }
}
