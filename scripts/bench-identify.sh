#!/usr/bin/env bash
# make bench: `hero-id identify` end to end on a 30 s 1920x1080 clip (30 fps, a key frame every
# 2 s), weights loaded once, with the skill-2 model and with the three-slot model (three crops,
# three Inception runs, per gameplay frame; docs/footage.md). Target: <= 3 s wall on the 2-core
# machine for both. Peak RSS too. The clip and both models (from the committed samples) are made
# once under .bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN_DIR="$(swift build -c release --show-bin-path)"
[ -x "$BIN_DIR/hero-id" ] && [ -x "$BIN_DIR/sample-maker" ] || swift build -c release
HERO="$BIN_DIR/hero-id"
DIR=.bench/identify
mkdir -p "$DIR"
CLIP="$DIR/libai-1080p-30s.mp4"
if [ ! -f "$CLIP" ]; then
  echo "bench-identify: rendering $CLIP (once)"
  "$BIN_DIR/sample-maker" clip --hero 李白 --seed 4242 --size 1920x1080 --fps 30 --keyint 60 \
    --bitrate 2500 --duration 30 --out "$CLIP" 2>/dev/null
fi
# (Again when a cached model is missing, from an older model format, or from before `train`
# recorded its precision: int8 by default since issue 28, docs/int8.md.)
if [ ! -f "$DIR/model/model.json" ] || ! grep -q '"precision"' "$DIR/model/model.json" \
  || ! "$HERO" identify "$CLIP" --model "$DIR/model" --json >/dev/null 2>&1; then
  echo "bench-identify: training a model on samples/train (once)"
  rm -rf "$DIR/crops" "$DIR/model"
  "$HERO" extract samples/train/*/*.mp4 --out "$DIR/crops" --all-frames --every 0.5 2>/dev/null
  "$HERO" train "$DIR/crops" --model "$DIR/model" 2>/dev/null >/dev/null
fi
if [ ! -f "$DIR/model3/model.json" ] || ! grep -q '"precision"' "$DIR/model3/model.json" \
  || ! "$HERO" identify "$CLIP" --model "$DIR/model3" --json >/dev/null 2>&1; then
  echo "bench-identify: training a three-slot model on samples/train (once)"
  rm -rf "$DIR/crops3" "$DIR/model3"
  "$HERO" extract samples/train/*/*.mp4 --out "$DIR/crops3" --all-frames --every 0.5 \
    --slots 1,2,3 2>/dev/null
  "$HERO" train "$DIR/crops3" --model "$DIR/model3" 2>/dev/null >/dev/null
fi
for model in model model3; do
  best=""
  for run in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$DIR/time.txt" "$HERO" identify "$CLIP" --model "$DIR/$model" \
      --json > "$DIR/out.json" 2>/dev/null
    read -r wall rss < "$DIR/time.txt"
    echo "  $model run $run: ${wall} s, peak RSS $((rss / 1024)) MB, answer: $(jq -r '"\(.hero // "unknown") (\(.gameplay_frames)/\(.frames) gameplay frames, \(.precision))"' "$DIR/out.json")"
    if [ -z "$best" ] || awk -v a="$wall" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$wall; fi
  done
  name=$([ "$model" = model ] && echo "skill-2 model" || echo "three-slot model")
  verdict=$(awk -v t="$best" 'BEGIN{print (t <= 3.0) ? "ok" : "over target"}')
  # Issue 28 asks <= 1.5 s of the three-slot model (the heavier one: three crops a frame).
  goal=""
  if [ "$model" = model3 ]; then
    goal="; issue 28: <= 1.5 s: $(awk -v t="$best" 'BEGIN{print (t <= 1.5) ? "ok" : "over"}')"
  fi
  echo "bench-identify: $name: best ${best} s for a 30 s 1920x1080 clip end to end (target <= 3 s: $verdict$goal)"
done
