#include "winograd2d.h"

#include <stdint.h>
#include <string.h>

#include "packed_gemm.h"

// Eight floats; `v8u` at any alignment (loads and stores through it are unaligned).
typedef float v8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4)));

#define LOAD(p) (*(const v8u *)(p))
#define STORE(p, x) (*(v8u *)(p) = (x))
#define INLINE static inline __attribute__((always_inline))

static int round8(int n) { return (n + 7) / 8 * 8; }

// Each phase row holds `tiles_x` tiles and the (α − 1) / m after them that the last tiles
// read, rounded up so that whole vectors of 8 stay inside.
static int phase_length(int tiles_x) { return round8(tiles_x) + 8; }

// Bᵀ applied to α values: α = 6 (points 0, ±1, ±2, ∞) or 4 (0, ±1, ∞).
INLINE void input_t(int alpha, const v8 *a, v8 *b) {
  if (alpha == 6) {
    b[0] = 4 * a[0] - 5 * a[2] + a[4];
    b[1] = a[3] + a[4] - 4 * (a[1] + a[2]);
    b[2] = 4 * (a[1] - a[2]) + a[4] - a[3];
    b[3] = 2 * (a[3] - a[1]) + a[4] - a[2];
    b[4] = 2 * (a[1] - a[3]) + a[4] - a[2];
    b[5] = 4 * a[1] - 5 * a[3] + a[5];
  } else {
    b[0] = a[0] - a[2];
    b[1] = a[1] + a[2];
    b[2] = a[2] - a[1];
    b[3] = a[3] - a[1];
  }
}

// Aᵀ applied to α values: m results.
INLINE void output_t(int alpha, int m, const v8 *a, v8 *y) {
  if (alpha == 4) {
    y[0] = a[0] + a[1] + a[2];
    y[1] = a[1] - a[2] + a[3];
    return;
  }
  v8 s12 = a[1] + a[2], d12 = a[1] - a[2], s34 = a[3] + a[4], d34 = a[3] - a[4];
  y[0] = a[0] + s12 + s34;
  if (m == 4) {
    y[1] = d12 + 2 * d34;
    y[2] = s12 + 4 * s34;
    y[3] = d12 + 8 * d34 + a[5];
  } else {
    y[1] = d12 + 2 * d34 + a[5];
  }
}

size_t hero_winograd2d_input_scratch(int width, int alpha, int m, int tile_rows) {
  int rows = (tile_rows - 1) * m + alpha;
  // The padded rows split by phase, then the α rows of Bᵀ d.
  return (size_t)(rows + alpha) * m * phase_length((width + m - 1) / m + 2);
}

// The input transform for constant α and m: first each padded input row the band reads is split by
// column phase (q[k][t] = row[m·t + k − pad], zero outside), so that tile tx's column c is
// phase c mod m at t = tx + c / m and every later step reads whole vectors of consecutive tiles.
INLINE void input_body(const float *plane, int height, int width, int pad, int A, int m,
                       int tiles_x, int ty_begin, int ty_end, float *v, size_t xs, float *scratch) {
  // Sized for the widest tiling of this width, so the scratch size does not depend on pad.
  int L = phase_length((width + m - 1) / m + 2);
  int rows = (ty_end - ty_begin - 1) * m + A;
  int y_first = ty_begin * m - pad;
  size_t row_floats = (size_t)m * L;
  for (int r = 0; r < rows; r++) {
    float *q = scratch + r * row_floats;
    int y = y_first + r;
    if (y < 0 || y >= height) {
      memset(q, 0, row_floats * sizeof(float));
      continue;
    }
    const float *src = plane + (size_t)y * width;
    // Tiles whose m columns all lie inside the row, t_lo ..< t_hi, without bounds checks.
    int t_lo = (pad + m - 1) / m;
    int t_hi = (width + pad) / m;
    if (t_hi > L) t_hi = L;
    if (t_hi < t_lo) t_hi = t_lo;
    for (int t = 0; t < L; t++) {
      if (t == t_lo && t_hi > t_lo) {
        const float *s = src + m * t_lo - pad;
        for (int u = 0; u < t_hi - t_lo; u++) {
          for (int k = 0; k < m; k++) q[k * L + t_lo + u] = s[m * u + k];
        }
        t = t_hi - 1;
        continue;
      }
      for (int k = 0; k < m; k++) {
        int x = m * t + k - pad;
        q[k * L + t] = x >= 0 && x < width ? src[x] : 0;
      }
    }
  }
  float *w = scratch + rows * row_floats;
  float tmp[8];
  for (int tr = 0; tr < ty_end - ty_begin; tr++) {
    // Bᵀ d down the columns: the α rows of the tile row, all phases at once.
    const float *q = scratch + (size_t)tr * m * row_floats;
    for (size_t i = 0; i < row_floats; i += 8) {
      v8 a[6], b[6];
      for (int r = 0; r < A; r++) a[r] = LOAD(q + r * row_floats + i);
      input_t(A, a, b);
      for (int s = 0; s < A; s++) STORE(w + s * row_floats + i, b[s]);
    }
    // (Bᵀ d) B along each row, eight tiles at a time.
    for (int s = 0; s < A; s++) {
      const float *ws = w + s * row_floats;
      float *o = v + (size_t)(A * s) * xs + (size_t)tr * tiles_x;
      // From 8 tiles up, the last eight overlap the ones before (written twice, alike).
      for (int t = 0; t < tiles_x; t += 8) {
        int t0 = tiles_x >= 8 && t + 8 > tiles_x ? tiles_x - 8 : t;
        v8 a[6], b[6];
        for (int c = 0; c < A; c++) a[c] = LOAD(ws + (c % m) * L + t0 + c / m);
        input_t(A, a, b);
        if (t0 + 8 <= tiles_x) {
          for (int u = 0; u < A; u++) STORE(o + u * xs + t0, b[u]);
        } else {
          for (int u = 0; u < A; u++) {
            STORE(tmp, b[u]);
            memcpy(o + u * xs + t0, tmp, (size_t)(tiles_x - t0) * sizeof(float));
          }
        }
      }
    }
  }
}

size_t hero_winograd2d_output_scratch(int m, int tiles_x) {
  return (size_t)m * m * round8(tiles_x) + 6 * 8;
}

// Eight tiles' m×m outputs (y[i][k]: row i, column k, one lane per tile) into rows of the
// staging area: r[i][m·l + k] = y[i][k][l].
INLINE void interleave(int m, const v8 y[4], float *r) {
  if (m == 4) {
    v8 t0 = __builtin_shufflevector(y[0], y[1], 0, 8, 1, 9, 4, 12, 5, 13);
    v8 t1 = __builtin_shufflevector(y[0], y[1], 2, 10, 3, 11, 6, 14, 7, 15);
    v8 t2 = __builtin_shufflevector(y[2], y[3], 0, 8, 1, 9, 4, 12, 5, 13);
    v8 t3 = __builtin_shufflevector(y[2], y[3], 2, 10, 3, 11, 6, 14, 7, 15);
    v8 u0 = __builtin_shufflevector(t0, t2, 0, 1, 8, 9, 4, 5, 12, 13);
    v8 u1 = __builtin_shufflevector(t0, t2, 2, 3, 10, 11, 6, 7, 14, 15);
    v8 u2 = __builtin_shufflevector(t1, t3, 0, 1, 8, 9, 4, 5, 12, 13);
    v8 u3 = __builtin_shufflevector(t1, t3, 2, 3, 10, 11, 6, 7, 14, 15);
    STORE(r, __builtin_shufflevector(u0, u1, 0, 1, 2, 3, 8, 9, 10, 11));
    STORE(r + 8, __builtin_shufflevector(u2, u3, 0, 1, 2, 3, 8, 9, 10, 11));
    STORE(r + 16, __builtin_shufflevector(u0, u1, 4, 5, 6, 7, 12, 13, 14, 15));
    STORE(r + 24, __builtin_shufflevector(u2, u3, 4, 5, 6, 7, 12, 13, 14, 15));
  } else {
    STORE(r, __builtin_shufflevector(y[0], y[1], 0, 8, 1, 9, 2, 10, 3, 11));
    STORE(r + 8, __builtin_shufflevector(y[0], y[1], 4, 12, 5, 13, 6, 14, 7, 15));
  }
}

INLINE void output_body(const float *p, size_t xs, int A, int m, int tiles_x, int tile_rows,
                        int y0, float bias, float *out, int oh, int ow, float *scratch) {
  int row_floats = m * round8(tiles_x);
  float *tail = scratch + (size_t)m * row_floats;
  v8 zero = {0};
  v8 b = zero + bias;
  for (int tr = 0; tr < tile_rows; tr++) {
    int yr = y0 + tr * m;
    if (yr >= oh) break;
    // From 8 tiles up, the last eight overlap the ones before (staged twice, alike).
    for (int t = 0; t < tiles_x; t += 8) {
      int t0 = tiles_x >= 8 && t + 8 > tiles_x ? tiles_x - 8 : t;
      const float *src = p + (size_t)tr * tiles_x + t0;
      int n = tiles_x - t0 < 8 ? tiles_x - t0 : 8;
      v8 e[6][4];
      for (int i = 0; i < A; i++) {
        v8 a[6];
        for (int j = 0; j < A; j++) {
          const float *s = src + (size_t)(A * i + j) * xs;
          if (n == 8) {
            a[j] = LOAD(s);
          } else {
            memset(tail, 0, 8 * sizeof(float));
            memcpy(tail, s, (size_t)n * sizeof(float));
            a[j] = LOAD(tail);
          }
        }
        output_t(A, m, a, e[i]);
      }
      v8 y[4][4];
      for (int k = 0; k < m; k++) {
        v8 a[6], c[4];
        for (int i = 0; i < A; i++) a[i] = e[i][k];
        output_t(A, m, a, c);
        for (int i = 0; i < m; i++) {
          v8 x = c[i] + b;
          y[i][k] = __builtin_elementwise_max(x, zero);
        }
      }
      for (int i = 0; i < m; i++) interleave(m, y[i], scratch + (size_t)i * row_floats + m * t0);
    }
    for (int i = 0; i < m && yr + i < oh; i++) {
      memcpy(out + (size_t)(yr + i) * ow, scratch + (size_t)i * row_floats, (size_t)ow * sizeof(float));
    }
  }
}

// Each transform built twice from the same source, for AVX2 + FMA and for the baseline (SSE2),
// with α and m constants in each: (6, 4) for 3x3 filters, (6, 2) for 5x5, (4, 2) for 3x3 on
// small planes.
#define DISPATCH(BODY, ...)                        \
  if (alpha == 6 && m == 4) {                      \
    BODY(__VA_ARGS__, 6, 4);                       \
  } else if (alpha == 6) {                         \
    BODY(__VA_ARGS__, 6, 2);                       \
  } else {                                         \
    BODY(__VA_ARGS__, 4, 2);                       \
  }
#define INPUT(plane, height, width, pad, tiles_x, ty_begin, ty_end, v, xs, scratch, A, M) \
  input_body(plane, height, width, pad, A, M, tiles_x, ty_begin, ty_end, v, xs, scratch)
#define OUTPUT(p, xs, tiles_x, tile_rows, y0, bias, out, oh, ow, scratch, A, M) \
  output_body(p, xs, A, M, tiles_x, tile_rows, y0, bias, out, oh, ow, scratch)

__attribute__((target("avx2,fma"))) static void w2d_input_avx2(
    const float *plane, int height, int width, int pad, int alpha, int m, int tiles_x,
    int ty_begin, int ty_end, float *v, size_t xs, float *scratch) {
  DISPATCH(INPUT, plane, height, width, pad, tiles_x, ty_begin, ty_end, v, xs, scratch)
}

static void w2d_input_base(const float *plane, int height, int width, int pad, int alpha, int m,
                           int tiles_x, int ty_begin, int ty_end, float *v, size_t xs,
                           float *scratch) {
  DISPATCH(INPUT, plane, height, width, pad, tiles_x, ty_begin, ty_end, v, xs, scratch)
}

__attribute__((target("avx2,fma"))) static void w2d_output_avx2(
    const float *p, size_t xs, int alpha, int m, int tiles_x, int tile_rows, int y0, float bias,
    float *out, int oh, int ow, float *scratch) {
  DISPATCH(OUTPUT, p, xs, tiles_x, tile_rows, y0, bias, out, oh, ow, scratch)
}

static void w2d_output_base(const float *p, size_t xs, int alpha, int m, int tiles_x,
                            int tile_rows, int y0, float bias, float *out, int oh, int ow,
                            float *scratch) {
  DISPATCH(OUTPUT, p, xs, tiles_x, tile_rows, y0, bias, out, oh, ow, scratch)
}

static int valid(int alpha, int m) { return (alpha == 6 && (m == 4 || m == 2)) || (alpha == 4 && m == 2); }

void hero_winograd2d_input(const float *plane, int height, int width, int pad, int alpha, int m,
                           int tiles_x, int ty_begin, int ty_end, float *v, size_t xi_stride,
                           float *scratch, int avx2) {
  if (ty_begin >= ty_end || tiles_x <= 0 || !valid(alpha, m)) return;
  if (avx2 && hero_gemm_available()) {
    w2d_input_avx2(plane, height, width, pad, alpha, m, tiles_x, ty_begin, ty_end, v, xi_stride,
                   scratch);
  } else {
    w2d_input_base(plane, height, width, pad, alpha, m, tiles_x, ty_begin, ty_end, v, xi_stride,
                   scratch);
  }
}

void hero_winograd2d_output(const float *p, size_t xi_stride, int alpha, int m, int tiles_x,
                            int tile_rows, int y0, float bias, float *out, int oh, int ow,
                            float *scratch, int avx2) {
  if (tile_rows <= 0 || tiles_x <= 0 || !valid(alpha, m)) return;
  if (avx2 && hero_gemm_available()) {
    w2d_output_avx2(p, xi_stride, alpha, m, tiles_x, tile_rows, y0, bias, out, oh, ow, scratch);
  } else {
    w2d_output_base(p, xi_stride, alpha, m, tiles_x, tile_rows, y0, bias, out, oh, ow, scratch);
  }
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

void hero_stream_rows(float *dst, size_t dst_stride, const float *src, size_t src_stride,
                      int rows, int n) {
  for (int r = 0; r < rows; r++) {
    float *d = dst + (size_t)r * dst_stride;
    const float *s = src + (size_t)r * src_stride;
#if defined(__x86_64__) || defined(__i386__)
    // SSE's 16-byte non-temporal stores (in every x86-64); the start must be 16-byte aligned.
    if (((uintptr_t)d & 15) == 0) {
      int i = 0;
      for (; i + 4 <= n; i += 4) _mm_stream_ps(d + i, _mm_loadu_ps(s + i));
      for (; i < n; i++) d[i] = s[i];
      continue;
    }
#endif
    memcpy(d, s, (size_t)n * sizeof(float));
  }
#if defined(__x86_64__) || defined(__i386__)
  _mm_sfence();
#endif
}
