// hero-id's int8 GEMM: uint8 activations times int8 weights, summed exactly in int32, then
// dequantized (`acc · scale[i] + bias[i]`, ReLU) into float32. Three paths give the same int32
// sums (integers: exact) and so the same floats: AVX-512 VNNI (`vpdpbusd`), AVX2 (`vpmaddwd` on
// the bytes widened to int16: exact, where `vpmaddubsw` would saturate at int16), and portable C.
//
// The activation matrix B (k×n) is stored in k-groups of 4: row g (g = 0 ..< k/4) holds, for
// each column j, the 4 bytes B[4g ..< 4g+4][j] as one 32-bit word; rows `ldb` words apart. The
// weight matrix A (m×k, k a multiple of 4) is packed once into panels of HERO_I8_ROWS rows.
#ifndef HERO_INT8_GEMM_H
#define HERO_INT8_GEMM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Rows of A per panel: a row split must start at a multiple of it.
#define HERO_I8_ROWS 6

/// The paths.
#define HERO_I8_SCALAR 0
#define HERO_I8_AVX2 1
#define HERO_I8_VNNI 2

/// 1 when this CPU runs the path (scalar: always), else 0.
int hero_i8_path_available(int path);

/// The bytes `hero_i8_pack` writes for an m×k matrix on `path` (k a multiple of 4).
size_t hero_i8_packed_size(int m, int k, int path);

/// Packs the row-major m×k int8 matrix `a` (rows `lda` apart, k a multiple of 4) for `path`.
void hero_i8_pack(const int8_t *a, int m, int k, int lda, int path, void *packed);

/// For the rows `row_begin ..< row_end` of A (packed m×k; `row_begin` a multiple of
/// HERO_I8_ROWS) and the n columns of B (k-grouped, see above; its first word of row g at
/// `b + g·ldb`): acc[i][j] = Σ_l A[i][l]·B[l][j] in int32. With `c32`, acc is stored there
/// (rows `ldc` apart); else c[i][j] = acc · scale[i] (+ bias[i] with `bias`; with `relu`,
/// negatives become 0), as a float multiply then a float add (no fused multiply-add). With
/// `out_scale` (and `ibias`), the rows i where out_scale[i] > 0 are requantized instead, as ONNX
/// Runtime's fused integer convolution does for the next layer's uint8 input:
/// c[i][j] = round_half_to_even(clamp(float(acc + ibias[i]) · scale[i], 0, 255)) · out_scale[i]
/// (`scale` is then input scale · weight scale / output scale). `c` and `c32` point at row 0.
/// Reads up to 63 words past column n-1 of each row of B (the caller leaves that much room
/// after B; what is there does not change the result).
void hero_i8_multiply(const void *packed, int m, int k, int row_begin, int row_end,
                      const uint32_t *b, size_t ldb, int n, float *c, int32_t *c32, size_t ldc,
                      const float *scale, const float *bias, int relu, const int32_t *ibias,
                      const float *out_scale, int path);

/// The 3x3, stride 1, padding 1 average pool (padding not counted) of uint8 values in
/// k-grouped words (`q` as for `hero_i8_im2col`; `out` the same layout), as ONNX Runtime's
/// `QLinearAveragePool` computes it with equal input and output scales: each value dequantized
/// (`scale · q`), summed in float row by row, divided by the count, divided by `scale`,
/// clamped to 0 ... 255 and rounded half to even. Only the groups `group_begin ..< group_end`;
/// the same bytes on every path (vectorized on the path's width).
void hero_i8_average_pool(const uint32_t *q, int batch, int h, int w, float scale,
                          int group_begin, int group_end, uint32_t *out, int path);

/// Quantizes `channels` planes of `plane` floats (`x`, planes `plane` apart) to uint8 in
/// k-groups of 4 channels: channel ch, element e goes to byte (ch % 4) of word
/// `q[(ch / 4)·plane + e]`; `qx = clamp(round_half_to_even(x / scale), −zero_point,
/// 255 − zero_point) + zero_point` (NaN: 0), as ONNX Runtime's QuantizeLinear.
/// Only the groups `group_begin ..< group_end` (of ceil(channels / 4)); the bytes of channels
/// past `channels` in the last group are 0.
void hero_i8_quantize(const float *x, int channels, size_t plane, float scale, int zero_point,
                      int group_begin, int group_end, uint32_t *q, int path);

/// Quantizes the row-major `rows`×`cols` float matrix `w` per row (the shared int8 scheme's
/// weights, docs/int8.md): `scales[r]` = the row's largest |w| (NaN left out) / 127, 1 for a
/// row with none above 0; `q = clamp(round_half_to_even(w / scales[r]), -127, 127)`, NaN 0.
/// The same bytes and scales on every path (`HERO_I8_VNNI` runs the AVX-512 form).
void hero_i8_quantize_weights(const float *w, int rows, int cols, int8_t *q, float *scales,
                              int path);

/// `hero_i8_multiply` of rows `row_begin ..< row_end` of A by the columns `col_begin ..<
/// col_begin+n` of the matrix `hero_i8_im2col` would write for images `first ..< first+count`
/// and output rows `oy_begin ..< oy_end` of `q` (k = kh·kw·groups·4), without writing it: each
/// block of B is packed from `q` directly. The same sums, so the same floats; `c` points at
/// row 0, column `col_begin`.
void hero_i8_conv(const void *packed, int m, int k, int row_begin, int row_end,
                  const uint32_t *q, int groups, int batch, int h, int w, int kh, int kw,
                  int stride, int pad_h, int pad_w, int first, int oy_begin, int oy_end,
                  int col_begin, int n, float *c, size_t ldc, const float *scale,
                  const float *bias, int relu, const int32_t *ibias, const float *out_scale,
                  int path);

/// im2col on k-grouped words: `q` holds `groups` groups of `batch` planes of h×w words (group
/// g, image j at `q + (g·batch + j)·h·w`); writes, for images `first ..< first+count` and the
/// output rows `row_begin ..< row_end` (a band of rb = row_end − row_begin rows), the row
/// `(ky·kw + kx)·groups + g`, column `j·rb·ow + (oy − row_begin)·ow + ox` of `columns` (rows
/// `count·rb·ow` words apart): q(g, first+j, oy·stride − padH + ky, ox·stride − padW + kx), 0
/// outside the image. Only the groups `group_begin ..< group_end`.
void hero_i8_im2col(const uint32_t *q, int groups, int batch, int h, int w, int kh, int kw,
                    int stride, int pad_h, int pad_w, int first, int count, int row_begin,
                    int row_end, int group_begin, int group_end, uint32_t *columns);

#ifdef __cplusplus
}
#endif

#endif
