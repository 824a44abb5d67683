#!/usr/bin/env bash
# make demo: the main job on the bundled samples.
#   1. extract: key frames of samples/train/<hero>/*.mp4 -> gameplay frames -> labelled skill-2 crops
#   2. train:   bottlenecks of the crops (cached) -> the new final layer
#   3. identify: every clip of samples/test/, compared with its true hero (samples/test/manifest.csv)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$(swift build -c release --show-bin-path)/hero-id"
OUT="${DEMO_OUT:-demo-out}"
[ -x "$BIN" ] || { echo "demo: $BIN is missing; run make setup" >&2; exit 1; }
rm -rf "$OUT/crops" "$OUT/model" "$OUT/clip-crops"
mkdir -p "$OUT"

echo "== 1/3 extract: samples/train -> $OUT/crops"
# Two frames a second (--all-frames --every 0.5): the training clips are short, and their key
# frames alone give few cooldown states and effects per hero.
"$BIN" extract samples/train/*/*.mp4 --out "$OUT/crops" --all-frames --every 0.5 --json > "$OUT/extract.jsonl"
jq -r '[.video, .hero, .frames, .kept, (.screens | to_entries | map("\(.key) \(.value)") | join(", "))] | @tsv' \
  "$OUT/extract.jsonl" | column -t -s $'\t' -N video,hero,frames,kept,screens

echo
echo "== 2/3 train: $OUT/crops -> $OUT/model"
"$BIN" train "$OUT/crops" --model "$OUT/model" --eval-step-interval 500 --json > "$OUT/train.json"
jq -r '"classes: \(.classes | join(" "))\nimages: training \(.images.training), validation \(.images.validation), testing \(.images.testing)\nvalidation accuracy \(.validation_accuracy), test accuracy \(.test_accuracy)"' "$OUT/train.json"

echo
echo "== 3/3 identify: samples/test/*.mp4"
"$BIN" identify samples/test/*.mp4 --model "$OUT/model" --json --crops-dir "$OUT/clip-crops" \
  > "$OUT/identify.jsonl" || true
declare -A truth
while IFS=, read -r video hero; do
  [ "$video" = video ] && continue
  truth["samples/test/$video"]="${hero:-unknown}"
done < samples/test/manifest.csv
right=0; total=0
{
  printf 'clip\ttrue hero\tanswer\tconfidence\tgameplay/frames\tok\n'
  while IFS=$'\t' read -r video hero conf gp frames; do
    want="${truth[$video]:-?}"
    ok="no"; [ "$want" = "$hero" ] && { ok="yes"; right=$((right + 1)); }
    total=$((total + 1))
    printf '%s\t%s\t%s\t%s\t%s/%s\t%s\n' "$(basename "$video")" "$want" "$hero" "$conf" "$gp" "$frames" "$ok"
  done < <(jq -r '[.video, (.hero // "unknown"), ((.confidence // 0) * 1000 | round / 1000), (.gameplay_frames // 0), (.frames // 0)] | @tsv' "$OUT/identify.jsonl")
  echo "$right/$total right" > "$OUT/score.txt"
} | column -t -s $'\t'
echo
echo "demo: $(cat "$OUT/score.txt") (clips of heroes absent from training should say unknown)"

echo
echo "== report: $OUT/report.html"
"$BIN" report --model "$OUT/model" --identify "$OUT/identify.jsonl" --clip-crops "$OUT/clip-crops" \
  --crops "$OUT/crops" --max-per-hero 60 --title "hero-id demo" --out "$OUT/report.html"
echo "demo: outputs in $OUT/ (crops/, model/, extract.jsonl, train.json, identify.jsonl, report.html)"
echo "demo: open $OUT/report.html in a browser; \`$BIN serve --model $OUT/model\` starts the upload page"
