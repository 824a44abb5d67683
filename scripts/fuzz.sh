#!/usr/bin/env bash
# make fuzz: builds the libFuzzer targets in Tests/Fuzz/ and runs each for FUZZ_SECONDS.
#
# The library modules are compiled here with swiftc (not SwiftPM), instrumented with
# -sanitize=fuzzer,address and optimised with -O (checked arithmetic: a trap is a finding),
# into the scratch folder .build-fuzz/ (gitignored); InceptionKernels too (the product builds it
# -Ounchecked; here it is checked). Each Tests/Fuzz/<target>.swift defines
# LLVMFuzzerTestOneInput and is linked against them. `swift build` never sees these files.
#
#   FUZZ_SECONDS=60 (per target)   FUZZ_TARGETS="layout zip ..." (default: all)
#   FUZZ_BUILD_ONLY=1 (build, do not run)
#   FUZZ_ASAN=0 (no AddressSanitizer: Swift's own checks only, about twice the executions a
#   second; built apart in .build-fuzz/lib-fast)
# Seeds: Tests/Fuzz/corpus/<target>/ (committed). The growing corpus lives in
# .build-fuzz/corpus/<target>/, crashes in .build-fuzz/crashes/<target>/, and each run appends
# `target seconds executions crashes` to .build-fuzz/results.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."
B=.build-fuzz
SECONDS_EACH=${FUZZ_SECONDS:-60}
ALL="layout model zip pickle inception csv index journal"
TARGETS=${FUZZ_TARGETS:-$ALL}
if [[ ${FUZZ_ASAN:-1} == 0 ]]; then
  SANITIZERS=fuzzer
  LIB=$B/lib-fast
  SUFFIX=-fast
else
  SANITIZERS=fuzzer,address
  LIB=$B/lib
  SUFFIX=
fi
mkdir -p "$LIB"

# Module name, then the C module folders it needs (-I), in dependency order.
MODULES=(
  "HeroCore CCrypto"
  "Labeler CCrypto"
  "InceptionKernels CCrypto COpenBLAS CPackedGEMM"
  "Inception CCrypto COpenBLAS CPackedGEMM"
  "Classifier CCrypto COpenBLAS CPackedGEMM"
)
CFLAGS=()
for f in $(pkg-config --cflags openblas libcrypto); do CFLAGS+=(-Xcc "$f"); done
SAN=(-sanitize=$SANITIZERS -O -parse-as-library)

build_module() {
  local name=$1
  shift
  local includes=()
  for c in "$@"; do
    if [[ -d Sources/$c/include ]]; then includes+=(-I "Sources/$c/include"); else includes+=(-I "Sources/$c"); fi
  done
  local sources
  sources=$(find "Sources/$name" -name '*.swift' | sort)
  local stamp="$LIB/$name.stamp"
  # Rebuild when its sources (names and contents) changed since the last build, or a module it
  # may import (one earlier in MODULES) was rebuilt in this run.
  local hash
  # shellcheck disable=SC2086
  hash=$( (echo $sources; cat $sources) | sha1sum | cut -c1-40)
  if [[ -z $REBUILT && -f $stamp && $(cat "$stamp") == "$hash" ]]; then
    return
  fi
  REBUILT=1
  echo "fuzz: building module $name"
  # shellcheck disable=SC2086
  swiftc "${SAN[@]}" -wmo -module-name "$name" -emit-module \
    -emit-module-path "$LIB/$name.swiftmodule" -emit-library -static \
    -o "$LIB/lib$name.a" -I "$LIB" "${includes[@]}" "${CFLAGS[@]}" $sources
  echo "$hash" >"$stamp"
}

# hero-id's C kernels (the packed GEMM, the Winograd transforms), instrumented like the rest.
C_SOURCES=(Sources/CPackedGEMM/*.c)
if [[ ! -f $LIB/libCPackedGEMM.a ]] || [[ -n $(find Sources/CPackedGEMM -newer "$LIB/libCPackedGEMM.a") ]]; then
  echo "fuzz: building CPackedGEMM"
  objects=()
  for c in "${C_SOURCES[@]}"; do
    o="$LIB/$(basename "${c%.c}").o"
    clang -O2 -fsanitize=${SANITIZERS/fuzzer/fuzzer-no-link} -I Sources/CPackedGEMM/include -c "$c" -o "$o"
    objects+=("$o")
  done
  rm -f "$LIB/libCPackedGEMM.a"
  ar rcs "$LIB/libCPackedGEMM.a" "${objects[@]}"
fi

REBUILT=
for m in "${MODULES[@]}"; do
  # shellcheck disable=SC2086
  build_module $m
done

LINK=(-L "$LIB" -lClassifier -lInception -lInceptionKernels -lCPackedGEMM -lLabeler -lHeroCore
  -lcrypto -lopenblas)
for t in $TARGETS; do
  exe="$B/fuzz-$t$SUFFIX"
  if [[ ! -x $exe || Tests/Fuzz/$t.swift -nt $exe || $LIB/Classifier.stamp -nt $exe ]]; then
    echo "fuzz: building target $t"
    swiftc "${SAN[@]}" -I "$LIB" -I Sources/CCrypto -I Sources/COpenBLAS \
      -I Sources/CPackedGEMM/include "${CFLAGS[@]}" \
      "Tests/Fuzz/$t.swift" "${LINK[@]}" -o "$exe" 2> >(grep -v "Cannot export local symbol" >&2)
  fi
done
[[ -n ${FUZZ_BUILD_ONLY:-} ]] && exit 0

status=0
for t in $TARGETS; do
  mkdir -p "$B/corpus/$t" "$B/crashes/$t" "Tests/Fuzz/corpus/$t"
  log="$B/fuzz-$t.log"
  echo "fuzz: running $t for ${SECONDS_EACH}s"
  set +e
  # SWIFT_BACKTRACE off: let libFuzzer's own handler write the crashing input.
  SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
    "$B/fuzz-$t$SUFFIX" \
    -max_total_time="$SECONDS_EACH" -rss_limit_mb=4096 -malloc_limit_mb=2048 -timeout=10 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$B/crashes/$t/" \
    "$B/corpus/$t" "Tests/Fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  crashes=$(find "$B/crashes/$t" -type f | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$SECONDS_EACH" "${execs:-0}" "$rc" "$crashes" "$SANITIZERS" \
    >>"$B/results.tsv"
  echo "fuzz: $t: ${execs:-0} executions, exit $rc, $crashes crash file(s) in $B/crashes/$t"
  if [[ $rc -ne 0 ]]; then
    status=1
    grep -m3 -E "ERROR|Fatal error|SUMMARY" "$log" || true
  fi
done
echo "fuzz: totals per target (all runs so far, from $B/results.tsv):"
awk -F'\t' '{e[$1]+=$3; s[$1]+=$2} END {for (t in e) printf "  %-10s %12d executions in %6d s\n", t, e[t], s[t]}' \
  "$B/results.tsv" | sort
exit $status
