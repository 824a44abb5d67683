import InceptionKernels

/// How ``Trainer/train(classCount:training:validation:options:distortedBatch:stop:report:form:)``
/// computes its steps.
///
/// Every update of the weights by momentum or plain gradient descent (L2 penalty included) adds
/// a combination of the starting weights W₀ and of the gradients, and a gradient Xᵦᵀ·G lies in
/// the span of the training rows X (N rows of `inputSize` standardised features). So after any
/// number of steps W = α·W₀ + Xᵀ·A and the velocity V = β·W₀ + Xᵀ·B, with scalars α, β and
/// `N × classes` matrices A, B. The dual form keeps those: a batch's logits are
/// α·(X·W₀)[batch] + K[batch]·A + b with K = X·Xᵀ computed once, and the gradient G only adds
/// to the batch's rows of B (or A). A step then costs `batch × N × classes` multiply-adds
/// instead of two `batch × inputSize × classes` products (and BLAS packing the batch twice):
/// with the usual few hundred crops, several times less. The layer is W = α·W₀ + Xᵀ·A, formed
/// once at the end. The same steps in exact arithmetic; in float32 they differ by rounding
/// (docs/training.md gives the figures). Not for Adam (its per-weight scaling leaves the span),
/// nor for distorted batches (fresh rows every step).
public enum TrainingForm: Sendable {
  /// The dual form where the optimizer allows it and the training set has at most
  /// ``dualRowLimit`` rows and at most half as many rows as features.
  case automatic
  /// Always the direct updates of W.
  case direct
  /// The dual form (where the optimizer allows it; else direct).
  case dual

  /// The most training rows the automatic choice takes the dual form for. Measured (`train
  /// --bench-synthetic`, 20 classes, 4,000 steps of 100, CPU seconds, direct against dual):
  /// 500 rows 1.0–1.2 against 0.35, 1,000 rows 1.1–1.2 against 0.6–0.7, 1,500 rows 1.2–1.3
  /// against 1.1, 1,800 rows 1.2 against 1.35 (the batch's rows of K, gathered each step, grow
  /// with the rows). K is N² floats: 4 MiB at 1,024.
  public static let dualRowLimit = 1024

  func isDual(rows: Int, inputSize: Int, _ options: TrainingOptions) -> Bool {
    guard options.optimizer != .adam else { return false }
    switch self {
    case .direct: return false
    case .dual: return true
    case .automatic: return rows <= min(Self.dualRowLimit, inputSize / 2)
    }
  }
}

/// The order rows are drawn in: shuffled epochs, the next epoch shuffled (by `rng`) when one
/// runs out.
struct EpochOrder {
  private var order: [Int]
  private var cursor: Int

  init(count: Int) {
    order = Array(0..<count)
    cursor = count
  }

  mutating func next(using rng: inout SeededGenerator) -> Int {
    if cursor == order.count {
      order.shuffle(using: &rng)
      cursor = 0
    }
    cursor += 1
    return order[cursor - 1]
  }
}

extension Trainer {
  /// The run of ``train(classCount:training:validation:options:distortedBatch:stop:report:form:)``
  /// in the dual form (see ``TrainingForm``) on the standardised sets: the same batches (the
  /// same draws from `rng`), progress lines and stopping.
  mutating func trainDual(
    train: LabelledBottlenecks, validation valid: LabelledBottlenecks, stop: () -> Bool,
    report: (TrainingProgress) -> Void
  ) {
    let rows = train.count
    let n = train.inputSize
    let c = layer.classCount
    let b = options.batchSize
    let lr = options.learningRate
    let l2 = options.l2
    let mu = options.momentum
    let momentum = options.optimizer == .momentum
    let w0 = layer.weights
    // K = X·Xᵀ, P = X·W₀; for the validation rows V·Xᵀ and V·W₀.
    let k = Self.product(train.features, train.features, rows, rows, n, transposeB: true)
    let p0 = Self.product(train.features, w0, rows, c, n)
    let kv = Self.product(valid.features, train.features, valid.count, rows, n, transposeB: true)
    let pv0 = Self.product(valid.features, w0, valid.count, c, n)
    var alpha: Float = 1
    var beta: Float = 0
    var a = [Float](repeating: 0, count: rows * c)
    var bv = [Float](repeating: 0, count: rows * c)
    var s = [Float](repeating: 0, count: rows * c)
    var kb = [Float](repeating: 0, count: b * rows)
    var indices = [Int](repeating: 0, count: b)
    var labels = [Int](repeating: 0, count: b)
    var order = EpochOrder(count: rows)
    if logits.count != b * c {
      logits = [Float](repeating: 0, count: b * c)
      gradient = logits
    }
    for step in 1...options.steps {
      if stop() { break }
      for i in 0..<b {
        let row = order.next(using: &rng)
        indices[i] = row
        labels[i] = train.labels[row]
        for j in 0..<rows { kb[i * rows + j] = k[row * rows + j] }
        for j in 0..<c { logits[i * c + j] = layer.bias[j] + alpha * p0[row * c + j] }
      }
      Self.accumulate(kb, a, into: &logits, b, c, rows)
      let result = softmaxGradient(labels: labels)
      updateBias(biasGradient(rows: b))
      // S: the batch's gradient rows added onto their training rows (a row drawn twice, at an
      // epoch's end, gets both).
      for i in 0..<s.count { s[i] = 0 }
      for (i, row) in indices.enumerated() {
        for j in 0..<c { s[row * c + j] += gradient[i * c + j] }
      }
      updates += 1
      if momentum {
        // V ← μV + g + λW;  W ← W − ηV.
        beta = mu * beta + l2 * alpha
        for i in 0..<a.count { bv[i] = mu * bv[i] + s[i] + l2 * a[i] }
        alpha -= lr * beta
        for i in 0..<a.count { a[i] -= lr * bv[i] }
      } else {
        // W ← W − η(g + λW).
        alpha -= lr * (l2 * alpha)
        for i in 0..<a.count { a[i] -= lr * (s[i] + l2 * a[i]) }
      }
      if step % max(options.evalStepInterval, 1) == 0 || step == options.steps {
        var accuracy: Double?
        if valid.count > 0 {
          var lv = [Float](repeating: 0, count: valid.count * c)
          for r in 0..<valid.count {
            for j in 0..<c { lv[r * c + j] = layer.bias[j] + alpha * pv0[r * c + j] }
          }
          Self.accumulate(kv, a, into: &lv, valid.count, c, rows)
          var correct = 0
          lv.withUnsafeMutableBufferPointer { pl in
            guard let l = pl.baseAddress else { return }
            Softmax.applyRows(l, rows: valid.count, columns: c)
            for r in 0..<valid.count where Softmax.argmax(l, row: r, columns: c) == valid.labels[r]
            {
              correct += 1
            }
          }
          accuracy = Double(correct) / Double(valid.count)
        }
        report(
          TrainingProgress(
            step: step, trainAccuracy: result.accuracy, crossEntropy: result.crossEntropy,
            validationAccuracy: accuracy))
      }
    }
    // W = αW₀ + Xᵀ·A (and the velocity likewise).
    layer.weights = Self.primal(alpha, w0, train.features, a, n, c, rows)
    if momentum { velocity = Self.primal(beta, w0, train.features, bv, n, c, rows) }
  }

  /// `m × p` = (`m × k`) · (`k × p`), or · (`p × k`)ᵀ; empty when `m` is 0.
  private static func product(
    _ x: [Float], _ y: [Float], _ m: Int, _ p: Int, _ k: Int, transposeB: Bool = false
  ) -> [Float] {
    var out = [Float](repeating: 0, count: m * p)
    accumulate(x, y, into: &out, m, p, k, transposeB: transposeB)
    return out
  }

  /// `out` (`m × p`) += `x` (`m × k`) · `y` (`k × p`), or · (`p × k`)ᵀ.
  private static func accumulate(
    _ x: [Float], _ y: [Float], into out: inout [Float], _ m: Int, _ p: Int, _ k: Int,
    transposeB: Bool = false
  ) {
    guard m > 0, p > 0, k > 0 else { return }
    x.withUnsafeBufferPointer { px in
      y.withUnsafeBufferPointer { py in
        out.withUnsafeMutableBufferPointer { po in
          guard let a = px.baseAddress, let b = py.baseAddress, let c = po.baseAddress else {
            return
          }
          BLAS.gemm(
            a, b, transposeB: transposeB, into: c, m: m, n: p, k: k, accumulate: true)
        }
      }
    }
  }

  /// scale·W₀ + Xᵀ·coefficients (`n × c`).
  private static func primal(
    _ scale: Float, _ w0: [Float], _ x: [Float], _ coefficients: [Float], _ n: Int, _ c: Int,
    _ rows: Int
  ) -> [Float] {
    var w = w0.map { scale * $0 }
    w.withUnsafeMutableBufferPointer { pw in
      x.withUnsafeBufferPointer { px in
        coefficients.withUnsafeBufferPointer { pc in
          guard let out = pw.baseAddress, let a = px.baseAddress, let b = pc.baseAddress else {
            return
          }
          BLAS.gemm(a, transposeA: true, b, into: out, m: n, n: c, k: rows, accumulate: true)
        }
      }
    }
    return w
  }
}
