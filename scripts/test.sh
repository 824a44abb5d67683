#!/usr/bin/env bash
# `make test`: the whole suite, then the numeric suites again once for every OpenBLAS kernel
# ("core type") this CPU can run, each in its own process with OPENBLAS_CORETYPE set, so that
# a tolerance that holds for one kernel only fails on the developer's machine first. Every
# suite also runs hero-id's own kernel paths the CPU has (the packed GEMM, every build of the
# Winograd transforms, and the OpenBLAS-only, baseline-transform fallback) in the same process.
#
# Each rounding comparison prints a line `rounding: <test>: worst diff/bound ...`; the summary
# at the end gives the largest per test over every kernel (docs/numerics.md).
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
SCRATCH=(-c release --scratch-path .build-test)
LOGDIR=$(mktemp -d)
trap 'rm -rf "$LOGDIR"' EXIT

"$SWIFT" test "${SCRATCH[@]}" 2>&1 | tee "$LOGDIR/all.log"  # pipefail: a failure stops here

# The OpenBLAS kernels of Debian's DYNAMIC_ARCH build whose instructions this CPU has: one per
# family of sgemm kernels (SSE3, SSE4.2, AVX, AVX2 twice with their own blocking, AVX-512,
# AVX-512 with BF16).
flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
has() { for f in "$@"; do [[ "$flags" == *" $f "* ]] || return 1; done; }
cores=()
has pni && cores+=(Prescott)
has sse4_2 && cores+=(Nehalem)
has avx && cores+=(Sandybridge)
has avx2 fma && cores+=(Haswell Zen)
has avx512f avx512cd avx512bw avx512dq avx512vl && cores+=(SkylakeX)
has avx512f avx512cd avx512bw avx512dq avx512vl avx512_bf16 && cores+=(Cooperlake)

suites='InceptionTests\.(PackedGEMMTests|KernelTests|InceptionGoldenTests|OpenBLASKernelTests)'
echo "test: the numeric suites with each OpenBLAS kernel this CPU runs: ${cores[*]}"
# Each kernel twice: with hero-id's packed GEMM where the CPU has it (its AVX-512 kernel where the
# CPU has AVX-512), and with every product on OpenBLAS (HERO_ID_GEMM=openblas, what a CPU without
# AVX2 and FMA runs).
# On an AVX-512 CPU the packed GEMM and the Winograd transforms run their AVX-512 kernels; once
# more (with the best OpenBLAS kernel) their AVX2 ones (HERO_ID_GEMM=avx2, what an AVX2-only CPU
# runs).
failed=()
for core in "${cores[@]}"; do
  gemms=(hero-id openblas)
  if [ "$core" = "${cores[-1]}" ] && has avx512f avx2 fma; then gemms+=(avx2); fi
  for gemm in "${gemms[@]}"; do
    run="$core-$gemm"
    echo "test: OPENBLAS_CORETYPE=$core, GEMM: $gemm"
    if ! env OPENBLAS_CORETYPE="$core" HERO_ID_EXPECT_CORE="$core" \
        HERO_ID_GEMM="$([ "$gemm" != hero-id ] && echo "$gemm")" \
        "$SWIFT" test "${SCRATCH[@]}" --skip-build --filter "$suites" >"$LOGDIR/$run.log" 2>&1; then
      failed+=("$run")
      grep -E '✘|error|recorded an issue' "$LOGDIR/$run.log" | head -40 || true
    fi
    grep -E 'Test run with' "$LOGDIR/$run.log" | tail -n 1
  done
done

echo "test: the largest diff/bound and relative error per comparison, over $(printf '%s ' default "${cores[@]}")"
cat "$LOGDIR"/*.log | sed -n 's/^rounding: //p' | awk -F': ' '
  { name = $1; split($2, parts, ", ")
    ratio = parts[1]; sub(/.* /, "", ratio); rel = parts[2]; sub(/.* /, "", rel)
    if (!(name in r) || ratio + 0 > r[name] + 0) r[name] = ratio
    if (!(name in e) || rel + 0 > e[name] + 0) e[name] = rel }
  END { for (n in r) printf "  %-58s diff/bound %-9s relative error %s\n", n, r[n], e[n] }' | sort

if [ ${#failed[@]} -gt 0 ]; then
  echo "test: the numeric suites failed with (kernel-GEMM) ${failed[*]}"
  exit 1
fi
