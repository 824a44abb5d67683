// The input and output transforms of the 2D Winograd convolutions F(m×m, r×r) with α×α tiles
// (α = m + r − 1): F(4x4, 3x3) for the 3x3 layers (α 6, m 4), F(2x2, 5x5) for the 5x5 layers
// (α 6, m 2), both at the points 0, ±1, ±2, ∞ and so with the same Bᵀ; and F(2x2, 3x3) for
// 3x3 layers on small planes (α 4, m 2, the points 0, ±1, ∞).
//
//     Bᵀ (α 6) = [4  0 -5  0  1  0]   Aᵀ (α 6, m 4) = [1  1  1  1  1  0]   Aᵀ (α 6, m 2) = [1  1  1  1  1  0]
//                [0 -4 -4  1  1  0]                   [0  1 -1  2 -2  0]                   [0  1 -1  2 -2  1]
//                [0  4 -4 -1  1  0]                   [0  1  1  4  4  0]
//                [0 -2 -1  2  1  0]                   [0  1 -1  8 -8  1]
//                [0  2 -1 -2  1  0]
//                [0  4  0 -5  0  1]
//
//     Bᵀ (α 4) = [1  0 -1  0]          Aᵀ (α 4, m 2) = [1  1  1  0]
//                [0  1  1  0]                          [0  1 -1  1]
//                [0 -1  1  0]
//                [0 -1  0  1]
//
// Eight tiles at a time in vectors of 8 floats, or sixteen in vectors of 16 (AVX-512) while
// sixteen are left, in the build the `level` argument names (`winograd.h`). Transform point
// ξ = α·i + j: row i, column j of the transformed tile. (α, m) must be (6, 4), (6, 2) or
// (4, 2); anything else writes nothing.
#ifndef HERO_WINOGRAD2D_H
#define HERO_WINOGRAD2D_H

#include <stddef.h>

#include "winograd.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Floats of scratch `hero_winograd2d_input` needs for `tile_rows` tile rows of a plane `width`
/// wide, α×α tiles `m` apart.
size_t hero_winograd2d_input_scratch(int width, int alpha, int m, int tile_rows);

/// V[ξ][t] = (Bᵀ d B)[ξ] for the tiles of the tile rows `ty_begin ..< ty_end` of one
/// `height`×`width` plane (row-major), α×α tiles `m` apart, the plane padded by `pad` zeros on
/// every side: tile (ty, tx) reads rows ty·m − pad ..< ty·m − pad + α and columns
/// tx·m − pad ..< tx·m − pad + α. Tile t = (ty − ty_begin)·tiles_x + tx goes to
/// `v[ξ·xi_stride + t]`. `scratch`: `hero_winograd2d_input_scratch(width, alpha, m,
/// ty_end − ty_begin)` floats. `level`: the build, HERO_WINOGRAD_BASELINE, _AVX2 or _AVX512
/// (the best below it that the CPU runs where it lacks that one).
void hero_winograd2d_input(const float *plane, int height, int width, int pad, int alpha, int m,
                           int tiles_x, int ty_begin, int ty_end, float *v, size_t xi_stride,
                           float *scratch, int level);

/// Floats of scratch `hero_winograd2d_output` needs for rows of `tiles_x` tiles.
size_t hero_winograd2d_output_scratch(int m, int tiles_x);

/// The output transform of `tile_rows` rows of `tiles_x` tiles of one output channel:
/// Y = Aᵀ M A + bias, negatives set to 0, where M[ξ] of tile t is `p[ξ·xi_stride + t]`. Tile
/// (r, tx) is written at rows y0 + r·m ..< y0 + r·m + m, columns tx·m ..< tx·m + m of the
/// `oh`×`ow` plane `out`, what falls outside the plane dropped. `scratch`:
/// `hero_winograd2d_output_scratch(m, tiles_x)` floats. `level` as for the input transform.
void hero_winograd2d_output(const float *p, size_t xi_stride, int alpha, int m, int tiles_x,
                            int tile_rows, int y0, float bias, float *out, int oh, int ow,
                            float *scratch, int level);

/// Copies `rows` rows of `n` floats from `src` (rows `src_stride` apart) to `dst` (rows
/// `dst_stride` apart) with non-temporal stores where `dst`'s rows are 16-byte aligned (whole
/// 64-byte lines for speed: partial ones are read back by the memory controller). The lines go
/// to memory without being read first, and copies in other cores' caches are dropped without a
/// wait per line: for rows that another core has read since they were last written, where
/// ordinary stores wait for each line's copy elsewhere to be invalidated, one line at a time.
void hero_stream_rows(float *dst, size_t dst_stride, const float *src, size_t src_stride,
                      int rows, int n);

#ifdef __cplusplus
}
#endif

#endif
