#include "packed_gemm.h"

#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#define MR HERO_GEMM_ROWS
#define NR HERO_GEMM_COLUMNS
// The most k per block: a block of a B panel (KC·NR floats, 20 KiB) stays in L1 while the
// kernel sweeps every panel of A past it.
#define KC_MAX 320
// The AVX-512 kernel's B panels: WIDE_V vectors of 16 (NR_WIDE columns). 4 (24 accumulators
// of the 32 registers, kept in registers since the epilogue's loops are unrolled) gave 53.3–54.5
// images/s at batch 16 against 51.3–52.5 for 2 on AMD EPYC Zen 5 (2026-12-07, alternating
// builds); before the accumulators stayed in registers, 2 was the faster.
#ifndef WIDE_V
#define WIDE_V 4
#endif
#if WIDE_V < 1 || WIDE_V > 4
#error "WIDE_V: 1 to 4"
#endif
#define NR_WIDE (16 * WIDE_V)
// The most floats of B packed at once (256 KiB, in L2).
#define B_BLOCK (64 * 1024)

int hero_gemm_available(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

int hero_gemm_wide_available(void) {
  __builtin_cpu_init();
  return hero_gemm_available() && __builtin_cpu_supports("avx512f");
}

// k is cut into equal blocks of at most KC_MAX: block `i` starts at i·kc.
static int block_length(int k) {
  int blocks = (k + KC_MAX - 1) / KC_MAX;
  return (k + blocks - 1) / blocks;
}

static int panels(int m) { return (m + MR - 1) / MR; }

size_t hero_gemm_packed_count(int m, int k) { return (size_t)panels(m) * MR * (size_t)k; }

// Layout: for each k block (start k0, length kc), for each panel p, kc rows of MR floats
// ([l][r] = A[p·MR + r][k0 + l]); block k0 begins at k0 · panels(m) · MR.
void hero_gemm_pack(const float *a, int m, int k, int lda, float *packed) {
  int kcMax = block_length(k);
  int mp = panels(m);
  for (int k0 = 0; k0 < k; k0 += kcMax) {
    int kc = k - k0 < kcMax ? k - k0 : kcMax;
    float *block = packed + (size_t)k0 * mp * MR;
    for (int p = 0; p < mp; p++) {
      float *d = block + (size_t)p * MR * kc;
      for (int r = 0; r < MR; r++) {
        int row = p * MR + r;
        const float *s = a + (size_t)row * lda + k0;
        for (int l = 0; l < kc; l++) d[l * MR + r] = row < m ? s[l] : 0;
      }
    }
  }
}

// The kernel: a 6×(8·V) block of C from a kc×6 panel of A and a kc×(8·V) panel of B (V = 1, 2),
// kept in registers over the whole block of k. `first`: C is written, not added to; `last`:
// the bias and ReLU are applied. Only `rows`×`cols` of the block are stored.
#define KERNEL(NAME, V)                                                                          \
  __attribute__((target("avx2,fma"))) static void NAME(                                         \
      int kc, const float *a, const float *b, float *c, int ldc, int first, int last, int rows,   \
      int cols, const float *bias, int relu) {                                                    \
    __m256 acc[MR][V];                                                                            \
    for (int i = 0; i < MR; i++)                                                                  \
      for (int v = 0; v < V; v++) acc[i][v] = _mm256_setzero_ps();                                \
    for (int l = 0; l < kc; l++) {                                                                \
      __m256 bv[V];                                                                               \
      for (int v = 0; v < V; v++) bv[v] = _mm256_load_ps(b + 8 * v);                              \
      for (int i = 0; i < MR; i++) {                                                              \
        __m256 av = _mm256_broadcast_ss(a + i);                                                   \
        for (int v = 0; v < V; v++) acc[i][v] = _mm256_fmadd_ps(av, bv[v], acc[i][v]);            \
      }                                                                                           \
      a += MR;                                                                                    \
      b += 8 * V;                                                                                 \
    }                                                                                             \
    const __m256 zero = _mm256_setzero_ps();                                                      \
    if (rows == MR && cols == 8 * V) {                                                            \
      for (int i = 0; i < MR; i++) {                                                              \
        float *row = c + (size_t)i * ldc;                                                         \
        for (int v = 0; v < V; v++) {                                                             \
          __m256 x = acc[i][v];                                                                   \
          if (!first) x = _mm256_add_ps(x, _mm256_loadu_ps(row + 8 * v));                         \
          if (last && bias) x = _mm256_add_ps(x, _mm256_broadcast_ss(bias + i));                  \
          if (last && relu) x = _mm256_max_ps(x, zero);                                           \
          _mm256_storeu_ps(row + 8 * v, x);                                                       \
        }                                                                                         \
      }                                                                                           \
    } else {                                                                                      \
      float t[8 * V];                                                                             \
      for (int i = 0; i < rows; i++) {                                                            \
        float *row = c + (size_t)i * ldc;                                                         \
        for (int v = 0; v < V; v++) _mm256_storeu_ps(t + 8 * v, acc[i][v]);                       \
        for (int j = 0; j < cols; j++) {                                                          \
          float x = t[j];                                                                         \
          if (!first) x += row[j];                                                                \
          if (last && bias) x += bias[i];                                                         \
          if (last && relu && !(x > 0)) x = 0;                                                    \
          row[j] = x;                                                                             \
        }                                                                                         \
      }                                                                                           \
    }                                                                                             \
  }

KERNEL(kernel16, 2)
KERNEL(kernel8, 1)

// The AVX-512 kernel: a 6×(16·V) block from the same A panels, B panels 16·V wide; the columns
// past `cols` masked off. Every element gets the same fused multiply-adds in the same order as
// in the AVX2 kernels (one per l, then the block added to C), so both give the same floats.
#define KERNEL512(NAME, V)                                                                       \
  __attribute__((target("avx512f,avx2,fma"))) static void NAME(                                 \
      int kc, const float *a, const float *b, float *c, int ldc, int first, int last, int rows,   \
      int cols, const float *bias, int relu) {                                                    \
    __m512 acc[MR][V];                                                                            \
    for (int i = 0; i < MR; i++)                                                                  \
      for (int v = 0; v < V; v++) acc[i][v] = _mm512_setzero_ps();                                \
    for (int l = 0; l < kc; l++) {                                                                \
      __m512 bv[V];                                                                               \
      for (int v = 0; v < V; v++) bv[v] = _mm512_load_ps(b + 16 * v);                             \
      for (int i = 0; i < MR; i++) {                                                              \
        __m512 av = _mm512_set1_ps(a[i]);                                                         \
        for (int v = 0; v < V; v++) acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);            \
      }                                                                                           \
      a += MR;                                                                                    \
      b += 16 * V;                                                                                \
    }                                                                                             \
    __mmask16 mask[V];                                                                            \
    for (int v = 0; v < V; v++) {                                                                 \
      int w = cols - 16 * v;                                                                      \
      mask[v] = w >= 16 ? (__mmask16)0xFFFF : (w <= 0 ? 0 : (__mmask16)((1u << w) - 1));          \
    }                                                                                             \
    const __m512 zero = _mm512_setzero_ps();                                                      \
    /* Constant bounds (unrolled): `acc` stays in registers, never an array in memory. */         \
    _Pragma("unroll") for (int i = 0; i < MR; i++) {                                              \
      if (i >= rows) break;                                                                       \
      float *row = c + (size_t)i * ldc;                                                           \
      _Pragma("unroll") for (int v = 0; v < V; v++) {                                             \
        if (!mask[v]) continue;                                                                   \
        __m512 x = acc[i][v];                                                                     \
        if (!first) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mask[v], row + 16 * v));           \
        if (last && bias) x = _mm512_add_ps(x, _mm512_set1_ps(bias[i]));                          \
        if (last && relu) x = _mm512_max_ps(x, zero);                                             \
        _mm512_mask_storeu_ps(row + 16 * v, mask[v], x);                                          \
      }                                                                                           \
    }                                                                                             \
  }

KERNEL512(kernel512_1, 1)
KERNEL512(kernel512_2, 2)
KERNEL512(kernel512_3, 3)
KERNEL512(kernel512_4, 4)

// By the panel's width in vectors of 16 (a full panel: WIDE_V).
static void (*const wide_kernels[])(int, const float *, const float *, float *, int, int, int,
                                    int, int, const float *, int) = {kernel512_1, kernel512_2,
                                                                     kernel512_3, kernel512_4};

static _Thread_local float *workspace;
static _Thread_local size_t workspaceCount;

static float *reserve(size_t count) {
  if (count > workspaceCount) {
    free(workspace);
    void *p = NULL;
    if (posix_memalign(&p, 64, count * sizeof(float)) != 0) abort();
    workspace = p;
    workspaceCount = count;
  }
  return workspace;
}

// Columns n0 ..< n0+nw of rows k0 ..< k0+kc of B as panels of `nr` columns (the last one rounded
// up to a multiple of `step` only), zero-padded: panel q at q·kc·nr. B is read row by row (one
// stream for the prefetcher, not one per row).
static void pack_b(const float *b, int ldb, int k0, int kc, int n0, int nw, float *d, int nr,
                   int step) {
  int full = nw / nr;
  int w = nw - full * nr;
  int width = (w + step - 1) / step * step;
  float *tail = d + (size_t)full * kc * nr;
  for (int l = 0; l < kc; l++) {
    const float *s = b + (size_t)(k0 + l) * ldb + n0;
    for (int q = 0; q < full; q++) memcpy(d + ((size_t)q * kc + l) * nr, s + q * nr, nr * sizeof(float));
    if (w > 0) {
      memcpy(tail + (size_t)l * width, s + full * nr, (size_t)w * sizeof(float));
      memset(tail + (size_t)l * width + w, 0, (size_t)(width - w) * sizeof(float));
    }
  }
}

typedef void (*kernel_fn)(int, const float *, const float *, float *, int, int, int, int, int,
                          const float *, int);

void hero_gemm_multiply(const float *packed, int m, int k, int row_begin, int row_end,
                        const float *b, int ldb, int n, float *c, int ldc, const float *bias,
                        int relu, int wide) {
  if (row_end > m) row_end = m;
  if (row_begin >= row_end || n <= 0 || k <= 0) return;
  // The AVX2 path: panels of 16 (the last of 8 where it has at most 8 columns); AVX-512: panels
  // of NR_WIDE, the last a multiple of 16.
  int nr = wide ? NR_WIDE : NR;
  int step = wide ? 16 : 8;
  int kcMax = block_length(k);
  int mp = panels(m);
  int nc = (B_BLOCK / kcMax) / nr * nr;
  if (nc < nr) nc = nr;
  float *bp = reserve((size_t)kcMax * (size_t)(nc < n ? nc : (n + nr - 1) / nr * nr));
  // Column blocks outside, k blocks inside: a block of C (rows × nc) is summed over every k
  // block while it is still in L2, instead of the whole of C (up to 7 MB at batch 8 in the
  // 17x17 layers) going out to L3 and back once per k block. Each element still gets its k
  // blocks in the same order, so the floats are the same. In isolation (one core, the layers'
  // shapes at batch 8, operands not in cache) 198–217 → 210–237 GFLOP/s on AMD EPYC Zen 5.
  for (int n0 = 0; n0 < n; n0 += nc) {
    int nw = n - n0 < nc ? n - n0 : nc;
    for (int k0 = 0; k0 < k; k0 += kcMax) {
      int kc = k - k0 < kcMax ? k - k0 : kcMax;
      int first = k0 == 0;
      int last = k0 + kc == k;
      const float *block = packed + (size_t)k0 * mp * MR;
      pack_b(b, ldb, k0, kc, n0, nw, bp, nr, step);
      for (int p = row_begin / MR; p * MR < row_end; p++) {
        int i0 = p * MR;
        int rows = row_end - i0 < MR ? row_end - i0 : MR;
        const float *ap = block + (size_t)p * MR * kc;
        const float *pb = bias ? bias + i0 : NULL;
        for (int q = 0; q * nr < nw; q++) {
          int cols = nw - q * nr < nr ? nw - q * nr : nr;
          float *cp = c + (size_t)i0 * ldc + n0 + q * nr;
          const float *bq = bp + (size_t)q * kc * nr;
          kernel_fn kernel;
          if (wide) {
            kernel = wide_kernels[(cols + 15) / 16 - 1];
          } else {
            kernel = cols <= 8 ? kernel8 : kernel16;
          }
          kernel(kc, ap, bq, cp, ldc, first, last, rows, cols, pb, relu);
        }
      }
    }
  }
}
