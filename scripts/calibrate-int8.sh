#!/usr/bin/env bash
# Regenerates Sources/InceptionKernels/Int8CalibrationTable.swift, the int8 forward pass's input
# ranges (docs/int8.md): the crops of every skill button (slots 1, 2, 3) that `extract` takes
# from the training clips (samples/train, two frames a second, as `make demo` does), run through
# the fp32 network, the largest value each int8 layer reads. Deterministic: the same clips and
# weights give the same file.
#   usage: scripts/calibrate-int8.sh [STATISTIC]   (max, the default, or a percentile: 99.999)
set -euo pipefail
cd "$(dirname "$0")/.."
STATISTIC="${1:-max}"
swift build -c release --product hero-id >&2
BIN="$(swift build -c release --show-bin-path)/hero-id"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$BIN" extract samples/train/*/*.mp4 --out "$WORK/crops" --all-frames --every 0.5 \
  --slots 1,2,3 --json > "$WORK/extract.jsonl"
COUNT="$(find "$WORK/crops" -name '*.jpg' | wc -l | tr -d ' ')"
if [ "$STATISTIC" = max ]; then WHAT="the largest value"; else WHAT="the $STATISTIC percentile of the values"; fi
"$BIN" calibrate "$WORK/crops" --statistic "$STATISTIC" \
  --command "scripts/calibrate-int8.sh $STATISTIC" \
  --source "the $COUNT crops of skill buttons 1, 2 and 3 that 'hero-id extract samples/train/*/*.mp4 --all-frames --every 0.5 --slots 1,2,3' writes; $WHAT each int8 layer reads, in the fp32 forward pass" \
  > "$WORK/table.swift"
mv "$WORK/table.swift" Sources/InceptionKernels/Int8CalibrationTable.swift
echo "calibrate-int8: Sources/InceptionKernels/Int8CalibrationTable.swift ($COUNT crops, $STATISTIC)" >&2
