import CPackedGEMM
import Foundation

/// The kernels of hero-id's packed GEMM: AVX2 + FMA (8 floats a vector), or AVX-512 (16). Both
/// run the same fused multiply-adds in the same order, so they give the same floats.
public enum GEMMPath: String, Sendable, CaseIterable {
  case avx2 = "AVX2, FMA"
  case avx512 = "AVX-512"
}

/// A layer's weight matrix packed once, at load, into the panels of hero-id's own GEMM kernel
/// (`Sources/CPackedGEMM`, AVX2 + FMA, or AVX-512 where the CPU has it): the convolutions multiply by it without OpenBLAS's
/// per-call packing of the weights, which at batch 1 is a tenth of the network's time (the
/// weights are read once per image, and `sgemm` copies them before every product). Bias and
/// ReLU are applied as the result is stored.
///
/// Used where ``isAvailable``; elsewhere the convolutions call OpenBLAS with the plain weights.
/// `@unchecked Sendable`: the storage is written once, in `init`, and only read after.
final class PackedMatrix: @unchecked Sendable {
  let rows: Int
  let columns: Int
  private let storage: UnsafeMutablePointer<Float>

  /// Whether this process multiplies by packed weights: the CPU has AVX2 and FMA, and
  /// `HERO_ID_GEMM` is not `openblas` (which keeps every product on OpenBLAS, for comparisons).
  static let isAvailable: Bool = {
    if ProcessInfo.processInfo.environment["HERO_ID_GEMM"] == "openblas" { return false }
    return hero_gemm_available() != 0
  }()

  /// The paths this CPU runs (empty where it has no AVX2 and FMA).
  static let supportedPaths: [GEMMPath] = {
    guard hero_gemm_available() != 0 else { return [] }
    return hero_gemm_wide_available() != 0 ? [.avx2, .avx512] : [.avx2]
  }()

  /// The kernel products run on: AVX-512 where the CPU has it, unless `HERO_ID_GEMM=avx2` (for
  /// comparisons: both give the same floats); nil where ``isAvailable`` is false.
  static let defaultPath: GEMMPath? = {
    guard isAvailable else { return nil }
    if ProcessInfo.processInfo.environment["HERO_ID_GEMM"] == "avx2" { return .avx2 }
    return supportedPaths.last
  }()

  /// The alignment of a split of the rows (the kernel's panel height).
  static let rowAlignment = Int(HERO_GEMM_ROWS)
  /// The alignment of a split of the columns (the kernel's width).
  static let columnAlignment = Int(HERO_GEMM_COLUMNS)

  /// The kernel this matrix's products run on (the packing is the same for both).
  let path: GEMMPath

  /// Packs the row-major `rows`×`columns` matrix that starts at `a[offset]` (rows `rowStride`
  /// apart), its products to run on `path` (one this CPU supports).
  init(
    _ a: [Float], offset: Int = 0, rows: Int, columns: Int, rowStride: Int,
    path: GEMMPath? = PackedMatrix.defaultPath
  ) {
    precondition(rows > 0 && columns > 0 && rowStride >= columns && offset >= 0)
    guard let path, Self.supportedPaths.contains(path) else {
      preconditionFailure("packed GEMM path \(path?.rawValue ?? "none") not supported by this CPU")
    }
    self.path = path
    precondition(offset + (rows - 1) * rowStride + columns <= a.count)
    precondition(rowStride <= Int(Int32.max) && rows * rowStride <= Int(Int32.max))
    self.rows = rows
    self.columns = columns
    let count = hero_gemm_packed_count(Int32(rows), Int32(columns))
    var raw: UnsafeMutableRawPointer? = nil
    guard posix_memalign(&raw, 64, max(1, count) * MemoryLayout<Float>.stride) == 0, let raw else {
      preconditionFailure("out of memory packing a \(rows)x\(columns) matrix")
    }
    let storage = raw.bindMemory(to: Float.self, capacity: count)
    a.withUnsafeBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return }
      hero_gemm_pack(base + offset, Int32(rows), Int32(columns), Int32(rowStride), storage)
    }
    self.storage = storage
  }

  /// Packs each of the `count` consecutive `rows`×`columns` matrices in `a` (the Winograd
  /// forms' one matrix per transform point).
  static func each(_ a: [Float], count: Int, rows: Int, columns: Int) -> [PackedMatrix] {
    (0..<count).map {
      PackedMatrix(a, offset: $0 * rows * columns, rows: rows, columns: columns, rowStride: columns)
    }
  }

  deinit { free(storage) }

  /// C = this · B over the rows `rows` (their start a multiple of ``rowAlignment``) and the `n`
  /// columns of the row-major `columns`×`n` matrix `b` (rows `ldb` apart); `c` points at row 0
  /// of C (rows `ldc` apart). With `bias`, `bias[i]` is added to row i; with `relu`, negatives
  /// become 0. Each element is summed in the same order whatever the split.
  func multiply(
    rows range: Range<Int>? = nil, b: UnsafePointer<Float>, ldb: Int, n: Int,
    c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>? = nil, relu: Bool = false
  ) {
    let range = range ?? 0..<rows
    precondition(range.lowerBound % Self.rowAlignment == 0 && range.upperBound <= rows)
    guard !range.isEmpty, n > 0 else { return }
    hero_gemm_multiply(
      storage, Int32(rows), Int32(columns), Int32(range.lowerBound), Int32(range.upperBound), b,
      Int32(ldb), Int32(n), c, Int32(ldc), bias, relu ? 1 : 0, path == .avx512 ? 1 : 0)
  }
}

extension PackedMatrix {
  /// ``multiply(rows:b:ldb:n:c:ldc:bias:relu:)`` over all rows, split across `team` along the
  /// larger of the rows and the columns (see ``splitGEMM(m:n:k:part:parts:rowAlignment:)``).
  func multiply(
    team: WorkerTeam?, b: UnsafePointer<Float>, ldb: Int, n: Int, c: UnsafeMutablePointer<Float>,
    ldc: Int, bias: UnsafePointer<Float>?, relu: Bool
  ) {
    split(team) { part, parts in
      let (r, cols) = splitGEMM(
        m: rows, n: n, k: columns, part: part, parts: parts, rowAlignment: Self.rowAlignment)
      multiply(
        rows: r, b: b + cols.lowerBound, ldb: ldb, n: cols.count, c: c + cols.lowerBound, ldc: ldc,
        bias: bias, relu: relu)
    }
  }
}

extension Kernels {
  /// The packed GEMM's kernel path in this process (nil: every product on OpenBLAS).
  public static var gemmPath: GEMMPath? { PackedMatrix.defaultPath }

  /// The packed GEMM's kernel paths this CPU runs.
  public static var gemmPaths: [GEMMPath] { PackedMatrix.supportedPaths }

  /// The Winograd transforms' build in this process (see ``WinogradPath/current``).
  public static var winogradPath: WinogradPath { WinogradPath.current }

  /// The Winograd transforms' builds this CPU runs, slowest first.
  public static var winogradPaths: [WinogradPath] { WinogradPath.supported }

  /// `relu?(a · b + bias)` by the packed GEMM kernel, for tests: `a` m×k and `b` k×n row-major,
  /// the result m×n; computed in `rowParts` × `columnParts` blocks (the bounds aligned as a
  /// team splits them), each its own call, on `path` (by default the one the network uses).
  /// Nil where the kernel, or that path, is not available.
  public static func packedProduct(
    _ a: [Float], _ b: [Float], m: Int, k: Int, n: Int, bias: [Float]? = nil, relu: Bool = false,
    rowParts: Int = 1, columnParts: Int = 1, path: GEMMPath? = nil
  ) -> [Float]? {
    precondition(a.count == m * k && b.count == k * n && (bias?.count ?? m) == m)
    guard PackedMatrix.isAvailable, let path = path ?? PackedMatrix.defaultPath,
      PackedMatrix.supportedPaths.contains(path)
    else { return nil }
    let packed = PackedMatrix(a, rows: m, columns: k, rowStride: k, path: path)
    var c = [Float](repeating: .nan, count: m * n)
    let biasCopy = bias ?? []
    b.withUnsafeBufferPointer { bb in
      c.withUnsafeMutableBufferPointer { cb in
        biasCopy.withUnsafeBufferPointer { biasBuffer in
          guard let bBase = bb.baseAddress, let cBase = cb.baseAddress else { return }
          for rp in 0..<rowParts {
            let rows = share(rp, of: rowParts, count: m, align: PackedMatrix.rowAlignment)
            for cp in 0..<columnParts {
              let cols = share(cp, of: columnParts, count: n, align: PackedMatrix.columnAlignment)
              packed.multiply(
                rows: rows, b: bBase + cols.lowerBound, ldb: n, n: cols.count,
                c: cBase + cols.lowerBound,
                ldc: n,
                bias: bias == nil ? nil : biasBuffer.baseAddress, relu: relu)
            }
          }
        }
      }
    }
    return c
  }
}

extension Kernels {
  /// C = A·Bᵀ (`a` m×k and `b` n×k row-major, `c` m×n), the same floats whatever OpenBLAS's
  /// thread count and whatever else runs: hero-id's packed GEMM kernel on this thread (each
  /// element summed in one fixed order, the same on its AVX2 and AVX-512 paths) where the CPU
  /// has it, else a plain loop. OpenBLAS's `sgemm` is not: with 2 threads instead of 1 it sums
  /// many elements of such products in another order (measured with OpenBLAS 0.3.21, e.g.
  /// 1568×2256 by 2256×100: 61 % of the elements differ in their last bits, on its Haswell,
  /// Zen, SkylakeX and Cooperlake kernels), and the thread count is process-wide, set by
  /// whichever job started last. For results compared exactly (the "unknown" threshold).
  public static func fixedOrderProduct(
    _ a: [Float], transposed b: [Float], into c: inout [Float], m: Int, n: Int, k: Int
  ) {
    precondition(a.count >= m * k && b.count >= n * k && c.count >= m * n)
    guard m > 0, n > 0, k > 0 else { return }
    guard PackedMatrix.isAvailable else {
      for i in 0..<m {
        for j in 0..<n {
          var s: Float = 0
          for l in 0..<k { s += a[i * k + l] * b[j * k + l] }
          c[i * n + j] = s
        }
      }
      return
    }
    // Bᵀ, k×n row-major: the kernel's right operand.
    var bt = [Float](repeating: 0, count: k * n)
    for j in 0..<n {
      for l in 0..<k { bt[l * n + j] = b[j * k + l] }
    }
    let packed = PackedMatrix(a, rows: m, columns: k, rowStride: k)
    // Bands of rows on every core for a large product (a split does not change any element's
    // sum: each is summed over k in the kernel's one order).
    let parts = m * n * k >= 1 << 24 ? max(1, ProcessInfo.processInfo.activeProcessorCount) : 1
    bt.withUnsafeBufferPointer { bb in
      c.withUnsafeMutableBufferPointer { cb in
        guard let bBase = bb.baseAddress, let cBase = cb.baseAddress else { return }
        let (bAddress, cAddress) = (UInt(bitPattern: bBase), UInt(bitPattern: cBase))
        DispatchQueue.concurrentPerform(iterations: parts) { part in
          guard let bp = UnsafePointer<Float>(bitPattern: bAddress),
            let cp = UnsafeMutablePointer<Float>(bitPattern: cAddress)
          else { return }
          let rows = share(part, of: parts, count: m, align: PackedMatrix.rowAlignment)
          packed.multiply(rows: rows, b: bp, ldb: n, n: n, c: cp, ldc: n)
        }
      }
    }
  }
}
