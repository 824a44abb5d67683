// The three builds of a Winograd transform (winograd.h), shared by winograd1d.c and
// winograd2d.c: BUILD(TARGET, NAME, WIDE) defines one from a common source, and
// HERO_WINOGRAD_BUILDS makes the AVX-512F, the AVX2 + FMA and the baseline (SSE2) one;
// HERO_WINOGRAD_CALL runs the one a `level` asks for, or the best below it that the CPU has.
#ifndef HERO_WINOGRAD_BUILDS_H
#define HERO_WINOGRAD_BUILDS_H

#include "winograd.h"

#define HERO_TARGET_AVX512 __attribute__((target("avx512f,avx2,fma")))
#define HERO_TARGET_AVX2 __attribute__((target("avx2,fma")))

#define HERO_WINOGRAD_BUILDS(BUILD, PREFIX)  \
  BUILD(HERO_TARGET_AVX512, PREFIX##_avx512, 1) \
  BUILD(HERO_TARGET_AVX2, PREFIX##_avx2, 0)     \
  BUILD(, PREFIX##_base, 0)

#define HERO_WINOGRAD_CALL(PREFIX, LEVEL, ...)            \
  do {                                                     \
    switch (hero_winograd_usable_level(LEVEL)) {           \
    case HERO_WINOGRAD_AVX512: PREFIX##_avx512(__VA_ARGS__); break; \
    case HERO_WINOGRAD_AVX2: PREFIX##_avx2(__VA_ARGS__); break;     \
    default: PREFIX##_base(__VA_ARGS__);                   \
    }                                                      \
  } while (0)

#endif
