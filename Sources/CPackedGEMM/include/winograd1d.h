// The input and output transforms of the 1D Winograd convolutions F(m, r) (the 1x7 and 7x1
// layers, F(4, 7) with α = 10): sums of whole rows, eight columns at a time, or sixteen
// (AVX-512) while sixteen are left, in the build the `level` argument names (`winograd.h`). The
// matrices come from the caller (`WinogradMatrices`, in single precision).
#ifndef HERO_WINOGRAD1D_H
#define HERO_WINOGRAD1D_H

#include <stddef.h>

#include "winograd.h"

#ifdef __cplusplus
extern "C" {
#endif

/// dst[x·xi_stride + k] = Σ_i bt[x·alpha + i] · rows[i][k] for x < alpha, k < length: the input
/// transform of `length` tiles side by side, `rows` the alpha input rows (each `length` floats).
/// alpha is at most 16. `level`: the build, HERO_WINOGRAD_BASELINE, _AVX2 or _AVX512 (the best
/// below it that the CPU runs where it lacks that one).
void hero_winograd1d_input(const float *const *rows, const float *bt, int alpha, int length,
                           float *dst, size_t xi_stride, int level);

/// out[i·out_i + k·out_k] = max(0, bias + Σ_x at[i·alpha + x] · p[x·xi_stride + k]) for
/// i < outputs, k < length: the output transform of `length` tiles side by side, `outputs` of
/// their m outputs kept (fewer at the plane's edge). alpha is at most 16. `level` as above.
void hero_winograd1d_output(const float *p, size_t xi_stride, const float *at, int alpha,
                            int outputs, int length, float bias, float *out, size_t out_i,
                            size_t out_k, int level);

#ifdef __cplusplus
}
#endif

#endif
