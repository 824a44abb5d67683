import COpenBLAS

/// OpenBLAS, the only numeric library: the one file that calls cblas.
public enum BLAS {
  /// Sets OpenBLAS's thread count (`openblas_set_num_threads`). Use 1 when several tasks run
  /// forward passes at once, the core count when one does.
  public static func setThreads(_ n: Int) {
    openblas_set_num_threads(Int32(max(1, n)))
  }

  /// OpenBLAS's current thread count (`openblas_get_num_threads`).
  public static var threads: Int { Int(openblas_get_num_threads()) }

  /// C = A·B + beta·C, row-major, A m×k (leading dimension lda), B k×n (ldb), C m×n (ldc),
  /// through `cblas_sgemm`.
  public static func sgemm(
    m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float = 0
  ) {
    cblas_sgemm(
      CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b,
      Int32(ldb), beta, c, Int32(ldc))
  }

  /// C = op(A)·op(B), or C += op(A)·op(B) when `accumulate`; row-major, op(A) m×k, op(B) k×n,
  /// C m×n, all packed. `transposeA` means A is stored k×m, `transposeB` that B is stored n×k.
  /// Through `cblas_sgemm`; used by the final layer (a whole batch in one call).
  public static func gemm(
    _ a: UnsafePointer<Float>, transposeA: Bool = false,
    _ b: UnsafePointer<Float>, transposeB: Bool = false,
    into c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, accumulate: Bool = false
  ) {
    precondition(m > 0 && n > 0 && k > 0)
    cblas_sgemm(
      CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
      Int32(m), Int32(n), Int32(k), 1, a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n),
      accumulate ? 1 : 0, c, Int32(n))
  }
}
