import Foundation

/// Row-wise softmax and its companions, on flat row-major buffers.
public enum Softmax {
  /// Replaces each of the `rows` rows of `columns` logits by its softmax, in place. The row
  /// maximum is subtracted first, so large logits do not overflow.
  public static func apply(_ values: inout [Float], columns: Int) {
    precondition(columns > 0 && values.count % columns == 0)
    let rows = values.count / columns
    values.withUnsafeMutableBufferPointer { p in
      guard let base = p.baseAddress else { return }
      applyRows(base, rows: rows, columns: columns)
    }
  }

  /// Softmax in place over `rows` rows of `columns` values starting at `p`.
  public static func applyRows(_ p: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
    for r in 0..<rows {
      let row = p + r * columns
      var mx = row[0]
      for j in 1..<columns where row[j] > mx { mx = row[j] }
      var sum: Float = 0
      for j in 0..<columns {
        let e = expf(row[j] - mx)
        row[j] = e
        sum += e
      }
      let inv = 1 / sum
      for j in 0..<columns { row[j] *= inv }
    }
  }

  /// The index of the largest value in row `r`.
  public static func argmax(_ p: UnsafePointer<Float>, row r: Int, columns: Int) -> Int {
    let row = p + r * columns
    var best = 0
    for j in 1..<columns where row[j] > row[best] { best = j }
    return best
  }
}
