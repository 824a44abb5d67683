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
  /// through `cblas_sgemm`. The only caller of cblas_sgemm.
  static func sgemm(
    m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float = 0
  ) {
    cblas_sgemm(
      CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b,
      Int32(ldb), beta, c, Int32(ldc))
  }
}
