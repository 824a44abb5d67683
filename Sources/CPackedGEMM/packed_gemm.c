#include "packed_gemm.h"

#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#define MR HERO_GEMM_ROWS
#define NR HERO_GEMM_COLUMNS
// The most k per block: a block of a B panel (KC·NR floats, 20 KiB) stays in L1 while the
// kernel sweeps every panel of A past it.
#define KC_MAX 320
// The most floats of B packed at once (256 KiB, in L2).
#define B_BLOCK (64 * 1024)

int hero_gemm_available(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
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

// Columns n0 ..< n0+nw of rows k0 ..< k0+kc of B as panels of NR (the last one 8 wide when it has
// at most 8 columns), zero-padded: panel q at q·kc·NR. B is read row by row (one stream for the
// prefetcher, not one per row).
static void pack_b(const float *b, int ldb, int k0, int kc, int n0, int nw, float *d) {
  int full = nw / NR;
  int w = nw - full * NR;
  int width = w <= 8 ? 8 : NR;
  float *tail = d + (size_t)full * kc * NR;
  for (int l = 0; l < kc; l++) {
    const float *s = b + (size_t)(k0 + l) * ldb + n0;
    for (int q = 0; q < full; q++) memcpy(d + ((size_t)q * kc + l) * NR, s + q * NR, NR * sizeof(float));
    if (w > 0) {
      memcpy(tail + (size_t)l * width, s + full * NR, (size_t)w * sizeof(float));
      memset(tail + (size_t)l * width + w, 0, (size_t)(width - w) * sizeof(float));
    }
  }
}

void hero_gemm_multiply(const float *packed, int m, int k, int row_begin, int row_end,
                        const float *b, int ldb, int n, float *c, int ldc, const float *bias,
                        int relu) {
  if (row_end > m) row_end = m;
  if (row_begin >= row_end || n <= 0 || k <= 0) return;
  int kcMax = block_length(k);
  int mp = panels(m);
  int nc = (B_BLOCK / kcMax) / NR * NR;
  if (nc < NR) nc = NR;
  float *bp = reserve((size_t)kcMax * (size_t)(nc < n ? nc : (n + NR - 1) / NR * NR));
  for (int k0 = 0; k0 < k; k0 += kcMax) {
    int kc = k - k0 < kcMax ? k - k0 : kcMax;
    int first = k0 == 0;
    int last = k0 + kc == k;
    const float *block = packed + (size_t)k0 * mp * MR;
    for (int n0 = 0; n0 < n; n0 += nc) {
      int nw = n - n0 < nc ? n - n0 : nc;
      pack_b(b, ldb, k0, kc, n0, nw, bp);
      for (int p = row_begin / MR; p * MR < row_end; p++) {
        int i0 = p * MR;
        int rows = row_end - i0 < MR ? row_end - i0 : MR;
        const float *ap = block + (size_t)p * MR * kc;
        const float *pb = bias ? bias + i0 : NULL;
        for (int q = 0; q * NR < nw; q++) {
          int cols = nw - q * NR < NR ? nw - q * NR : NR;
          float *cp = c + (size_t)i0 * ldc + n0 + q * NR;
          const float *bq = bp + (size_t)q * kc * NR;
          if (cols <= 8) {
            kernel8(kc, ap, bq, cp, ldc, first, last, rows, cols, pb, relu);
          } else {
            kernel16(kc, ap, bq, cp, ldc, first, last, rows, cols, pb, relu);
          }
        }
      }
    }
  }
}
