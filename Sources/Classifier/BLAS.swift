import COpenBLAS

/// C = op(A)·op(B), or C += op(A)·op(B) when `accumulate`; row-major, op(A) m×k, op(B) k×n,
/// C m×n. `transposeA` means A is stored k×m, `transposeB` that B is stored n×k. Wraps
/// `cblas_sgemm`; used by the final layer (a whole batch in one call).
func gemm(
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
