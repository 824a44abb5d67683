import Foundation
import InceptionKernels

/// What each known hero's crops look like, for telling "unknown" apart: up to `perClass`
/// training vectors (bottlenecks, colour signatures or icon patterns) of each class, chosen to
/// cover the class (farthest-point sampling: a hero's button looks different when ready, on
/// cooldown or flashing), centred on the training mean and scaled to unit length. A frame's similarity to a class is its best cosine
/// similarity to one of that class's prototypes.
public struct Prototypes: Sendable, Equatable {
  public let inputSize: Int
  public let classCount: Int
  /// Training mean subtracted before comparing (`inputSize` floats).
  public var mean: [Float]
  /// `labels.count × inputSize`, unit rows.
  public var vectors: [Float]
  /// Class of each row of `vectors`.
  public var labels: [Int]

  public init(inputSize: Int, classCount: Int, mean: [Float], vectors: [Float], labels: [Int]) {
    precondition(mean.count == inputSize && vectors.count == labels.count * inputSize)
    self.inputSize = inputSize
    self.classCount = classCount
    self.mean = mean
    self.vectors = vectors
    self.labels = labels
  }

  /// Chooses up to `perClass` prototypes per class from raw training vectors; `centred`: subtract
  /// the training mean first (bottlenecks), or not (colour signatures).
  public init(
    training: LabelledBottlenecks, classCount: Int, perClass: Int = 64, centred: Bool = true
  ) {
    let (mean, rows) = Self.select(
      training: training, classCount: classCount, perClass: perClass, centred: centred)
    self.init(training: training, classCount: classCount, mean: mean, rows: rows)
  }

  /// Prototypes made of the given rows of `training` (from ``select(training:classCount:perClass:centred:)``).
  public init(training: LabelledBottlenecks, classCount: Int, mean: [Float], rows: [Int]) {
    let n = training.inputSize
    var vectors: [Float] = []
    vectors.reserveCapacity(rows.count * n)
    for r in rows { vectors.append(contentsOf: training.features[(r * n)..<((r + 1) * n)]) }
    Self.centreAndNormalize(&vectors, mean: mean, inputSize: n)
    self.init(
      inputSize: n, classCount: classCount, mean: mean, vectors: vectors,
      labels: rows.map { training.labels[$0] })
  }

  /// The centre (the training mean, or zeros when `centred` is false) and the rows of `training`
  /// that become prototypes: up to `perClass` per class, spread by farthest-point sampling.
  public static func select(
    training: LabelledBottlenecks, classCount: Int, perClass: Int = 64, centred: Bool = true
  ) -> (mean: [Float], rows: [Int]) {
    let n = training.inputSize
    var mean = [Float](repeating: 0, count: n)
    var unit = training.features
    if centred, training.count > 0 {
      for r in 0..<training.count {
        for j in 0..<n { mean[j] += unit[r * n + j] }
      }
      for j in 0..<n { mean[j] /= Float(training.count) }
    }
    Self.centreAndNormalize(&unit, mean: mean, inputSize: n)
    var rows: [Int] = []
    for c in 0..<classCount {
      let members = training.labels.indices.filter { training.labels[$0] == c }
      rows.append(contentsOf: Self.spread(members, unit: unit, inputSize: n, count: perClass))
    }
    return (mean, rows)
  }

  static func spread(_ members: [Int], unit: [Float], inputSize n: Int, count: Int) -> [Int] {
    guard members.count > count else { return members }
    func dot(_ a: Int, _ b: [Float], _ bOffset: Int) -> Float {
      var s: Float = 0
      for j in 0..<n { s += unit[a * n + j] * b[bOffset + j] }
      return s
    }
    var centre = [Float](repeating: 0, count: n)
    for m in members {
      for j in 0..<n { centre[j] += unit[m * n + j] }
    }
    var first = members[0]
    var bestSim = -Float.infinity
    for m in members {
      let s = dot(m, centre, 0)
      if s > bestSim {
        bestSim = s
        first = m
      }
    }
    var chosen = [first]
    var nearest = members.map { dot($0, unit, first * n) }
    while chosen.count < count {
      var pick = 0
      for i in 1..<members.count where nearest[i] < nearest[pick] { pick = i }
      let p = members[pick]
      chosen.append(p)
      for i in members.indices { nearest[i] = max(nearest[i], dot(members[i], unit, p * n)) }
    }
    return chosen
  }

  static func centreAndNormalize(_ x: inout [Float], mean: [Float], inputSize n: Int) {
    let rows = x.count / n
    for r in 0..<rows {
      var norm: Float = 0
      for j in 0..<n {
        let v = x[r * n + j] - mean[j]
        x[r * n + j] = v
        norm += v * v
      }
      let inv = norm > 0 ? 1 / norm.squareRoot() : 0
      for j in 0..<n { x[r * n + j] *= inv }
    }
  }

  /// For raw bottlenecks (`rows × inputSize`): each row's best cosine similarity to each
  /// class's prototypes, `rows × classCount` (-1 for a class without prototypes).
  public func similarities(_ bottlenecks: [Float]) -> [Float] {
    bestPerClass(allSimilarities(bottlenecks))
  }

  /// From `rows × prototypes` similarities, each row's best one per class, `rows × classCount`
  /// (-1 for a class without prototypes).
  public func bestPerClass(_ all: [Float]) -> [Float] {
    let p = labels.count
    let rows = p > 0 ? all.count / p : 0
    var out = [Float](repeating: -1, count: rows * classCount)
    for r in 0..<rows {
      for (k, label) in labels.enumerated() {
        out[r * classCount + label] = max(out[r * classCount + label], all[r * p + k])
      }
    }
    return out
  }

  /// For raw bottlenecks (`rows × inputSize`): the cosine similarity of each row to every
  /// prototype, `rows × prototypes`.
  public func allSimilarities(_ bottlenecks: [Float]) -> [Float] {
    let n = inputSize
    let rows = bottlenecks.count / n
    let p = labels.count
    var all = [Float](repeating: 0, count: rows * p)
    guard rows > 0, p > 0 else { return all }
    var x = bottlenecks
    Self.centreAndNormalize(&x, mean: mean, inputSize: n)
    // In a fixed order, not OpenBLAS's (whose sums depend on its thread count): the "unknown"
    // threshold is chosen on these.
    Kernels.fixedOrderProduct(x, transposed: vectors, into: &all, m: rows, n: p, k: n)
    return all
  }
}
