import Classifier
import Foundation
import InceptionKernels
import TestSupport
import Testing

@Suite("Final layer training")
struct TrainingTests {
  @Test("softmax rows sum to 1, also for large logits")
  func softmaxRowsSumToOne() {
    var rng = SeededGenerator(seed: 7)
    var values = (0..<(50 * 13)).map { _ in 40 * rng.nextGaussian() }
    values[3] = 1e4  // would overflow expf without the row maximum
    Softmax.apply(&values, columns: 13)
    for r in 0..<50 {
      let row = values[(r * 13)..<(r * 13 + 13)]
      // Each of 13 quotients of expf (1 ulp) by a sum of 13, then a sum of 13.
      #expect(Double(abs(row.reduce(0, +) - 1)) <= RoundingBound.gamma(2 * 13 + 4))
      #expect(row.allSatisfy { $0 >= 0 && $0.isFinite })
    }
    #expect(values[3] > 0.999)
  }

  @Test("training on Gaussian clusters reaches >= 95% held-out accuracy")
  func learnsClusters() {
    let all = SyntheticBottlenecks.clusters(classes: 5, perClass: 60, spread: 1.0, seed: 3)
    let (training, held) = SyntheticBottlenecks.split(all, held: 50)
    var options = TrainingOptions()
    options.steps = 300
    options.batchSize = 32
    options.evalStepInterval = 100
    var lines: [TrainingProgress] = []
    let trainer = Trainer.train(
      classCount: 5, training: training, validation: held, options: options,
      report: { lines.append($0) })
    #expect(lines.map(\.step) == [100, 200, 300])
    var test = held
    trainer.standardize(&test)
    let eval = trainer.evaluate(standardized: test)
    #expect(eval.accuracy >= 0.95)
    #expect(eval.crossEntropy < 0.5)
    #expect((lines.last?.validationAccuracy ?? 0) >= 0.95)
  }

  @Test("every optimizer reduces the cross entropy")
  func optimizersLearn() {
    let all = SyntheticBottlenecks.clusters(
      classes: 3, perClass: 40, inputSize: 64, spread: 1, seed: 5)
    for optimizer in Optimizer.allCases {
      var options = TrainingOptions()
      options.optimizer = optimizer
      options.learningRate = optimizer == .adam ? 0.001 : 0.01
      options.steps = 100
      options.batchSize = 20
      options.evalStepInterval = 1
      var first: Double?
      var last = 0.0
      _ = Trainer.train(
        classCount: 3, training: all, validation: all, options: options,
        report: {
          if first == nil { first = $0.crossEntropy }
          last = $0.crossEntropy
        })
      #expect(last < (first ?? 0) * 0.5, "optimizer \(optimizer.rawValue)")
    }
  }

  @Test("a run told to stop takes no further step: no report after, the weights of that step")
  func stopsWhenTold() {
    let all = SyntheticBottlenecks.clusters(classes: 3, perClass: 30, inputSize: 32, seed: 9)
    var options = TrainingOptions()
    options.steps = 1000
    options.batchSize = 10
    options.evalStepInterval = 1
    var asked = 0
    var steps: [Int] = []
    let stopped = Trainer.train(
      classCount: 3, training: all, validation: all, options: options,
      stop: {
        asked += 1
        return asked > 25
      },
      report: { steps.append($0.step) })
    #expect(steps == Array(1...25))
    // The same as a run of exactly 25 steps.
    options.steps = 25
    let short = Trainer.train(classCount: 3, training: all, validation: all, options: options)
    #expect(stopped.layer == short.layer)
  }

  @Test("the same seed gives the same weights; another seed does not")
  func deterministic() {
    let all = SyntheticBottlenecks.clusters(classes: 3, perClass: 30, inputSize: 32, seed: 9)
    var options = TrainingOptions()
    options.steps = 50
    options.batchSize = 10
    let a = Trainer.train(classCount: 3, training: all, validation: all, options: options)
    let b = Trainer.train(classCount: 3, training: all, validation: all, options: options)
    options.seed = 1
    let c = Trainer.train(classCount: 3, training: all, validation: all, options: options)
    #expect(a.layer == b.layer)
    #expect(a.layer != c.layer)
  }

  @Test("distorted batches replace the cached rows when given")
  func distortedBatchesAreUsed() {
    let all = SyntheticBottlenecks.clusters(classes: 2, perClass: 10, inputSize: 16, seed: 2)
    var options = TrainingOptions()
    options.steps = 5
    options.batchSize = 4
    var calls = 0
    _ = Trainer.train(
      classCount: 2, training: all, validation: all, options: options,
      distortedBatch: { _, count in
        calls += 1
        return SyntheticBottlenecks.clusters(classes: 2, perClass: count / 2, inputSize: 16)
      })
    #expect(calls == 5)
  }

  @Test("a distortion keeps the image inside the source and is seeded")
  func distortion() {
    var pixels = [UInt8](repeating: 0, count: 40 * 20 * 3)
    for i in 0..<pixels.count { pixels[i] = UInt8(i % 200) }
    let image = RGBImageFixture.make(width: 40, height: 20, pixels: pixels)
    let d = ImageDistortion(
      flipLeftRight: true, randomCropPercent: 25, randomScalePercent: 0,
      randomBrightnessPercent: 10)
    var r1 = SeededGenerator(seed: 4)
    var r2 = SeededGenerator(seed: 4)
    let a = d.apply(image, using: &r1)
    let b = d.apply(image, using: &r2)
    #expect(a == b)
    #expect(a.width == 32 && a.height == 16)
    #expect(d.isActive)
    #expect(!ImageDistortion().isActive)
    // Without distortion the image comes back unchanged.
    var r3 = SeededGenerator(seed: 1)
    #expect(ImageDistortion().apply(image, using: &r3) == image)
  }
}
