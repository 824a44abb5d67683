#include "winograd1d.h"

#include <string.h>

#include "packed_gemm.h"

typedef float v8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4)));

#define LOAD(p) (*(const v8u *)(p))
#define STORE(p, x) (*(v8u *)(p) = (x))
#define INLINE static inline __attribute__((always_inline))

// Eight floats from `p`, or the `n` < 8 there, zero-padded, into `*v`.
INLINE void load_part(const float *p, int n, v8 *v) {
  if (n == 8) {
    *v = LOAD(p);
    return;
  }
  float t[8] = {0};
  memcpy(t, p, (size_t)n * sizeof(float));
  *v = LOAD(t);
}

INLINE void input_body(const float *const *rows, const float *bt, int alpha, int length,
                       float *dst, size_t xs) {
  // From 8 columns up, the last eight overlap the ones before (written twice, alike); fewer go
  // through a zero-padded copy.
  for (int k = 0; k < length; k += 8) {
    int k0 = length >= 8 && k + 8 > length ? length - 8 : k;
    int n = length - k0 < 8 ? length - k0 : 8;
    v8 a[16];
    for (int i = 0; i < alpha; i++) load_part(rows[i] + k0, n, &a[i]);
    for (int x = 0; x < alpha; x++) {
      const float *b = bt + x * alpha;
      // Zeros multiplied too: with alpha a constant the loop unrolls, no branch per entry.
      v8 sum = {0};
      for (int i = 0; i < alpha; i++) sum += b[i] * a[i];
      float *o = dst + (size_t)x * xs + k0;
      if (n == 8) {
        STORE(o, sum);
      } else {
        float t[8];
        STORE(t, sum);
        memcpy(o, t, (size_t)n * sizeof(float));
      }
    }
  }
}

INLINE void output_body(const float *p, size_t xs, const float *at, int alpha, int outputs,
                        int length, float bias, float *out, size_t out_i, size_t out_k) {
  v8 zero = {0};
  for (int k = 0; k < length; k += 8) {
    int k0 = length >= 8 && k + 8 > length ? length - 8 : k;
    int n = length - k0 < 8 ? length - k0 : 8;
    v8 a[16];
    for (int x = 0; x < alpha; x++) load_part(p + (size_t)x * xs + k0, n, &a[x]);
    for (int i = 0; i < outputs; i++) {
      const float *f = at + i * alpha;
      v8 sum = zero + bias;
      for (int x = 0; x < alpha; x++) sum += f[x] * a[x];
      sum = __builtin_elementwise_max(sum, zero);
      float *o = out + i * out_i + k0 * out_k;
      if (out_k == 1 && n == 8) {
        STORE(o, sum);
      } else {
        float t[8];
        STORE(t, sum);
        for (int l = 0; l < n; l++) o[l * out_k] = t[l];
      }
    }
  }
}

// F(4, 7)'s alpha of 10 and F(4, 3)'s 6 as constants (so the sums unroll); other sizes, only
// in tests, as they come.
INLINE void input_dispatch(const float *const *rows, const float *bt, int alpha, int length,
                           float *dst, size_t xs) {
  if (alpha == 10) {
    input_body(rows, bt, 10, length, dst, xs);
  } else if (alpha == 6) {
    input_body(rows, bt, 6, length, dst, xs);
  } else {
    input_body(rows, bt, alpha, length, dst, xs);
  }
}

INLINE void output_dispatch(const float *p, size_t xs, const float *at, int alpha, int outputs,
                            int length, float bias, float *out, size_t out_i, size_t out_k) {
  if (alpha == 10) {
    output_body(p, xs, at, 10, outputs, length, bias, out, out_i, out_k);
  } else if (alpha == 6) {
    output_body(p, xs, at, 6, outputs, length, bias, out, out_i, out_k);
  } else {
    output_body(p, xs, at, alpha, outputs, length, bias, out, out_i, out_k);
  }
}

// Each built twice from the same source, for AVX2 + FMA and for the baseline (SSE2).
__attribute__((target("avx2,fma"))) static void w1d_input_avx2(
    const float *const *rows, const float *bt, int alpha, int length, float *dst, size_t xs) {
  input_dispatch(rows, bt, alpha, length, dst, xs);
}

static void w1d_input_base(const float *const *rows, const float *bt, int alpha, int length,
                           float *dst, size_t xs) {
  input_dispatch(rows, bt, alpha, length, dst, xs);
}

__attribute__((target("avx2,fma"))) static void w1d_output_avx2(
    const float *p, size_t xs, const float *at, int alpha, int outputs, int length, float bias,
    float *out, size_t out_i, size_t out_k) {
  output_dispatch(p, xs, at, alpha, outputs, length, bias, out, out_i, out_k);
}

static void w1d_output_base(const float *p, size_t xs, const float *at, int alpha, int outputs,
                            int length, float bias, float *out, size_t out_i, size_t out_k) {
  output_dispatch(p, xs, at, alpha, outputs, length, bias, out, out_i, out_k);
}

void hero_winograd1d_input(const float *const *rows, const float *bt, int alpha, int length,
                           float *dst, size_t xi_stride, int avx2) {
  if (alpha <= 0 || alpha > 16 || length <= 0) return;
  if (avx2 && hero_gemm_available()) {
    w1d_input_avx2(rows, bt, alpha, length, dst, xi_stride);
  } else {
    w1d_input_base(rows, bt, alpha, length, dst, xi_stride);
  }
}

void hero_winograd1d_output(const float *p, size_t xi_stride, const float *at, int alpha,
                            int outputs, int length, float bias, float *out, size_t out_i,
                            size_t out_k, int avx2) {
  if (alpha <= 0 || alpha > 16 || length <= 0 || outputs <= 0) return;
  if (avx2 && hero_gemm_available()) {
    w1d_output_avx2(p, xi_stride, at, alpha, outputs, length, bias, out, out_i, out_k);
  } else {
    w1d_output_base(p, xi_stride, at, alpha, outputs, length, bias, out, out_i, out_k);
  }
}
