#!/usr/bin/env bash
# bench-train: training the final layer on 14,000 cached bottlenecks for 4,000 steps of batch 100
# (retrain.py's defaults), target <= 10 s on the 2-core machine. The bottlenecks are synthetic
# 2048-d Gaussian clusters generated in memory by `hero-id train`'s hidden --bench-synthetic mode,
# so the figure is the training loop alone (batch gather, two sgemm per step, softmax,
# optimizer update, a validation pass every 100 steps). Prints the best of N runs, each with its
# wall and CPU seconds, and the same for retrain.py's plain SGD.
#   BENCH_RUNS          runs of each (default 3)
#   BENCH_TRAIN_CLASSES classes (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${BENCH_RUNS:-3}
CLASSES=${BENCH_TRAIN_CLASSES:-20}
BIN="$(swift build -c release --show-bin-path)/hero-id"
[ -x "$BIN" ] || swift build -c release --product hero-id

for optimizer in momentum sgd; do
  best=""
  for _ in $(seq "$RUNS"); do
    line=$("$BIN" train --bench-synthetic 14000 --bench-classes "$CLASSES" --steps 4000 \
      --batch-size 100 --optimizer "$optimizer" 2>/dev/null)
    echo "  $line"
    t=$(sed -E 's/.*: ([0-9.]+) s \(CPU.*/\1/' <<<"$line")
    if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$t; fi
  done
  verdict=$(awk -v t="$best" 'BEGIN{print (t <= 10.0) ? "ok" : "over target"}')
  echo "bench-train ($optimizer): best $best s for 4000 steps of batch 100 on 14000 bottlenecks," \
    "$CLASSES classes (target <= 10 s: $verdict)"
done
