#include "int8_gemm.h"

#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

// The dequantization is a multiply then an add, never a fused multiply-add, in every path: the
// paths give the same floats.
#pragma STDC FP_CONTRACT OFF

#define MR HERO_I8_ROWS
// The most bytes of B (k × columns) a block keeps for every panel of A to sweep (in L2).
#define B_BLOCK_BYTES (256 * 1024)

int hero_i8_path_available(int path) {
  __builtin_cpu_init();
  switch (path) {
    case HERO_I8_SCALAR:
      return 1;
    case HERO_I8_AVX2:
      return __builtin_cpu_supports("avx2");
    case HERO_I8_VNNI:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vnni");
    default:
      return 0;
  }
}

static int panels(int m) { return (m + MR - 1) / MR; }

size_t hero_i8_packed_size(int m, int k, int path) {
  // AVX2: each group of 4 bytes of a row widened to 4 int16 (8 bytes).
  return (size_t)panels(m) * MR * (size_t)k * (path == HERO_I8_AVX2 ? 2 : 1);
}

// Layout: panel p, group g (k/4 of them), row r of the panel: scalar and VNNI the 4 bytes
// A[p·MR + r][4g ..< 4g+4] at ((p·G + g)·MR + r)·4; AVX2 the int16 (a0, a2, a1, a3) at
// ((p·G + g)·MR + r)·8 (the pairs `vpmaddwd` multiplies by the even and the odd bytes of B).
// Rows past m are 0.
void hero_i8_pack(const int8_t *a, int m, int k, int lda, int path, void *packed) {
  int groups = k / 4;
  int mp = panels(m);
  for (int p = 0; p < mp; p++) {
    for (int g = 0; g < groups; g++) {
      for (int r = 0; r < MR; r++) {
        int row = p * MR + r;
        int8_t v[4] = {0, 0, 0, 0};
        if (row < m) memcpy(v, a + (size_t)row * lda + 4 * g, 4);
        size_t slot = ((size_t)p * groups + g) * MR + r;
        if (path == HERO_I8_AVX2) {
          int16_t *d = (int16_t *)packed + slot * 4;
          d[0] = v[0];
          d[1] = v[2];
          d[2] = v[1];
          d[3] = v[3];
        } else {
          memcpy((int8_t *)packed + slot * 4, v, 4);
        }
      }
    }
  }
}

static inline float dequantize(int32_t acc, float scale, const float *bias, int i, int relu) {
  float x = (float)acc * scale;
  if (bias) x = x + bias[i];
  if (relu && !(x > 0)) x = 0;
  return x;
}

// The requantized output (see `hero_i8_multiply`): (acc + ibias) · scale, clamped to 0 ... 255,
// rounded half to even, times the consumer's scale.
static inline float requantize(int32_t acc, int32_t ibias, float scale, float out) {
  float x = (float)(acc + ibias) * scale;
  x = x > 0 ? x : 0;
  x = x < 255 ? x : 255;
  return rintf(x) * out;
}

// The portable kernel: a rows×cols block (rows ≤ MR) from one packed panel.
static void kernel_scalar(int groups, const int8_t *a, const uint32_t *b, size_t ldb, float *c,
                          int32_t *c32, size_t ldc, int rows, int cols, const float *scale,
                          const float *bias, int relu, const int32_t *ibias,
                          const float *out) {
  for (int i = 0; i < rows; i++) {
    for (int j = 0; j < cols; j++) {
      int32_t acc = 0;
      for (int g = 0; g < groups; g++) {
        const int8_t *w = a + ((size_t)g * MR + i) * 4;
        uint32_t word = b[(size_t)g * ldb + j];
        for (int t = 0; t < 4; t++) acc += (int32_t)((word >> (8 * t)) & 0xFF) * w[t];
      }
      if (c32)
        c32[(size_t)i * ldc + j] = acc;
      else if (out && out[i] > 0)
        c[(size_t)i * ldc + j] = requantize(acc, ibias[i], scale[i], out[i]);
      else
        c[(size_t)i * ldc + j] = dequantize(acc, scale[i], bias, i, relu);
    }
  }
}

// AVX2: a rows×8 block. B's words are split into their even bytes (0 and 2) and odd bytes (1
// and 3) as int16; `vpmaddwd` by the int16 pairs (a0, a2) and (a1, a3) sums two products of at
// most 255·127 each into int32: exact. `TAIL`: fewer than 8 columns (masked loads).
#define KERNEL_AVX2(NAME, TAIL)                                                                  \
  __attribute__((target("avx2"))) static void NAME(                                             \
      int groups, const int16_t *a, const uint32_t *b, size_t ldb, float *c, int32_t *c32,       \
      size_t ldc, int rows, int cols, const float *scale, const float *bias, int relu,            \
      const int32_t *ibias, const float *out) {                                                   \
    __m256i acc[MR];                                                                              \
    for (int i = 0; i < MR; i++) acc[i] = _mm256_setzero_si256();                                 \
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);                              \
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(cols), lanes);                      \
    const __m256i low = _mm256_set1_epi32(0x00FF00FF);                                            \
    for (int g = 0; g < groups; g++) {                                                            \
      __m256i x = TAIL ? _mm256_maskload_epi32((const int *)b, mask)                              \
                       : _mm256_loadu_si256((const __m256i *)b);                                  \
      __m256i even = _mm256_and_si256(x, low);                                                    \
      __m256i odd = _mm256_srli_epi16(x, 8);                                                      \
      for (int i = 0; i < MR; i++) {                                                              \
        int32_t w02, w13;                                                                         \
        memcpy(&w02, a + 4 * i, 4);                                                               \
        memcpy(&w13, a + 4 * i + 2, 4);                                                           \
        __m256i p = _mm256_madd_epi16(even, _mm256_set1_epi32(w02));                              \
        __m256i q = _mm256_madd_epi16(odd, _mm256_set1_epi32(w13));                               \
        acc[i] = _mm256_add_epi32(acc[i], _mm256_add_epi32(p, q));                                \
      }                                                                                           \
      a += 4 * MR;                                                                                \
      b += ldb;                                                                                   \
    }                                                                                             \
    const __m256 zero = _mm256_setzero_ps();                                                      \
    /* Constant bounds (unrolled): `acc` stays in registers, never an array in memory. */         \
    _Pragma("unroll") for (int i = 0; i < MR; i++) {                                              \
      if (i >= rows) break;                                                                       \
      if (c32) {                                                                                  \
        int32_t *row = c32 + (size_t)i * ldc;                                                     \
        if (TAIL)                                                                                 \
          _mm256_maskstore_epi32((int *)row, mask, acc[i]);                                       \
        else                                                                                      \
          _mm256_storeu_si256((__m256i *)row, acc[i]);                                            \
        continue;                                                                                 \
      }                                                                                           \
      float *row = c + (size_t)i * ldc;                                                           \
      __m256 x;                                                                                   \
      if (out && out[i] > 0) {                                                                    \
        x = _mm256_cvtepi32_ps(_mm256_add_epi32(acc[i], _mm256_set1_epi32(ibias[i])));            \
        x = _mm256_mul_ps(x, _mm256_set1_ps(scale[i]));                                           \
        x = _mm256_min_ps(_mm256_max_ps(x, zero), _mm256_set1_ps(255));                           \
        x = _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);                    \
        x = _mm256_mul_ps(x, _mm256_set1_ps(out[i]));                                             \
      } else {                                                                                    \
        x = _mm256_mul_ps(_mm256_cvtepi32_ps(acc[i]), _mm256_set1_ps(scale[i]));                  \
        if (bias) x = _mm256_add_ps(x, _mm256_set1_ps(bias[i]));                                  \
        if (relu) x = _mm256_max_ps(x, zero);                                                     \
      }                                                                                           \
      if (TAIL)                                                                                   \
        _mm256_maskstore_ps(row, mask, x);                                                        \
      else                                                                                        \
        _mm256_storeu_ps(row, x);                                                                 \
    }                                                                                             \
  }

KERNEL_AVX2(kernel_avx2, 0)
KERNEL_AVX2(kernel_avx2_tail, 1)

// AVX-512 VNNI: a rows×(16·V) block; `vpdpbusd` adds, in each int32 lane, the 4 products of
// B's unsigned bytes by A's signed bytes (each pair's sum fits int16 only after widening, which
// the instruction does: exact). Columns past `cols` are masked off.
#define KERNEL_VNNI(NAME, V)                                                                     \
  __attribute__((target("avx512f,avx512bw,avx512vnni"))) static void NAME(                      \
      int groups, const int8_t *a, const uint32_t *b, size_t ldb, float *c, int32_t *c32,        \
      size_t ldc, int rows, int cols, const float *scale, const float *bias, int relu,            \
      const int32_t *ibias, const float *out) {                                                   \
    __m512i acc[MR][V];                                                                           \
    __mmask16 mask[V];                                                                            \
    for (int v = 0; v < V; v++) {                                                                 \
      int w = cols - 16 * v;                                                                      \
      mask[v] = w >= 16 ? (__mmask16)0xFFFF : (w <= 0 ? 0 : (__mmask16)((1u << w) - 1));          \
      for (int i = 0; i < MR; i++) acc[i][v] = _mm512_setzero_si512();                            \
    }                                                                                             \
    for (int g = 0; g < groups; g++) {                                                            \
      __m512i bv[V];                                                                              \
      for (int v = 0; v < V; v++) bv[v] = _mm512_maskz_loadu_epi32(mask[v], b + 16 * v);          \
      for (int i = 0; i < MR; i++) {                                                              \
        int32_t w;                                                                                \
        memcpy(&w, a + 4 * i, 4);                                                                 \
        __m512i av = _mm512_set1_epi32(w);                                                        \
        for (int v = 0; v < V; v++) acc[i][v] = _mm512_dpbusd_epi32(acc[i][v], bv[v], av);        \
      }                                                                                           \
      a += 4 * MR;                                                                                \
      b += ldb;                                                                                   \
    }                                                                                             \
    const __m512 zero = _mm512_setzero_ps();                                                      \
    /* Constant bounds (unrolled): `acc` stays in registers, never an array in memory. */         \
    _Pragma("unroll") for (int i = 0; i < MR; i++) {                                              \
      if (i >= rows) break;                                                                       \
      _Pragma("unroll") for (int v = 0; v < V; v++) {                                             \
        if (c32) {                                                                                \
          _mm512_mask_storeu_epi32(c32 + (size_t)i * ldc + 16 * v, mask[v], acc[i][v]);           \
          continue;                                                                               \
        }                                                                                         \
        __m512 x;                                                                                 \
        if (out && out[i] > 0) {                                                                  \
          x = _mm512_cvtepi32_ps(_mm512_add_epi32(acc[i][v], _mm512_set1_epi32(ibias[i])));       \
          x = _mm512_mul_ps(x, _mm512_set1_ps(scale[i]));                                         \
          x = _mm512_min_ps(_mm512_max_ps(x, zero), _mm512_set1_ps(255));                         \
          x = _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);             \
          x = _mm512_mul_ps(x, _mm512_set1_ps(out[i]));                                           \
        } else {                                                                                  \
          x = _mm512_mul_ps(_mm512_cvtepi32_ps(acc[i][v]), _mm512_set1_ps(scale[i]));             \
          if (bias) x = _mm512_add_ps(x, _mm512_set1_ps(bias[i]));                                \
          if (relu) x = _mm512_max_ps(x, zero);                                                   \
        }                                                                                         \
        _mm512_mask_storeu_ps(c + (size_t)i * ldc + 16 * v, mask[v], x);                          \
      }                                                                                           \
    }                                                                                             \
  }

KERNEL_VNNI(kernel_vnni_1, 1)
KERNEL_VNNI(kernel_vnni_2, 2)
KERNEL_VNNI(kernel_vnni_3, 3)
KERNEL_VNNI(kernel_vnni_4, 4)

typedef void (*vnni_fn)(int, const int8_t *, const uint32_t *, size_t, float *, int32_t *, size_t,
                        int, int, const float *, const float *, int, const int32_t *,
                        const float *);
static const vnni_fn vnni_kernels[] = {kernel_vnni_1, kernel_vnni_2, kernel_vnni_3,
                                       kernel_vnni_4};

static _Thread_local uint32_t *workspace;
static _Thread_local size_t workspaceCount;

static uint32_t *reserve(size_t count) {
  if (count > workspaceCount) {
    free(workspace);
    void *p = NULL;
    if (posix_memalign(&p, 64, count * sizeof(uint32_t)) != 0) abort();
    workspace = p;
    workspaceCount = count;
  }
  return workspace;
}

// Columns n0 ..< n0+nw of B's `groups` rows as panels of `nr` columns: panel q, row g at
// (q·groups + g)·nr. B is read row by row (one stream for the prefetcher, not one per row), the
// kernels then read each panel front to back. A last partial panel's missing columns are left
// as they are (the kernels mask them off).
static void pack_b(const uint32_t *b, size_t ldb, int groups, int n0, int nw, int nr,
                   uint32_t *d) {
  int full = nw / nr;
  int w = nw - full * nr;
  for (int g = 0; g < groups; g++) {
    const uint32_t *s = b + (size_t)g * ldb + n0;
    for (int q = 0; q < full; q++)
      memcpy(d + ((size_t)q * groups + g) * nr, s + (size_t)q * nr, (size_t)nr * 4);
    if (w > 0) memcpy(d + ((size_t)full * groups + g) * nr, s + (size_t)full * nr, (size_t)w * 4);
  }
}

// A convolution's im2col matrix, never built: `hero_i8_im2col`'s arguments, and which of its
// columns the product starts at.
typedef struct {
  const uint32_t *q;
  int groups, batch, h, w, kh, kw, stride, pad_h, pad_w, first, oy_begin, band, ow;
  int col_begin;
} conv_source;

// Columns n0 ..< n0+nw (of the product: `src->col_begin` added) of the im2col matrix of `src`,
// as `pack_b` packs them: panel p, row r at (p·G + r)·nr, G = kh·kw·groups rows in im2col's
// order (ky, kx, group). Each panel's columns go in runs of one output row of one image; each
// run is a copy (stride 1) or a strided read of an input row, zeros outside the image.
static void pack_conv(const conv_source *src, int n0, int nw, int nr, uint32_t *d) {
  const conv_source s = *src;
  int G = s.kh * s.kw * s.groups;
  size_t plane = (size_t)s.h * s.w;
  int perImage = s.band * s.ow;
  for (int p0 = 0; p0 < nw; p0 += nr) {
    int width = nw - p0 < nr ? nw - p0 : nr;
    uint32_t *panel = d + (size_t)(p0 / nr) * G * nr;
    int j = s.col_begin + n0 + p0;
    int end = j + width;
    int col = 0;
    while (j < end) {
      int image = j / perImage;
      int rem = j - image * perImage;
      int oy = s.oy_begin + rem / s.ow;
      int ox0 = rem % s.ow;
      int len = s.ow - ox0 < end - j ? s.ow - ox0 : end - j;
      for (int ky = 0; ky < s.kh; ky++) {
        int iy = oy * s.stride - s.pad_h + ky;
        for (int kx = 0; kx < s.kw; kx++) {
          // The output columns whose input column lies inside the image, within this run.
          int x0 = (s.pad_w - kx + s.stride - 1) / s.stride;
          if (x0 < 0) x0 = 0;
          int x1 = (s.w + s.pad_w - kx + s.stride - 1) / s.stride;
          if (x1 > s.ow) x1 = s.ow;
          int a = x0 > ox0 ? x0 : ox0;
          int b = x1 < ox0 + len ? x1 : ox0 + len;
          int inside = iy >= 0 && iy < s.h && a < b;
          for (int g = 0; g < s.groups; g++) {
            uint32_t *dst = panel + (size_t)((ky * s.kw + kx) * s.groups + g) * nr + col;
            if (!inside) {
              memset(dst, 0, (size_t)len * 4);
              continue;
            }
            if (a > ox0) memset(dst, 0, (size_t)(a - ox0) * 4);
            if (b < ox0 + len) memset(dst + (b - ox0), 0, (size_t)(ox0 + len - b) * 4);
            const uint32_t *row = s.q + ((size_t)g * s.batch + s.first + image) * plane +
                                  (size_t)iy * s.w - s.pad_w + kx;
            if (s.stride == 1) {
              memcpy(dst + (a - ox0), row + a, (size_t)(b - a) * 4);
            } else {
              for (int ox = a; ox < b; ox++) dst[ox - ox0] = row[ox * s.stride];
            }
          }
        }
      }
      j += len;
      col += len;
    }
  }
}

static void multiply(const void *packed, int m, int k, int row_begin, int row_end,
                     const uint32_t *b, size_t ldb, const conv_source *conv, int n, float *c,
                     int32_t *c32, size_t ldc, const float *scale, const float *bias, int relu,
                     const int32_t *ibias, const float *out_scale, int path);

void hero_i8_multiply(const void *packed, int m, int k, int row_begin, int row_end,
                      const uint32_t *b, size_t ldb, int n, float *c, int32_t *c32, size_t ldc,
                      const float *scale, const float *bias, int relu, const int32_t *ibias,
                      const float *out_scale, int path) {
  multiply(packed, m, k, row_begin, row_end, b, ldb, NULL, n, c, c32, ldc, scale, bias, relu,
           ibias, out_scale, path);
}

void hero_i8_conv(const void *packed, int m, int k, int row_begin, int row_end,
                  const uint32_t *q, int groups, int batch, int h, int w, int kh, int kw,
                  int stride, int pad_h, int pad_w, int first, int oy_begin, int oy_end,
                  int col_begin, int n, float *c, size_t ldc, const float *scale,
                  const float *bias, int relu, const int32_t *ibias, const float *out_scale,
                  int path) {
  conv_source src = {q, groups, batch, h, w, kh, kw, stride, pad_h, pad_w, first, oy_begin,
                     oy_end - oy_begin, (w + 2 * pad_w - kw) / stride + 1, col_begin};
  multiply(packed, m, k, row_begin, row_end, NULL, 0, &src, n, c, NULL, ldc, scale, bias, relu,
           ibias, out_scale, path);
}

static void multiply(const void *packed, int m, int k, int row_begin, int row_end,
                     const uint32_t *b, size_t ldb, const conv_source *conv, int n, float *c,
                     int32_t *c32, size_t ldc, const float *scale, const float *bias, int relu,
                     const int32_t *ibias, const float *out_scale, int path) {
  if (row_end > m) row_end = m;
  if (row_begin >= row_end || n <= 0 || k <= 0) return;
  int groups = k / 4;
  // B in panels of PW columns (packed, or in place); each kernel call takes `kr` of them.
  enum { PW = 64 };
  int kr = path == HERO_I8_VNNI ? 64 : (path == HERO_I8_AVX2 ? 8 : 16);
  int nc = B_BLOCK_BYTES / k / PW * PW;
  if (nc < PW) nc = PW;
  size_t panelBytes = (size_t)groups * MR * 4 * (path == HERO_I8_AVX2 ? 2 : 1);
  // One row panel of A alone gains nothing from packing B (each B element is read once); a
  // convolution's B exists only packed.
  int packB = conv || row_end - row_begin > MR;
  uint32_t *bp =
      packB ? reserve((size_t)groups * (size_t)(nc < n ? nc : (n + PW - 1) / PW * PW)) : NULL;
  for (int n0 = 0; n0 < n; n0 += nc) {
    int nw = n - n0 < nc ? n - n0 : nc;
    if (conv)
      pack_conv(conv, n0, nw, PW, bp);
    else if (packB)
      pack_b(b, ldb, groups, n0, nw, PW, bp);
    for (int p = row_begin / MR; p * MR < row_end; p++) {
      int i0 = p * MR;
      int rows = row_end - i0 < MR ? row_end - i0 : MR;
      const char *ap = (const char *)packed + (size_t)p * panelBytes;
      const float *ps = scale ? scale + i0 : NULL;
      const float *pb = bias ? bias + i0 : NULL;
      const int32_t *pi = ibias ? ibias + i0 : NULL;
      const float *po = out_scale ? out_scale + i0 : NULL;
      for (int q = 0; q * PW < nw; q++) {
        int width = nw - q * PW < PW ? nw - q * PW : PW;
        const uint32_t *panel = packB ? bp + (size_t)q * groups * PW : b + n0 + q * PW;
        size_t lb = packB ? (size_t)PW : ldb;
        for (int s = 0; s < width; s += kr) {
          int cols = width - s < kr ? width - s : kr;
          size_t offset = (size_t)i0 * ldc + n0 + q * PW + s;
          float *cp = c32 ? NULL : c + offset;
          int32_t *cp32 = c32 ? c32 + offset : NULL;
          const uint32_t *bq = panel + s;
          switch (path) {
            case HERO_I8_VNNI:
              vnni_kernels[(cols + 15) / 16 - 1](groups, (const int8_t *)ap, bq, lb, cp, cp32,
                                                 ldc, rows, cols, ps, pb, relu, pi, po);
              break;
            case HERO_I8_AVX2:
              (cols == 8 ? kernel_avx2 : kernel_avx2_tail)(groups, (const int16_t *)ap, bq, lb,
                                                           cp, cp32, ldc, rows, cols, ps, pb,
                                                           relu, pi, po);
              break;
            default:
              kernel_scalar(groups, (const int8_t *)ap, bq, lb, cp, cp32, ldc, rows, cols, ps, pb,
                            relu, pi, po);
          }
        }
      }
    }
  }
}

// One float to its uint8: x / scale clamped to -zero ... 255 - zero (NaN to -zero), rounded
// half to even (the current rounding mode, round to nearest even by default, as cvtps2dq
// rounds), plus the zero point: ONNX Runtime's QuantizeLinear.
static inline uint32_t quantize1(float x, float scale, int zero) {
  float v = x / scale;
  v = v > (float)-zero ? v : (float)-zero;
  v = v < (float)(255 - zero) ? v : (float)(255 - zero);
  return (uint32_t)((int32_t)rintf(v) + zero);
}

static void quantize_scalar(const float *const rows[4], size_t begin, size_t end, float scale,
                            int zero, uint32_t *q) {
  for (size_t e = begin; e < end; e++) {
    uint32_t word = 0;
    for (int t = 0; t < 4; t++)
      if (rows[t]) word |= quantize1(rows[t][e], scale, zero) << (8 * t);
    q[e] = word;
  }
}

__attribute__((target("avx2"))) static size_t quantize_avx2(const float *const rows[4],
                                                             size_t plane, float scale,
                                                             int zp, uint32_t *q) {
  const __m256 s = _mm256_set1_ps(scale);
  const __m256 zero = _mm256_set1_ps((float)-zp);
  const __m256 top = _mm256_set1_ps((float)(255 - zp));
  const __m256i add = _mm256_set1_epi32(zp);
  size_t e = 0;
  for (; e + 8 <= plane; e += 8) {
    __m256i word = _mm256_setzero_si256();
    for (int t = 0; t < 4; t++) {
      if (!rows[t]) continue;
      __m256 v = _mm256_div_ps(_mm256_loadu_ps(rows[t] + e), s);
      v = _mm256_min_ps(_mm256_max_ps(v, zero), top);  // max(NaN, -zp) is -zp
      __m256i b = _mm256_add_epi32(_mm256_cvtps_epi32(v), add);
      word = _mm256_or_si256(word, _mm256_slli_epi32(b, 8 * t));
    }
    _mm256_storeu_si256((__m256i *)(q + e), word);
  }
  return e;
}

__attribute__((target("avx512f"))) static size_t quantize_avx512(const float *const rows[4],
                                                                  size_t plane, float scale,
                                                                  int zp, uint32_t *q) {
  const __m512 s = _mm512_set1_ps(scale);
  const __m512 zero = _mm512_set1_ps((float)-zp);
  const __m512 top = _mm512_set1_ps((float)(255 - zp));
  const __m512i add = _mm512_set1_epi32(zp);
  size_t e = 0;
  for (; e + 16 <= plane; e += 16) {
    __m512i word = _mm512_setzero_si512();
    for (int t = 0; t < 4; t++) {
      if (!rows[t]) continue;
      __m512 v = _mm512_div_ps(_mm512_loadu_ps(rows[t] + e), s);
      v = _mm512_min_ps(_mm512_max_ps(v, zero), top);  // max(NaN, -zp) is -zp
      __m512i b = _mm512_add_epi32(_mm512_cvtps_epi32(v), add);
      word = _mm512_or_si512(word, _mm512_slli_epi32(b, 8 * t));
    }
    _mm512_storeu_si512(q + e, word);
  }
  return e;
}

void hero_i8_quantize(const float *x, int channels, size_t plane, float scale, int zero_point,
                      int group_begin, int group_end, uint32_t *q, int path) {
  for (int g = group_begin; g < group_end; g++) {
    const float *rows[4];
    for (int t = 0; t < 4; t++) {
      int ch = 4 * g + t;
      rows[t] = ch < channels ? x + (size_t)ch * plane : NULL;
    }
    uint32_t *dst = q + (size_t)g * plane;
    size_t done = 0;
    if (path == HERO_I8_VNNI)
      done = quantize_avx512(rows, plane, scale, zero_point, dst);
    else if (path == HERO_I8_AVX2)
      done = quantize_avx2(rows, plane, scale, zero_point, dst);
    quantize_scalar(rows, done, plane, scale, zero_point, dst);
  }
}

// One row of weights: its scale (the largest |w|, NaN left out, over 127; 1 for none above 0)
// and `clamp(round_half_to_even(w / scale), -127, 127)` (NaN: 0), as Int8Quantization's
// scalar definition. Plain C: `nearbyintf` rounds half to even in the default rounding mode.
static float quantize_row_scalar(const float *w, int cols, int8_t *q) {
  float m = 0;
  for (int i = 0; i < cols; i++) {
    float a = fabsf(w[i]);
    m = a > m ? a : m;  // NaN > m is false: left out
  }
  float s = m > 0 ? m / 127 : 1;
  for (int i = 0; i < cols; i++) {
    float v = nearbyintf(w[i] / s);
    if (v != v) v = 0;
    v = v < 127 ? v : 127;
    v = v > -127 ? v : -127;
    q[i] = (int8_t)v;
  }
  return s;
}

// The same, 16 at a time: `vmaxps` returns its second operand when either is NaN (so a NaN
// weight leaves the maximum as it was), `vdivps` and `vrndscaleps` round as the scalar
// operations do.
__attribute__((target("avx512f,avx512bw"))) static float quantize_row_avx512(const float *w,
                                                                              int cols,
                                                                              int8_t *q) {
  __m512 m = _mm512_setzero_ps();
  int i = 0;
  for (; i + 16 <= cols; i += 16) m = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(w + i)), m);
  if (i < cols) {
    __mmask16 tail = (__mmask16)((1u << (cols - i)) - 1);
    m = _mm512_max_ps(_mm512_abs_ps(_mm512_maskz_loadu_ps(tail, w + i)), m);
  }
  float top = _mm512_reduce_max_ps(m);
  float s = top > 0 ? top / 127 : 1;
  const __m512 sv = _mm512_set1_ps(s);
  const __m512 hi = _mm512_set1_ps(127), lo = _mm512_set1_ps(-127);
  for (i = 0; i < cols; i += 16) {
    __mmask16 k = cols - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (cols - i)) - 1);
    __m512 v = _mm512_div_ps(_mm512_maskz_loadu_ps(k, w + i), sv);
    v = _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    v = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, v, _CMP_ORD_Q), v);  // NaN: 0
    v = _mm512_max_ps(_mm512_min_ps(v, hi), lo);
    _mm512_mask_cvtsepi32_storeu_epi8(q + i, k, _mm512_cvtps_epi32(v));
  }
  return s;
}

void hero_i8_quantize_weights(const float *w, int rows, int cols, int8_t *q, float *scales,
                              int path) {
  int wide = path == HERO_I8_VNNI && hero_i8_path_available(HERO_I8_VNNI);
  for (int r = 0; r < rows; r++) {
    const float *row = w + (size_t)r * cols;
    int8_t *out = q + (size_t)r * cols;
    scales[r] = wide ? quantize_row_avx512(row, cols, out) : quantize_row_scalar(row, cols, out);
  }
}

void hero_i8_im2col(const uint32_t *q, int groups, int batch, int h, int w, int kh, int kw,
                    int stride, int pad_h, int pad_w, int first, int count, int row_begin,
                    int row_end, int group_begin, int group_end, uint32_t *columns) {
  int ow = (w + 2 * pad_w - kw) / stride + 1;
  size_t ohw = (size_t)(row_end - row_begin) * ow;
  size_t rowLength = (size_t)count * ohw;
  size_t plane = (size_t)h * w;
  for (int ky = 0; ky < kh; ky++) {
    for (int kx = 0; kx < kw; kx++) {
      // Output columns whose input column lies inside the image.
      int x0 = (pad_w - kx + stride - 1) / stride;
      if (x0 < 0) x0 = 0;
      int x1 = (w + pad_w - kx + stride - 1) / stride;
      if (x1 > ow) x1 = ow;
      for (int g = group_begin; g < group_end; g++) {
        size_t r = (size_t)(ky * kw + kx) * groups + g;
        for (int j = 0; j < count; j++) {
          const uint32_t *src = q + ((size_t)g * batch + first + j) * plane;
          uint32_t *dstImage = columns + r * rowLength + (size_t)j * ohw;
          for (int oy = row_begin; oy < row_end; oy++) {
            uint32_t *dst = dstImage + (size_t)(oy - row_begin) * ow;
            int iy = oy * stride - pad_h + ky;
            if (iy < 0 || iy >= h || x0 >= x1) {
              memset(dst, 0, (size_t)ow * 4);
              continue;
            }
            if (x0 > 0) memset(dst, 0, (size_t)x0 * 4);
            if (x1 < ow) memset(dst + x1, 0, (size_t)(ow - x1) * 4);
            const uint32_t *srcRow = src + (size_t)iy * w - pad_w + kx;
            if (stride == 1) {
              memcpy(dst + x0, srcRow + x0, (size_t)(x1 - x0) * 4);
            } else {
              for (int ox = x0; ox < x1; ox++) dst[ox] = srcRow[ox * stride];
            }
          }
        }
      }
    }
  }
}

// One output of the pool, as ONNX Runtime computes it: the window's values dequantized
// (`scale · q`) and summed in float row by row, divided by the count, divided by the scale,
// rounded half to even.
static uint32_t average_pool_pixel(const uint32_t *src, int h, int w, int y, int x, float scale,
                                   const float *table) {
  int y0 = y > 0 ? y - 1 : 0, y1 = y + 2 < h ? y + 2 : h;
  int x0 = x > 0 ? x - 1 : 0, x1 = x + 2 < w ? x + 2 : w;
  float sum[4] = {0, 0, 0, 0};
  for (int yy = y0; yy < y1; yy++)
    for (int xx = x0; xx < x1; xx++) {
      uint32_t word = src[(size_t)yy * w + xx];
      for (int t = 0; t < 4; t++) sum[t] = sum[t] + table[(word >> (8 * t)) & 0xFF];
    }
  float count = (float)((y1 - y0) * (x1 - x0));
  uint32_t word = 0;
  for (int t = 0; t < 4; t++) word |= quantize1(sum[t] / count, scale, 0) << (8 * t);
  return word;
}

// round(s / 9) for a window sum s <= 9 · 255 (no ties: s / 9 is never an odd multiple of 1/2).
static inline uint32_t div9(uint32_t s) { return (2 * s + 9) / 18; }

// The pool of one plane of 4 byte lanes. An inner output (a full 3x3 window) has the exact
// integer answer round(Σq / 9): Σq / 9 lies at least 1/18 from a half, far beyond the float
// sum's rounding (under 10^-3 at 9 · 255), so the float computation rounds the same way. Those
// are summed in integers, two bytes per 32-bit lane (each field at most 2295, no carry), rows
// first, in loops the compiler vectorizes on the path's width. The border outputs (windows of 4
// or 6, where a sum can fall exactly on a half and the float rounding decides) are computed as
// ONNX Runtime computes them.
#define AVERAGE_POOL_PLANE(NAME, TARGET)                                                        \
  TARGET static void NAME(const uint32_t *src, int h, int w, float scale, const float *table,  \
                          uint32_t *ve, uint32_t *vo, uint32_t *dst) {                          \
    const uint32_t m = 0x00FF00FF;                                                              \
    for (int y = 1; y + 1 < h; y++) {                                                           \
      const uint32_t *r0 = src + (size_t)(y - 1) * w;                                           \
      const uint32_t *r1 = r0 + w;                                                              \
      const uint32_t *r2 = r1 + w;                                                              \
      for (int x = 0; x < w; x++) {                                                             \
        ve[x] = (r0[x] & m) + (r1[x] & m) + (r2[x] & m);                                        \
        vo[x] = ((r0[x] >> 8) & m) + ((r1[x] >> 8) & m) + ((r2[x] >> 8) & m);                   \
      }                                                                                         \
      uint32_t *d = dst + (size_t)y * w;                                                        \
      for (int x = 1; x + 1 < w; x++) {                                                         \
        uint32_t se = ve[x - 1] + ve[x] + ve[x + 1];                                            \
        uint32_t so = vo[x - 1] + vo[x] + vo[x + 1];                                            \
        d[x] = div9(se & 0xFFFF) | div9(so & 0xFFFF) << 8 | div9(se >> 16) << 16 |              \
               div9(so >> 16) << 24;                                                            \
      }                                                                                         \
    }                                                                                           \
    for (int y = 0; y < h; y++) {                                                               \
      int step = y == 0 || y == h - 1 ? 1 : (w > 1 ? w - 1 : 1);                                \
      for (int x = 0; x < w; x += step)                                                         \
        dst[(size_t)y * w + x] = average_pool_pixel(src, h, w, y, x, scale, table);             \
    }                                                                                           \
  }

AVERAGE_POOL_PLANE(average_pool_plane, )
AVERAGE_POOL_PLANE(average_pool_plane_avx2, __attribute__((target("avx2"))))
AVERAGE_POOL_PLANE(average_pool_plane_avx512, __attribute__((target("avx512f,avx512bw"))))

void hero_i8_average_pool(const uint32_t *q, int batch, int h, int w, float scale,
                          int group_begin, int group_end, uint32_t *out, int path) {
  size_t plane = (size_t)h * w;
  float table[256];
  for (int v = 0; v < 256; v++) table[v] = scale * (float)v;
  uint32_t *scratch = malloc(sizeof(uint32_t) * 2 * (size_t)(w > 0 ? w : 1));
  if (!scratch) abort();
  for (int g = group_begin; g < group_end; g++) {
    for (int j = 0; j < batch; j++) {
      const uint32_t *src = q + ((size_t)g * batch + j) * plane;
      uint32_t *dst = out + ((size_t)g * batch + j) * plane;
      if (path == HERO_I8_VNNI)
        average_pool_plane_avx512(src, h, w, scale, table, scratch, scratch + w, dst);
      else if (path == HERO_I8_AVX2)
        average_pool_plane_avx2(src, h, w, scale, table, scratch, scratch + w, dst);
      else
        average_pool_plane(src, h, w, scale, table, scratch, scratch + w, dst);
    }
  }
  free(scratch);
}
