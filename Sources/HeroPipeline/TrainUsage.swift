import Classifier
import Foundation
import HeroCore

extension TrainJob.Options {
  /// What is wrong with these options as `train`'s flags set them, in the flags' words (bad
  /// usage, exit 2), or nil. Only the shape of the values: nothing is read.
  public var usageProblem: String? {
    let t = training
    guard t.steps > 0 else { return "--steps must be at least 1" }
    guard t.batchSize > 0 else { return "--batch-size must be at least 1" }
    guard t.evalStepInterval > 0 else { return "--eval-step-interval must be >= 1" }
    guard t.learningRate > 0, t.learningRate.isFinite else {
      return "--learning-rate must be positive"
    }
    guard t.l2 >= 0 else { return "--l2 must be >= 0" }
    guard (0...1).contains(knownRejectRate) else {
      return "--known-reject-rate must be between 0 and 1"
    }
    guard (0..<100).contains(validationPercentage), (0..<100).contains(testingPercentage),
      validationPercentage + testingPercentage < 100
    else {
      return
        "--validation-percentage and --testing-percentage must be in 0..<100 and leave room for training"
    }
    for (name, v) in [
      ("--random-crop", distortion.randomCropPercent),
      ("--random-scale", distortion.randomScalePercent),
      ("--random-brightness", distortion.randomBrightnessPercent),
    ] where !(v >= 0 && v < 100) {
      return "\(name) must be a percentage in 0..<100"
    }
    guard jobs >= 1 else { return "--jobs must be at least 1" }
    guard groupSeconds >= 0 else { return "--group-seconds must be >= 0" }
    guard (0...10_000).contains(reviewCount) else { return "--review must be 0 to 10000" }
    return nil
  }
}

extension TrainJob.Outcome {
  /// `--print-misclassified`: a heading and one line per misclassified test image; none
  /// without a test set.
  public var misclassifiedLines: [String] {
    guard testAccuracy != nil else { return [] }
    return ["Misclassified test images:"]
      + misclassified.map { "  \($0.path): \($0.truth) taken for \($0.predicted)" }
  }

  /// The head of the review sheet for the terminal (``TrainJob/reviewLines(_:)``).
  public var reviewLines: [String] { TrainJob.reviewLines(disputed) }

  /// The line that ends a run where images could not be used (nil when every image was used).
  public var failedImagesLine: String? {
    let n = failedImages
    return n > 0 ? "train: \(n) image\(n == 1 ? "" : "s") could not be used" : nil
  }
}

extension TrainJob {
  /// The review sheet as `train` prints it after its summary: a heading naming how many crops
  /// the model disputes, then the five widest (`disputed` is widest first); none when empty.
  public static func reviewLines(_ disputed: [TrainingSummary.Disputed]) -> [String] {
    guard !disputed.isEmpty else { return [] }
    return [
      "Labels to review (the model names another hero; \(disputed.count) in "
        + "--json and the report), widest first:"
    ]
      + disputed.prefix(5).map { d in
        String(
          format: "  %@: %@, named %@ (p %.2f against %.2f, %@)",
          MessageText.escaped(d.file), d.hero, d.named, d.pNamed, d.pLabel, d.set)
      }
  }
}
