/// Labelled bottleneck-like vectors for tests and the training benchmark: each class is a
/// Gaussian cluster around its own random centre (non-negative, as pool_3 outputs are).
public enum SyntheticBottlenecks {
  /// `perClass` rows for each of `classes` classes, `inputSize` floats each. `spread` is the
  /// per-feature standard deviation around a centre whose features are uniform in [0, 1).
  public static func clusters(
    classes: Int, perClass: Int, inputSize: Int = 2048, spread: Float = 0.5, seed: UInt64 = 1
  ) -> LabelledBottlenecks {
    var rng = SeededGenerator(seed: seed)
    var centres = [Float](repeating: 0, count: classes * inputSize)
    for i in 0..<centres.count { centres[i] = rng.nextUnit() }
    var features = [Float](repeating: 0, count: classes * perClass * inputSize)
    var labels = [Int](repeating: 0, count: classes * perClass)
    var row = 0
    for _ in 0..<perClass {
      for c in 0..<classes {
        labels[row] = c
        let base = row * inputSize
        for j in 0..<inputSize {
          features[base + j] = max(0, centres[c * inputSize + j] + spread * rng.nextGaussian())
        }
        row += 1
      }
    }
    return LabelledBottlenecks(inputSize: inputSize, features: features, labels: labels)
  }

  /// Splits rows into (first `count - held`, last `held`) sets.
  public static func split(_ set: LabelledBottlenecks, held: Int) -> (
    LabelledBottlenecks, LabelledBottlenecks
  ) {
    let n = set.inputSize
    let keep = set.count - held
    return (
      LabelledBottlenecks(
        inputSize: n, features: Array(set.features[0..<(keep * n)]),
        labels: Array(set.labels[0..<keep])),
      LabelledBottlenecks(
        inputSize: n, features: Array(set.features[(keep * n)...]),
        labels: Array(set.labels[keep...]))
    )
  }
}
