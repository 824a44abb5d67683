#!/usr/bin/env bash
# Scaling figure for docs/scale-out.md: videos/min of pipelines/ray/hero_ray.py extract with
# 1, 2 and 3 one-CPU worker nodes on this machine, against single-machine `hero-id batch
# extract --jobs 1` and with the default jobs, all over the same tree in one run.
#
#   pipelines/ray/bench-ray.sh [TREE]      (default: samples/train and samples/test together)
#
# Each Ray run is a fresh job (new work folder) with 12 shards on a fresh cluster: a head with
# no CPUs and W worker nodes started with --num-cpus=1 (so W hero-id processes at once, one
# video each). Prints a Markdown table; the cluster is stopped at the end (trap).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
scripts/ray-venv.sh
HOME_DIR="${HERO_ID_HOME:-$HOME/.cache/hero-id}"
RAY="$HOME_DIR/ray-venv/bin/ray"
RAY_PYTHON="$HOME_DIR/ray-venv/bin/python"
if [ -z "${HERO_ID:-}" ]; then  # $HERO_ID: a hero-id binary already built
  swift build -c release --product hero-id >/dev/null
  HERO_ID="$(swift build -c release --show-bin-path)/hero-id"
fi
export RAY_USAGE_STATS_ENABLED=0 HERO_ID
# shellcheck source=pipelines/ray/local-cluster.sh
source pipelines/ray/local-cluster.sh
cluster_isolate "$ROOT/pipelines/ray/$(basename "$0")" "$@"  # from here on, in a loopback-only network namespace
TMP=$(mktemp -d /tmp/hero-ray-bench.XXXXXX)
CLUSTER_DIR="$TMP/c"
trap 'cluster_stop; rm -rf "$TMP"' EXIT

TREE="${1:-}"
if [ -z "$TREE" ]; then
  TREE="$TMP/tree"
  mkdir -p "$TREE"
  ln -s "$ROOT/samples/train" "$TREE/train"
  ln -s "$ROOT/samples/test" "$TREE/test"
fi
VIDEOS=$(find -L "$TREE" -type f \( -name '*.mp4' -o -name '*.mkv' \) | wc -l)
SHARDS=${SHARDS:-12}

now() { date +%s.%N; }
rate() { awk -v v="$VIDEOS" -v s="$1" 'BEGIN { printf "%.1f", v * 60 / s }'; }

echo "| setup | seconds | videos/min |"
echo "|---|---|---|"
for jobs in 1 2; do
  t=$(now)
  "$HERO_ID" batch extract "$TREE" --out "$TMP/single-$jobs" --jobs $jobs --quiet || true
  s=$(awk -v a="$t" -v b="$(now)" 'BEGIN { print b - a }')
  echo "| hero-id batch extract --jobs $jobs (no Ray) | $(printf %.1f "$s") | $(rate "$s") |"
done
for workers in 1 2 3; do
  cluster_start_head
  for w in $(seq "$workers"); do cluster_start_worker "w$w"; done
  t=$(now)
  "$RAY_PYTHON" pipelines/ray/hero_ray.py extract "$TREE" --work "$TMP/ray-$workers" \
    --out "$TMP/ray-$workers/crops" --shards "$SHARDS" --hero-id "$HERO_ID" \
    --progress-seconds 1000 >/dev/null 2>"$TMP/ray-$workers.log" || true
  s=$(awk -v a="$t" -v b="$(now)" 'BEGIN { print b - a }')
  echo "| Ray, $workers one-CPU worker(s), $SHARDS shards | $(printf %.1f "$s") | $(rate "$s") |"
  cluster_stop
  NODE_BASE_PORT=0
  _node_count=0
done
echo
echo "$VIDEOS videos; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),"\
  "$(nproc) cores; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
