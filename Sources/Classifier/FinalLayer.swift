import Foundation
import InceptionKernels

/// The new final layer: standardise the bottleneck, then a dense layer and softmax.
///
/// `logits = ((x - mean) * scale) · weights + bias`, with `weights` stored row-major
/// `inputSize × classCount`. Standardisation (per-feature mean and 1/std of the training set) is
/// part of the layer so that inference sees exactly what training saw.
public struct FinalLayer: Sendable, Equatable {
  public let inputSize: Int
  public let classCount: Int
  /// Per-feature mean subtracted first (`inputSize` values).
  public var mean: [Float]
  /// Per-feature factor applied after the mean (`inputSize` values, 1/std).
  public var scale: [Float]
  /// `inputSize × classCount`, row-major.
  public var weights: [Float]
  /// `classCount` values.
  public var bias: [Float]

  public init(
    inputSize: Int, classCount: Int, mean: [Float], scale: [Float], weights: [Float], bias: [Float]
  ) {
    precondition(inputSize > 0 && classCount > 0)
    precondition(mean.count == inputSize && scale.count == inputSize)
    precondition(weights.count == inputSize * classCount && bias.count == classCount)
    self.inputSize = inputSize
    self.classCount = classCount
    self.mean = mean
    self.scale = scale
    self.weights = weights
    self.bias = bias
  }

  /// A layer with zero weights and the identity standardisation.
  public init(inputSize: Int, classCount: Int) {
    self.init(
      inputSize: inputSize, classCount: classCount,
      mean: [Float](repeating: 0, count: inputSize), scale: [Float](repeating: 1, count: inputSize),
      weights: [Float](repeating: 0, count: inputSize * classCount),
      bias: [Float](repeating: 0, count: classCount))
  }

  /// Standardises `rows` bottlenecks (row-major `rows × inputSize`) in place.
  public func standardize(_ x: inout [Float]) {
    precondition(x.count % inputSize == 0)
    let n = inputSize
    mean.withUnsafeBufferPointer { m in
      scale.withUnsafeBufferPointer { s in
        x.withUnsafeMutableBufferPointer { p in
          var i = 0
          while i < p.count {
            for j in 0..<n { p[i + j] = (p[i + j] - m[j]) * s[j] }
            i += n
          }
        }
      }
    }
  }

  /// Logits for already standardised rows (`rows × inputSize` → `rows × classCount`), one sgemm.
  public func logits(standardized x: [Float]) -> [Float] {
    precondition(x.count % inputSize == 0)
    let rows = x.count / inputSize
    var out = [Float](repeating: 0, count: rows * classCount)
    guard rows > 0 else { return out }
    for r in 0..<rows {
      for c in 0..<classCount { out[r * classCount + c] = bias[c] }
    }
    x.withUnsafeBufferPointer { px in
      weights.withUnsafeBufferPointer { pw in
        out.withUnsafeMutableBufferPointer { po in
          guard let a = px.baseAddress, let b = pw.baseAddress, let c = po.baseAddress else {
            return
          }
          BLAS.gemm(a, b, into: c, m: rows, n: classCount, k: inputSize, accumulate: true)
        }
      }
    }
    return out
  }

  /// Class probabilities (`rows × classCount`, each row sums to 1) for raw bottlenecks.
  public func probabilities(_ bottlenecks: [Float]) -> [Float] {
    var x = bottlenecks
    standardize(&x)
    return probabilities(standardized: x)
  }

  /// Class probabilities for already standardised rows.
  public func probabilities(standardized x: [Float]) -> [Float] {
    var out = logits(standardized: x)
    Softmax.apply(&out, columns: classCount)
    return out
  }
}
