#include "winograd1d.h"

#include <string.h>

#include "packed_gemm.h"
#include "winograd_builds.h"

typedef float v8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4)));
typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4)));

#define LOAD8(p) (*(const v8u *)(p))
#define STORE8(p, x) (*(v8u *)(p) = (x))
#define LOAD16(p) (*(const v16u *)(p))
#define STORE16(p, x) (*(v16u *)(p) = (x))
#define INLINE static inline __attribute__((always_inline))

// The input and output transforms of the W columns k0 ..< k0 + W (W = 8 or 16, vectors of type
// V), or of the n < W there (only W = 8), through zero-padded copies.
#define COLUMNS(V, W)                                                                        \
  INLINE void load_part##W(const float *p, int n, V *v) {                                    \
    if (n == W) {                                                                            \
      *v = LOAD##W(p);                                                                       \
      return;                                                                                \
    }                                                                                        \
    float t[W] = {0};                                                                        \
    memcpy(t, p, (size_t)n * sizeof(float));                                                 \
    *v = LOAD##W(t);                                                                         \
  }                                                                                          \
                                                                                             \
  INLINE void input_columns##W(const float *const *rows, const float *bt, int alpha, int k0, \
                               int n, float *dst, size_t xs) {                               \
    V a[16];                                                                                 \
    for (int i = 0; i < alpha; i++) load_part##W(rows[i] + k0, n, &a[i]);                    \
    for (int x = 0; x < alpha; x++) {                                                        \
      const float *b = bt + x * alpha;                                                       \
      /* Zeros multiplied too: with alpha a constant the loop unrolls, no branch per entry. */ \
      V sum = {0};                                                                           \
      for (int i = 0; i < alpha; i++) sum += b[i] * a[i];                                    \
      float *o = dst + (size_t)x * xs + k0;                                                  \
      if (n == W) {                                                                          \
        STORE##W(o, sum);                                                                    \
      } else {                                                                               \
        float t[W];                                                                          \
        STORE##W(t, sum);                                                                    \
        memcpy(o, t, (size_t)n * sizeof(float));                                             \
      }                                                                                      \
    }                                                                                        \
  }                                                                                          \
                                                                                             \
  INLINE void output_columns##W(const float *p, size_t xs, const float *at, int alpha,       \
                                int outputs, int k0, int n, float bias, float *out,          \
                                size_t out_i, size_t out_k) {                                \
    V zero = {0};                                                                            \
    V a[16];                                                                                 \
    for (int x = 0; x < alpha; x++) load_part##W(p + (size_t)x * xs + k0, n, &a[x]);         \
    for (int i = 0; i < outputs; i++) {                                                      \
      const float *f = at + i * alpha;                                                       \
      V sum = zero + bias;                                                                   \
      for (int x = 0; x < alpha; x++) sum += f[x] * a[x];                                    \
      sum = __builtin_elementwise_max(sum, zero);                                            \
      float *o = out + i * out_i + k0 * out_k;                                               \
      if (out_k == 1 && n == W) {                                                            \
        STORE##W(o, sum);                                                                    \
      } else {                                                                               \
        float t[W];                                                                          \
        STORE##W(t, sum);                                                                    \
        for (int l = 0; l < n; l++) o[l * out_k] = t[l];                                     \
      }                                                                                      \
    }                                                                                        \
  }
COLUMNS(v8, 8)
COLUMNS(v16, 16)

// The columns 0 ..< length, CALL(W, k0, n) for each run: sixteen at a time while at least
// sixteen are left (`wide`), then eight. From 16 (or 8) columns up, the last run overlaps the
// ones before (written twice, alike); fewer than 8 go through a zero-padded copy.
#define RUNS(wide, length, CALL)                                 \
  do {                                                           \
    int k = 0;                                                   \
    if (wide) {                                                  \
      for (; k + 16 <= length; k += 16) CALL(16, k, 16);         \
      if (k > 0 && length - k > 8) {                             \
        CALL(16, length - 16, 16);                               \
        k = length;                                              \
      }                                                          \
    }                                                            \
    for (; k < length; k += 8) {                                 \
      int k0 = length >= 8 && k + 8 > length ? length - 8 : k;   \
      CALL(8, k0, length - k0 < 8 ? length - k0 : 8);            \
    }                                                            \
  } while (0)

INLINE void input_body(const float *const *rows, const float *bt, int alpha, int length,
                       float *dst, size_t xs, int wide) {
#define INPUT_RUN(W, k0, n) input_columns##W(rows, bt, alpha, k0, n, dst, xs)
  RUNS(wide, length, INPUT_RUN);
#undef INPUT_RUN
}

INLINE void output_body(const float *p, size_t xs, const float *at, int alpha, int outputs,
                        int length, float bias, float *out, size_t out_i, size_t out_k, int wide) {
#define OUTPUT_RUN(W, k0, n) \
  output_columns##W(p, xs, at, alpha, outputs, k0, n, bias, out, out_i, out_k)
  RUNS(wide, length, OUTPUT_RUN);
#undef OUTPUT_RUN
}

// F(4, 7)'s alpha of 10 and F(4, 3)'s 6 as constants (so the sums unroll); other sizes, only
// in tests, as they come.
INLINE void input_dispatch(const float *const *rows, const float *bt, int alpha, int length,
                           float *dst, size_t xs, int wide) {
  if (alpha == 10) {
    input_body(rows, bt, 10, length, dst, xs, wide);
  } else if (alpha == 6) {
    input_body(rows, bt, 6, length, dst, xs, wide);
  } else {
    input_body(rows, bt, alpha, length, dst, xs, wide);
  }
}

INLINE void output_dispatch(const float *p, size_t xs, const float *at, int alpha, int outputs,
                            int length, float bias, float *out, size_t out_i, size_t out_k,
                            int wide) {
  if (alpha == 10) {
    output_body(p, xs, at, 10, outputs, length, bias, out, out_i, out_k, wide);
  } else if (alpha == 6) {
    output_body(p, xs, at, 6, outputs, length, bias, out, out_i, out_k, wide);
  } else {
    output_body(p, xs, at, alpha, outputs, length, bias, out, out_i, out_k, wide);
  }
}

// Each built three times from the same source, for AVX-512F (wide), for AVX2 + FMA and for the
// baseline (SSE2).
#define INPUT_BUILD(TARGET, NAME, WIDE)                                                       \
  TARGET static void NAME(const float *const *rows, const float *bt, int alpha, int length,   \
                          float *dst, size_t xs) {                                            \
    input_dispatch(rows, bt, alpha, length, dst, xs, WIDE);                                   \
  }
#define OUTPUT_BUILD(TARGET, NAME, WIDE)                                                      \
  TARGET static void NAME(const float *p, size_t xs, const float *at, int alpha, int outputs, \
                          int length, float bias, float *out, size_t out_i, size_t out_k) {   \
    output_dispatch(p, xs, at, alpha, outputs, length, bias, out, out_i, out_k, WIDE);        \
  }
HERO_WINOGRAD_BUILDS(INPUT_BUILD, w1d_input)
HERO_WINOGRAD_BUILDS(OUTPUT_BUILD, w1d_output)

void hero_winograd1d_input(const float *const *rows, const float *bt, int alpha, int length,
                           float *dst, size_t xi_stride, int level) {
  if (alpha <= 0 || alpha > 16 || length <= 0) return;
  HERO_WINOGRAD_CALL(w1d_input, level, rows, bt, alpha, length, dst, xi_stride);
}

void hero_winograd1d_output(const float *p, size_t xi_stride, const float *at, int alpha,
                            int outputs, int length, float bias, float *out, size_t out_i,
                            size_t out_k, int level) {
  if (alpha <= 0 || alpha > 16 || length <= 0 || outputs <= 0) return;
  HERO_WINOGRAD_CALL(w1d_output, level, p, xi_stride, at, alpha, outputs, length, bias, out,
                     out_i, out_k);
}
