import Classifier
import Foundation
import InceptionKernels
import TestSupport
import Testing

/// `TrainingForm.dual`: the same steps as the direct updates, kept as W = α·W₀ + Xᵀ·A.
@Suite("Final layer training, dual form")
struct DualTrainingTests {
  static func options(_ optimizer: Optimizer, steps: Int, batch: Int) -> TrainingOptions {
    var options = TrainingOptions()
    options.optimizer = optimizer
    options.steps = steps
    options.batchSize = batch
    options.learningRate = 0.05
    // Large, so that a dual form that lost the penalty's term would be far off.
    options.l2 = 0.2
    options.evalStepInterval = 1
    return options
  }

  @Test(
    "momentum and plain SGD: the dual form's weights, biases and progress are the direct ones",
    arguments: [Optimizer.momentum, .sgd])
  func sameSteps(optimizer: Optimizer) {
    // 60 rows of 256 (dual: fewer rows than features), batches of 25: the third batch runs
    // past the first epoch, so a row may be drawn twice in it.
    let all = SyntheticBottlenecks.clusters(
      classes: 4, perClass: 15, inputSize: 256, spread: 1, seed: 11)
    let (training, held) = SyntheticBottlenecks.split(all, held: 12)
    let steps = 3
    let options = Self.options(optimizer, steps: steps, batch: 25)
    var directLines: [TrainingProgress] = []
    var dualLines: [TrainingProgress] = []
    let direct = Trainer.train(
      classCount: 4, training: training, validation: held, options: options,
      report: { directLines.append($0) }, form: .direct)
    let dual = Trainer.train(
      classCount: 4, training: training, validation: held, options: options,
      report: { dualLines.append($0) }, form: .dual)
    // Each step evaluates the same logits and gradients in another order: every value a sum of
    // at most n + N + batch products (x·W, or K = X·Xᵀ then K·A; Xᵀ·G), each within
    // γ(n + N + batch) of exact, twice for the two forms; a step's error carries into the next
    // (momentum's velocity sums the past steps with weights below 1 / (1 − μ) = 10), so after
    // S steps the weights differ by at most 2·S·10·γ(n + N + batch) relative. The penalty alone
    // moves them by S·η·λ = 3 %, far beyond it.
    let bound = 2 * Double(steps) * 10 * RoundingBound.gamma(256 + 48 + 25)
    let dw = relativeL2Error(dual.layer.weights, direct.layer.weights)
    #expect(dw <= bound, "weights differ by \(dw) (bound \(bound))")
    #expect(relativeL2Error(dual.layer.bias, direct.layer.bias) <= bound)
    #expect(dual.layer.mean == direct.layer.mean && dual.layer.scale == direct.layer.scale)
    #expect(dualLines.map(\.step) == Array(1...steps))
    #expect(dualLines.map(\.step) == directLines.map(\.step))
    for (a, b) in zip(dualLines, directLines) {
      #expect(abs(a.crossEntropy - b.crossEntropy) <= bound * max(1, b.crossEntropy))
      #expect(a.validationAccuracy != nil)
    }
    // Not trivially equal: training moved the weights.
    let start = Trainer(classCount: 4, statisticsFrom: training, options: options)
    #expect(relativeL2Error(start.layer.weights, direct.layer.weights) > 100 * bound)
  }

  @Test("with nothing to learn (one class), the starting weights decay by the penalty alike")
  func startingWeightsDecayAlike() {
    // One class: every probability is 1, the gradient 0, so each step only applies the L2
    // penalty to W₀ (SGD: W ← (1 − ηλ)·W; momentum through the velocity). The dual form tracks
    // that in its scalars α, β: the weights must be W₀ times the same factor, within the
    // rounding of a few operations a step.
    let all = SyntheticBottlenecks.clusters(classes: 1, perClass: 40, inputSize: 128, seed: 4)
    for optimizer in [Optimizer.momentum, .sgd] {
      let steps = 50
      let options = Self.options(optimizer, steps: steps, batch: 16)
      let direct = Trainer.train(
        classCount: 1, training: all, validation: all, options: options, form: .direct)
      let dual = Trainer.train(
        classCount: 1, training: all, validation: all, options: options, form: .dual)
      let start = Trainer(classCount: 1, statisticsFrom: all, options: options)
      // Four roundings a step in each form (velocity, update; α, β), over 50 steps, momentum's
      // sum of them at most 10 times one.
      let bound = 2 * 4 * Double(steps) * 10 * RoundingBound.unitRoundoff
      #expect(relativeL2Error(dual.layer.weights, direct.layer.weights) <= bound, "\(optimizer)")
      // And the penalty did shrink them (by (1 − ηλ)⁵⁰ = 0.6 for SGD).
      #expect(relativeL2Error(direct.layer.weights, start.layer.weights) > 0.1, "\(optimizer)")
    }
  }

  @Test("a longer run: the same held-out answers and validation accuracy at every report")
  func sameAnswers() {
    let all = SyntheticBottlenecks.clusters(classes: 5, perClass: 60, spread: 1.0, seed: 3)
    let (training, held) = SyntheticBottlenecks.split(all, held: 50)
    var options = TrainingOptions()
    options.steps = 300
    options.batchSize = 32
    options.evalStepInterval = 50
    var directLines: [TrainingProgress] = []
    var dualLines: [TrainingProgress] = []
    let direct = Trainer.train(
      classCount: 5, training: training, validation: held, options: options,
      report: { directLines.append($0) }, form: .direct)
    let dual = Trainer.train(
      classCount: 5, training: training, validation: held, options: options,
      report: { dualLines.append($0) }, form: .dual)
    #expect(dualLines.map(\.validationAccuracy) == directLines.map(\.validationAccuracy))
    var test = held
    direct.standardize(&test)
    let a = direct.evaluate(standardized: test)
    let b = dual.evaluate(standardized: test)
    #expect(a.accuracy >= 0.95)
    #expect(a.predictions == b.predictions)
    for i in a.probabilities.indices {
      #expect(abs(a.probabilities[i] - b.probabilities[i]) <= 1e-3)
    }
  }

  @Test("automatic: dual for a few hundred rows, direct for Adam; a stop takes no further step")
  func automaticChoiceAndStop() {
    let all = SyntheticBottlenecks.clusters(classes: 3, perClass: 20, inputSize: 128, seed: 6)
    var options = Self.options(.momentum, steps: 20, batch: 8)
    let auto = Trainer.train(classCount: 3, training: all, validation: all, options: options)
    let dual = Trainer.train(
      classCount: 3, training: all, validation: all, options: options, form: .dual)
    let direct = Trainer.train(
      classCount: 3, training: all, validation: all, options: options, form: .direct)
    #expect(auto.layer == dual.layer)
    #expect(auto.layer != direct.layer)  // the forms round differently
    options.optimizer = .adam
    options.learningRate = 0.001
    let adamAuto = Trainer.train(classCount: 3, training: all, validation: all, options: options)
    let adamDirect = Trainer.train(
      classCount: 3, training: all, validation: all, options: options, form: .direct)
    let adamDual = Trainer.train(
      classCount: 3, training: all, validation: all, options: options, form: .dual)
    #expect(adamAuto.layer == adamDirect.layer)
    #expect(adamDual.layer == adamDirect.layer)  // Adam leaves the span: always direct
    // Stopping after 7 steps gives the weights of a 7-step run, in the dual form too.
    options.optimizer = .momentum
    options.learningRate = 0.05
    var asked = 0
    var reported: [Int] = []
    let stopped = Trainer.train(
      classCount: 3, training: all, validation: all, options: options,
      stop: {
        asked += 1
        return asked > 7
      }, report: { reported.append($0.step) }, form: .dual)
    options.steps = 7
    let short = Trainer.train(
      classCount: 3, training: all, validation: all, options: options, form: .dual)
    #expect(reported == Array(1...7))
    #expect(stopped.layer == short.layer)
  }
}
