// A single-precision GEMM whose left operand (a layer's weights) is packed once, at load, into the
// panels its AVX2/FMA and AVX-512 kernels read. OpenBLAS has no such interface: its `sgemm` packs both
// operands on every call, and at batch 1 the weights are the larger one, read once per image.
// hero-id's convolutions call this where the CPU has AVX2 and FMA, OpenBLAS elsewhere.
#ifndef HERO_PACKED_GEMM_H
#define HERO_PACKED_GEMM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Rows of A per panel: a row split must start at a multiple of it.
#define HERO_GEMM_ROWS 6
/// Columns of B per kernel call: a column split should start at a multiple of it.
#define HERO_GEMM_COLUMNS 16

/// 1 when this CPU runs the kernel (AVX2 and FMA), else 0.
int hero_gemm_available(void);

/// 1 when this CPU also runs the AVX-512 kernel (AVX-512F), else 0.
int hero_gemm_wide_available(void);

/// The number of floats `hero_gemm_pack` writes for an m×k matrix.
size_t hero_gemm_packed_count(int m, int k);

/// Packs the row-major m×k matrix `a` (rows `lda` apart) into `packed`
/// (`hero_gemm_packed_count(m, k)` floats), zero-padding the last panel.
void hero_gemm_pack(const float *a, int m, int k, int lda, float *packed);

/// C[i][j] = Σ_l A[i][l]·B[l][j] for the rows `row_begin ..< row_end` of A (packed m×k;
/// `row_begin` a multiple of HERO_GEMM_ROWS) and the n columns of the row-major k×n matrix `b`
/// (rows `ldb` apart), into the rows of `c` that match (`c` points at row 0, rows `ldc` apart).
/// With `bias`, bias[i] is added; with `relu`, negatives become 0. Each C element is summed over l
/// in the same order whatever the row and column range, so split work gives the same floats.
/// Packs B into a buffer of the calling thread's own (grown on demand, kept for the thread).
/// `wide`: nonzero for the AVX-512 kernel (needs hero_gemm_wide_available()), 0 for the AVX2 one;
/// both give the same floats (the same fused multiply-adds in the same order).
/// Needs hero_gemm_available().
void hero_gemm_multiply(const float *packed, int m, int k, int row_begin, int row_end,
                        const float *b, int ldb, int n, float *c, int ldc, const float *bias,
                        int relu, int wide);

#ifdef __cplusplus
}
#endif

#endif
