// The builds of the Winograd transforms (`winograd2d.h`, `winograd1d.h`): each transform is
// compiled from one source for the baseline (SSE2, eight floats a vector in two halves), for
// AVX2 + FMA (eight floats a vector) and for AVX-512F (sixteen tiles or columns a vector where
// there are that many, eight for the rest), chosen at run time by the `level` argument. The
// AVX2 and AVX-512 builds give the same floats (each lane's operations, and their FMA
// contraction, are the same); the baseline rounds the products that the others fuse.
#ifndef HERO_WINOGRAD_H
#define HERO_WINOGRAD_H

#ifdef __cplusplus
extern "C" {
#endif

#define HERO_WINOGRAD_BASELINE 0
#define HERO_WINOGRAD_AVX2 1
#define HERO_WINOGRAD_AVX512 2

/// Whether this CPU runs `level`: the baseline always, AVX2 with AVX2 and FMA
/// (hero_gemm_available()), AVX-512 with AVX-512F besides (hero_gemm_wide_available()). A
/// transform asked for a level the CPU lacks runs the best one below it that it has.
int hero_winograd_level_available(int level);

/// `level` if this CPU runs it, else the best level below it that it runs.
int hero_winograd_usable_level(int level);

#ifdef __cplusplus
}
#endif

#endif
