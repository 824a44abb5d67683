#include "winograd2d.h"

#include <stdint.h>
#include <string.h>

#include "packed_gemm.h"
#include "winograd_builds.h"

// Eight and sixteen floats; `v8u` and `v16u` at any alignment (loads and stores through them are
// unaligned).
typedef float v8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4)));
typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4)));

#define LOAD8(p) (*(const v8u *)(p))
#define STORE8(p, x) (*(v8u *)(p) = (x))
#define LOAD16(p) (*(const v16u *)(p))
#define STORE16(p, x) (*(v16u *)(p) = (x))
#define INLINE static inline __attribute__((always_inline))

static int round8(int n) { return (n + 7) / 8 * 8; }

// Each phase row holds `tiles_x` tiles and the (α − 1) / m after them that the last tiles
// read, rounded up so that whole vectors of 8 (and of 16, 8 more) stay inside.
static int phase_length(int tiles_x) { return round8(tiles_x) + 8; }

// Bᵀ applied to α values: α = 6 (points 0, ±1, ±2, ∞) or 4 (0, ±1, ∞). A macro, for vectors of
// either width: the same expressions, and so the same FMA contractions, in every lane.
#define INPUT_T(alpha, a, b)                         \
  do {                                               \
    if ((alpha) == 6) {                              \
      b[0] = 4 * a[0] - 5 * a[2] + a[4];             \
      b[1] = a[3] + a[4] - 4 * (a[1] + a[2]);        \
      b[2] = 4 * (a[1] - a[2]) + a[4] - a[3];        \
      b[3] = 2 * (a[3] - a[1]) + a[4] - a[2];        \
      b[4] = 2 * (a[1] - a[3]) + a[4] - a[2];        \
      b[5] = 4 * a[1] - 5 * a[3] + a[5];             \
    } else {                                         \
      b[0] = a[0] - a[2];                            \
      b[1] = a[1] + a[2];                            \
      b[2] = a[2] - a[1];                            \
      b[3] = a[3] - a[1];                            \
    }                                                \
  } while (0)

// Aᵀ applied to α values: m results (vectors of type V).
#define OUTPUT_T(V, alpha, m, a, y)                                              \
  do {                                                                           \
    if ((alpha) == 4) {                                                          \
      y[0] = a[0] + a[1] + a[2];                                                 \
      y[1] = a[1] - a[2] + a[3];                                                 \
      break;                                                                     \
    }                                                                            \
    V s12 = a[1] + a[2], d12 = a[1] - a[2], s34 = a[3] + a[4], d34 = a[3] - a[4]; \
    y[0] = a[0] + s12 + s34;                                                     \
    if ((m) == 4) {                                                              \
      y[1] = d12 + 2 * d34;                                                      \
      y[2] = s12 + 4 * s34;                                                      \
      y[3] = d12 + 8 * d34 + a[5];                                               \
    } else {                                                                     \
      y[1] = d12 + 2 * d34 + a[5];                                               \
    }                                                                            \
  } while (0)

size_t hero_winograd2d_input_scratch(int width, int alpha, int m, int tile_rows) {
  int rows = (tile_rows - 1) * m + alpha;
  // The padded rows split by phase, then the α rows of Bᵀ d.
  return (size_t)(rows + alpha) * m * phase_length((width + m - 1) / m + 2);
}

// (Bᵀ d) B along one row for the W tiles t0 ..< t0 + W (those past `tiles_x`, only where
// W = 8 and the row is narrower, dropped): `ws` the phase-split row s of Bᵀ d, `o` row s's α
// outputs, `xs` apart.
#define ROW_TILES(V, W)                                                                        \
  INLINE void row_tiles##W(const float *ws, int L, int A, int m, int t0, int tiles_x, float *o, \
                           size_t xs) {                                                        \
    V a[6], b[6];                                                                              \
    for (int c = 0; c < A; c++) a[c] = LOAD##W(ws + (c % m) * L + t0 + c / m);                 \
    INPUT_T(A, a, b);                                                                          \
    if (t0 + W <= tiles_x) {                                                                   \
      for (int u = 0; u < A; u++) STORE##W(o + u * xs + t0, b[u]);                             \
    } else {                                                                                   \
      float tmp[W];                                                                            \
      for (int u = 0; u < A; u++) {                                                            \
        STORE##W(tmp, b[u]);                                                                   \
        memcpy(o + u * xs + t0, tmp, (size_t)(tiles_x - t0) * sizeof(float));                 \
      }                                                                                        \
    }                                                                                          \
  }
ROW_TILES(v8, 8)
ROW_TILES(v16, 16)

// Each padded input row `y_first ..< y_first + rows` split by column phase into `scratch`
// (q[k][t] = row[m·t + k − pad], zero outside), `L` tiles a phase.
INLINE void split_phases(const float *plane, int height, int width, int pad, int m, int L,
                         int y_first, int rows, float *scratch) {
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
        int count = t_hi - t_lo, u = 0;
        // m = 4: eight tiles at a time, their 32 floats loaded as four vectors and de-interleaved
        // by shuffles into one vector per phase. The 3x3 layers' input transforms took 0.170 s
        // of a 48-image run at batch 16 with the scalar loop below, 0.144–0.157 s so (AMD EPYC Zen 5;
        // the same for m = 2 made the 5x5 ones slower, 0.021 -> 0.024 s).
        if (m == 4) {
          for (; u + 8 <= count; u += 8) {
            const float *r = s + 4 * u;
            v8 x0 = LOAD8(r), x1 = LOAD8(r + 8), x2 = LOAD8(r + 16), x3 = LOAD8(r + 24);
            v8 a = __builtin_shufflevector(x0, x1, 0, 4, 8, 12, 1, 5, 9, 13);
            v8 b = __builtin_shufflevector(x0, x1, 2, 6, 10, 14, 3, 7, 11, 15);
            v8 c = __builtin_shufflevector(x2, x3, 0, 4, 8, 12, 1, 5, 9, 13);
            v8 d = __builtin_shufflevector(x2, x3, 2, 6, 10, 14, 3, 7, 11, 15);
            float *o = q + t_lo + u;
            STORE8(o, __builtin_shufflevector(a, c, 0, 1, 2, 3, 8, 9, 10, 11));
            STORE8(o + L, __builtin_shufflevector(a, c, 4, 5, 6, 7, 12, 13, 14, 15));
            STORE8(o + 2 * L, __builtin_shufflevector(b, d, 0, 1, 2, 3, 8, 9, 10, 11));
            STORE8(o + 3 * L, __builtin_shufflevector(b, d, 4, 5, 6, 7, 12, 13, 14, 15));
          }
        }
        for (; u < count; u++) {
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
}

// The same, built for AVX2 and not inlined: what the AVX-512 build calls. Compiled for AVX-512
// the loops above vectorise into masked gathers: in the network at batch 16 (AMD EPYC Zen 5) the
// 3x3 input transforms took 0.37–0.44 s a run against 0.33–0.36 s with this copy.
__attribute__((target("avx2,fma"), noinline)) static void split_phases_avx2(
    const float *plane, int height, int width, int pad, int m, int L, int y_first, int rows,
    float *scratch) {
  if (m == 4) {
    split_phases(plane, height, width, pad, 4, L, y_first, rows, scratch);
  } else {
    split_phases(plane, height, width, pad, 2, L, y_first, rows, scratch);
  }
}

// The input transform for constant α and m: first each padded input row the band reads is split by
// column phase (q[k][t] = row[m·t + k − pad], zero outside), so that tile tx's column c is
// phase c mod m at t = tx + c / m and every later step reads whole vectors of consecutive tiles.
// `wide`: sixteen tiles a vector while at least sixteen are left (AVX-512), else eight.
INLINE void input_body(const float *plane, int height, int width, int pad, int A, int m,
                       int tiles_x, int ty_begin, int ty_end, float *v, size_t xs, float *scratch,
                       int wide) {
  // Sized for the widest tiling of this width, so the scratch size does not depend on pad.
  int L = phase_length((width + m - 1) / m + 2);
  int rows = (ty_end - ty_begin - 1) * m + A;
  int y_first = ty_begin * m - pad;
  size_t row_floats = (size_t)m * L;
  if (wide) {
    split_phases_avx2(plane, height, width, pad, m, L, y_first, rows, scratch);
  } else {
    split_phases(plane, height, width, pad, m, L, y_first, rows, scratch);
  }
  float *w = scratch + rows * row_floats;
  for (int tr = 0; tr < ty_end - ty_begin; tr++) {
    // Bᵀ d down the columns: the α rows of the tile row, all phases at once (`row_floats` is a
    // multiple of 16: m is even, L a multiple of 8).
    const float *q = scratch + (size_t)tr * m * row_floats;
    if (wide) {
      for (size_t i = 0; i < row_floats; i += 16) {
        v16 a[6], b[6];
        for (int r = 0; r < A; r++) a[r] = LOAD16(q + r * row_floats + i);
        INPUT_T(A, a, b);
        for (int s = 0; s < A; s++) STORE16(w + s * row_floats + i, b[s]);
      }
    } else {
      for (size_t i = 0; i < row_floats; i += 8) {
        v8 a[6], b[6];
        for (int r = 0; r < A; r++) a[r] = LOAD8(q + r * row_floats + i);
        INPUT_T(A, a, b);
        for (int s = 0; s < A; s++) STORE8(w + s * row_floats + i, b[s]);
      }
    }
    // (Bᵀ d) B along each row: sixteen tiles at a time (wide), then eight. The last sixteen or
    // eight overlap the ones before where the row has at least that many (written twice, alike).
    for (int s = 0; s < A; s++) {
      const float *ws = w + s * row_floats;
      float *o = v + (size_t)(A * s) * xs + (size_t)tr * tiles_x;
      int t = 0;
      if (wide) {
        for (; t + 16 <= tiles_x; t += 16) row_tiles16(ws, L, A, m, t, tiles_x, o, xs);
        if (t > 0 && tiles_x - t > 8) {
          row_tiles16(ws, L, A, m, tiles_x - 16, tiles_x, o, xs);
          t = tiles_x;
        }
      }
      for (; t < tiles_x; t += 8) {
        int t0 = tiles_x >= 8 && t + 8 > tiles_x ? tiles_x - 8 : t;
        row_tiles8(ws, L, A, m, t0, tiles_x, o, xs);
      }
    }
  }
}

size_t hero_winograd2d_output_scratch(int m, int tiles_x) {
  return (size_t)m * m * round8(tiles_x) + 6 * 8;
}

// Eight tiles' m×m outputs (y[i][k]: row i, column k, one lane per tile) into rows of the
// staging area: r[i][m·l + k] = y[i][k][l].
INLINE void interleave8(int m, const v8 y[4], float *r) {
  if (m == 4) {
    v8 t0 = __builtin_shufflevector(y[0], y[1], 0, 8, 1, 9, 4, 12, 5, 13);
    v8 t1 = __builtin_shufflevector(y[0], y[1], 2, 10, 3, 11, 6, 14, 7, 15);
    v8 t2 = __builtin_shufflevector(y[2], y[3], 0, 8, 1, 9, 4, 12, 5, 13);
    v8 t3 = __builtin_shufflevector(y[2], y[3], 2, 10, 3, 11, 6, 14, 7, 15);
    v8 u0 = __builtin_shufflevector(t0, t2, 0, 1, 8, 9, 4, 5, 12, 13);
    v8 u1 = __builtin_shufflevector(t0, t2, 2, 3, 10, 11, 6, 7, 14, 15);
    v8 u2 = __builtin_shufflevector(t1, t3, 0, 1, 8, 9, 4, 5, 12, 13);
    v8 u3 = __builtin_shufflevector(t1, t3, 2, 3, 10, 11, 6, 7, 14, 15);
    STORE8(r, __builtin_shufflevector(u0, u1, 0, 1, 2, 3, 8, 9, 10, 11));
    STORE8(r + 8, __builtin_shufflevector(u2, u3, 0, 1, 2, 3, 8, 9, 10, 11));
    STORE8(r + 16, __builtin_shufflevector(u0, u1, 4, 5, 6, 7, 12, 13, 14, 15));
    STORE8(r + 24, __builtin_shufflevector(u2, u3, 4, 5, 6, 7, 12, 13, 14, 15));
  } else {
    STORE8(r, __builtin_shufflevector(y[0], y[1], 0, 8, 1, 9, 2, 10, 3, 11));
    STORE8(r + 8, __builtin_shufflevector(y[0], y[1], 4, 12, 5, 13, 6, 14, 7, 15));
  }
}

// The lanes 0 ..< 8 and 8 ..< 16 of a and b alternated.
#define ZIP_LO16(a, b) \
  __builtin_shufflevector(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23)
#define ZIP_HI16(a, b) \
  __builtin_shufflevector(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)

// The same for sixteen tiles.
INLINE void interleave16(int m, const v16 y[4], float *r) {
  if (m == 4) {
    // t0 = y0, y2 alternated (tiles 0 ..< 8), t2 = y1, y3; zipped again: y0..y3 of each tile.
    v16 t0 = ZIP_LO16(y[0], y[2]), t1 = ZIP_HI16(y[0], y[2]);
    v16 t2 = ZIP_LO16(y[1], y[3]), t3 = ZIP_HI16(y[1], y[3]);
    STORE16(r, ZIP_LO16(t0, t2));
    STORE16(r + 16, ZIP_HI16(t0, t2));
    STORE16(r + 32, ZIP_LO16(t1, t3));
    STORE16(r + 48, ZIP_HI16(t1, t3));
  } else {
    STORE16(r, ZIP_LO16(y[0], y[1]));
    STORE16(r + 16, ZIP_HI16(y[0], y[1]));
  }
}

// Aᵀ M A + bias, ReLU for the W tiles t0 ..< t0 + W of tile row `tr` into the staging rows (for
// W = 8 fewer where the row is narrower: zero-padded through `tail`).
#define OUT_TILES(V, W)                                                                         \
  INLINE void out_tiles##W(const float *p, size_t xs, int A, int m, int tiles_x, int tr, int t0, \
                           float bias, float *scratch, int row_floats, float *tail) {           \
    V zero = {0};                                                                               \
    V b = zero + bias;                                                                          \
    const float *src = p + (size_t)tr * tiles_x + t0;                                           \
    int n = tiles_x - t0 < W ? tiles_x - t0 : W;                                                \
    V e[6][4];                                                                                  \
    for (int i = 0; i < A; i++) {                                                               \
      V a[6];                                                                                   \
      for (int j = 0; j < A; j++) {                                                             \
        const float *s = src + (size_t)(A * i + j) * xs;                                        \
        if (n == W) {                                                                           \
          a[j] = LOAD##W(s);                                                                    \
        } else {                                                                                \
          memset(tail, 0, W * sizeof(float));                                                   \
          memcpy(tail, s, (size_t)n * sizeof(float));                                           \
          a[j] = LOAD##W(tail);                                                                 \
        }                                                                                       \
      }                                                                                         \
      OUTPUT_T(V, A, m, a, e[i]);                                                               \
    }                                                                                           \
    V y[4][4];                                                                                  \
    for (int k = 0; k < m; k++) {                                                               \
      V a[6], c[4];                                                                             \
      for (int i = 0; i < A; i++) a[i] = e[i][k];                                               \
      OUTPUT_T(V, A, m, a, c);                                                                  \
      for (int i = 0; i < m; i++) {                                                             \
        V x = c[i] + b;                                                                         \
        y[i][k] = __builtin_elementwise_max(x, zero);                                           \
      }                                                                                         \
    }                                                                                           \
    for (int i = 0; i < m; i++) interleave##W(m, y[i], scratch + (size_t)i * row_floats + m * t0); \
  }
OUT_TILES(v8, 8)
OUT_TILES(v16, 16)

INLINE void output_body(const float *p, size_t xs, int A, int m, int tiles_x, int tile_rows,
                        int y0, float bias, float *out, int oh, int ow, float *scratch, int wide) {
  int row_floats = m * round8(tiles_x);
  float *tail = scratch + (size_t)m * row_floats;
  for (int tr = 0; tr < tile_rows; tr++) {
    int yr = y0 + tr * m;
    if (yr >= oh) break;
    // Sixteen tiles at a time (wide), then eight; the last sixteen or eight overlap the ones
    // before where the row has at least that many (staged twice, alike).
    int t = 0;
    if (wide) {
      for (; t + 16 <= tiles_x; t += 16) {
        out_tiles16(p, xs, A, m, tiles_x, tr, t, bias, scratch, row_floats, tail);
      }
      if (t > 0 && tiles_x - t > 8) {
        out_tiles16(p, xs, A, m, tiles_x, tr, tiles_x - 16, bias, scratch, row_floats,
                    tail);
        t = tiles_x;
      }
    }
    for (; t < tiles_x; t += 8) {
      int t0 = tiles_x >= 8 && t + 8 > tiles_x ? tiles_x - 8 : t;
      out_tiles8(p, xs, A, m, tiles_x, tr, t0, bias, scratch, row_floats, tail);
    }
    for (int i = 0; i < m && yr + i < oh; i++) {
      memcpy(out + (size_t)(yr + i) * ow, scratch + (size_t)i * row_floats, (size_t)ow * sizeof(float));
    }
  }
}

// Each transform built three times from the same source, for AVX-512F (wide), for AVX2 + FMA and
// for the baseline (SSE2), with α and m constants in each: (6, 4) for 3x3 filters, (6, 2) for
// 5x5, (4, 2) for 3x3 on small planes.
#define DISPATCH(BODY, ...)                        \
  if (alpha == 6 && m == 4) {                      \
    BODY(__VA_ARGS__, 6, 4);                       \
  } else if (alpha == 6) {                         \
    BODY(__VA_ARGS__, 6, 2);                       \
  } else {                                         \
    BODY(__VA_ARGS__, 4, 2);                       \
  }
#define INPUT(wide, plane, height, width, pad, tiles_x, ty_begin, ty_end, v, xs, scratch, A, M) \
  input_body(plane, height, width, pad, A, M, tiles_x, ty_begin, ty_end, v, xs, scratch, wide)
#define OUTPUT(wide, p, xs, tiles_x, tile_rows, y0, bias, out, oh, ow, scratch, A, M) \
  output_body(p, xs, A, M, tiles_x, tile_rows, y0, bias, out, oh, ow, scratch, wide)

#define INPUT_BUILD(TARGET, NAME, WIDE)                                                          \
  TARGET static void NAME(const float *plane, int height, int width, int pad, int alpha, int m,  \
                          int tiles_x, int ty_begin, int ty_end, float *v, size_t xs,            \
                          float *scratch) {                                                      \
    DISPATCH(INPUT, WIDE, plane, height, width, pad, tiles_x, ty_begin, ty_end, v, xs, scratch) \
  }
#define OUTPUT_BUILD(TARGET, NAME, WIDE)                                                        \
  TARGET static void NAME(const float *p, size_t xs, int alpha, int m, int tiles_x,             \
                          int tile_rows, int y0, float bias, float *out, int oh, int ow,        \
                          float *scratch) {                                                     \
    DISPATCH(OUTPUT, WIDE, p, xs, tiles_x, tile_rows, y0, bias, out, oh, ow, scratch)           \
  }
HERO_WINOGRAD_BUILDS(INPUT_BUILD, w2d_input)
HERO_WINOGRAD_BUILDS(OUTPUT_BUILD, w2d_output)

int hero_winograd_level_available(int level) {
  switch (level) {
  case HERO_WINOGRAD_BASELINE: return 1;
  case HERO_WINOGRAD_AVX2: return hero_gemm_available();
  case HERO_WINOGRAD_AVX512: return hero_gemm_wide_available();
  default: return 0;
  }
}

int hero_winograd_usable_level(int level) {
  if (level >= HERO_WINOGRAD_AVX512 && hero_gemm_wide_available()) return HERO_WINOGRAD_AVX512;
  if (level >= HERO_WINOGRAD_AVX2 && hero_gemm_available()) return HERO_WINOGRAD_AVX2;
  return HERO_WINOGRAD_BASELINE;
}

static int valid(int alpha, int m) { return (alpha == 6 && (m == 4 || m == 2)) || (alpha == 4 && m == 2); }

void hero_winograd2d_input(const float *plane, int height, int width, int pad, int alpha, int m,
                           int tiles_x, int ty_begin, int ty_end, float *v, size_t xi_stride,
                           float *scratch, int level) {
  if (ty_begin >= ty_end || tiles_x <= 0 || !valid(alpha, m)) return;
  HERO_WINOGRAD_CALL(w2d_input, level, plane, height, width, pad, alpha, m, tiles_x, ty_begin,
                     ty_end, v, xi_stride, scratch);
}

void hero_winograd2d_output(const float *p, size_t xi_stride, int alpha, int m, int tiles_x,
                            int tile_rows, int y0, float bias, float *out, int oh, int ow,
                            float *scratch, int level) {
  if (tile_rows <= 0 || tiles_x <= 0 || !valid(alpha, m)) return;
  HERO_WINOGRAD_CALL(w2d_output, level, p, xi_stride, alpha, m, tiles_x, tile_rows, y0, bias, out,
                     oh, ow, scratch);
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
