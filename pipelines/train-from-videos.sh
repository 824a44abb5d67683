#!/usr/bin/env bash
# Scraped-video tree -> labelled crops -> trained model.
#
#   pipelines/train-from-videos.sh TREE MODEL_DIR
#
# TREE holds one folder of videos per hero (TREE/<hero>/*.mp4, any depth: a video's label is
# the folder it sits in). Steps:
#   1. hero-id batch extract TREE --out CROPS     (parallel, resumable: run again after a kill)
#   2. hero-id train CROPS --model MODEL_DIR      (bottlenecks cached in CROPS/.bottlenecks)
# A video that cannot be read is reported and skipped; training goes on with the rest.
#
# Environment:
#   HERO_ID        the hero-id binary (default: this checkout's .build/release/hero-id, else PATH)
#   CROPS          crop folder (default: MODEL_DIR.crops)
#   EXTRACT_ARGS   extra options for `batch extract`, e.g. "--every 2 --jobs 2 --shard 1/2"
#   TRAIN_ARGS     extra options for `train`, e.g. "--steps 500"
set -euo pipefail

if [[ $# -ne 2 || $1 == -h || $1 == --help ]]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  [[ $# -eq 2 ]] && exit 0 || exit 2
fi
tree=$1
model=${2%/}
crops=${CROPS:-$model.crops}
root=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z ${HERO_ID:-} ]]; then
  if [[ -x $root/.build/release/hero-id ]]; then HERO_ID=$root/.build/release/hero-id; else HERO_ID=hero-id; fi
fi
read -r -a extract_args <<<"${EXTRACT_ARGS:-}"
read -r -a train_args <<<"${TRAIN_ARGS:-}"

echo "== 1/2 extract: $tree -> $crops" >&2
status=0
"$HERO_ID" batch extract "$tree" --out "$crops" "${extract_args[@]}" || status=$?
case $status in
  0) ;;
  1) echo "warning: some videos failed (see above and $crops/batch-report.jsonl); training on the rest" >&2 ;;
  *) exit "$status" ;;
esac

echo "== 2/2 train: $crops -> $model" >&2
"$HERO_ID" train "$crops" --model "$model" "${train_args[@]}"
echo "model: $model (crops: $crops, extraction report: $crops/batch-report.jsonl)" >&2
