#!/usr/bin/env bash
# make demo: the main job on the bundled samples.
#   1. extract: key frames of samples/train/<hero>/*.mp4 -> the game picture and HUD found ->
#      gameplay frames -> labelled crops of the three skill buttons (skill 2: <hero>_NNNNNN.jpg,
#      the mission's data set)
#   2. train:   bottlenecks of the skill-2 crops (cached) -> the new final layer
#   3. identify: every clip of samples/test/, compared with its true hero (samples/test/manifest.csv)
#   then the footage clips (samples/footage/: other phone shapes, bars, a stream layout...) with
#   the same commands and no flag, read with a model of all three skills (the recommended model
#   for scraped footage).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$(swift build -c release --show-bin-path)/hero-id"
OUT="${DEMO_OUT:-demo-out}"
[ -x "$BIN" ] || { echo "demo: $BIN is missing; run make setup" >&2; exit 1; }
rm -rf "$OUT/crops" "$OUT/model" "$OUT/model3" "$OUT/clip-crops" "$OUT/footage-hud"
mkdir -p "$OUT"

echo "== 1/3 extract: samples/train -> $OUT/crops"
# Two frames a second (--all-frames --every 0.5): the training clips are short, and their key
# frames alone give few cooldown states and effects per hero.
# --slots 1,2,3: every skill button (slot K as <hero>_NNNNNN-skillK.jpg); `train --slots 2` below
# trains on skill 2 alone, as the mission does.
"$BIN" extract samples/train/*/*.mp4 --out "$OUT/crops" --all-frames --every 0.5 --slots 1,2,3 \
  --json > "$OUT/extract.jsonl"
jq -r '[.video, .hero, .frames, .kept, (.screens | to_entries | map("\(.key) \(.value)") | join(", "))] | @tsv' \
  "$OUT/extract.jsonl" | column -t -s $'\t' -N video,hero,frames,kept,screens

echo
echo "== 2/3 train: $OUT/crops -> $OUT/model"
"$BIN" train "$OUT/crops" --slots 2 --model "$OUT/model" --eval-step-interval 500 --json > "$OUT/train.json"
jq -r '"classes: \(.classes | join(" "))\nimages: training \(.images.training), validation \(.images.validation), testing \(.images.testing)\nvalidation accuracy \(.validation_accuracy), test accuracy \(.test_accuracy)"' "$OUT/train.json"

echo
echo "== 3/3 identify: samples/test/*.mp4"
"$BIN" identify samples/test/*.mp4 --model "$OUT/model" --json --crops-dir "$OUT/clip-crops" \
  > "$OUT/identify.jsonl" || true
# table MANIFEST PREFIX IDENTIFY_JSONL SCORE_FILE: the truth table of one identify run.
table() {
  local manifest=$1 prefix=$2 jsonl=$3 score=$4
  declare -A truth
  while IFS=, read -r video hero; do
    [ "$video" = video ] && continue
    truth["$prefix/$video"]="${hero:-unknown}"
  done < "$manifest"
  local right=0 total=0
  {
    printf 'clip\ttrue hero\tanswer\tconfidence\tgameplay/frames\tok\n'
    while IFS=$'\t' read -r video hero conf gp frames; do
      want="${truth[$video]:-?}"
      ok="no"; [ "$want" = "$hero" ] && { ok="yes"; right=$((right + 1)); }
      total=$((total + 1))
      printf '%s\t%s\t%s\t%s\t%s/%s\t%s\n' "$(basename "$video")" "$want" "$hero" "$conf" "$gp" "$frames" "$ok"
    done < <(jq -r '[.video, (.hero // "unknown"), ((.confidence // 0) * 1000 | round / 1000), (.gameplay_frames // 0), (.frames // 0)] | @tsv' "$jsonl")
    echo "$right/$total right" > "$score"
  } | column -t -s $'\t'
}
table samples/test/manifest.csv samples/test "$OUT/identify.jsonl" "$OUT/score.txt"
echo
echo "demo: $(cat "$OUT/score.txt") (clips of heroes absent from training should say unknown)"

echo
echo "== footage: samples/footage/*.mp4, no flag (other phone shapes, bars, a stream layout,"
echo "   resized and moved buttons, swapped skills; docs/footage.md), read with a model of all three"
echo "   skills (train on every crop: slots 1, 2 and 3; recommended for scraped footage), so swapped"
echo "   skills give the same answer"
"$BIN" train "$OUT/crops" --model "$OUT/model3" --eval-step-interval 1000 --json > "$OUT/train3.json"
jq -r '"three-slot model: slots \(.slots | join(" ")), images \(.images.training + .images.validation + .images.testing), test accuracy \(.test_accuracy)"' "$OUT/train3.json"
"$BIN" identify samples/footage/*.mp4 --model "$OUT/model3" --json \
  --debug-hud "$OUT/footage-hud" > "$OUT/footage.jsonl" || true
jq -r '[(.video | split("/") | last), (if .geometry.hud then "\(.geometry.frame[0])x\(.geometry.frame[1]), HUD x\(.geometry.hud.scale) \(.geometry.hud.dx),\(.geometry.hud.dy)" else "no HUD" end)] | @tsv' \
  "$OUT/footage.jsonl" | column -t -s $'\t' -N clip,"picture and HUD found"
echo
table samples/footage/manifest.csv samples/footage "$OUT/footage.jsonl" "$OUT/footage-score.txt"
echo
echo "demo: footage $(cat "$OUT/footage-score.txt") with the three-slot model, no flag (with"
echo "      --fixed-layout, the mission's original stretch and fixed crop: $(
  "$BIN" identify samples/footage/*.mp4 --model "$OUT/model3" --fixed-layout --json 2>/dev/null |
    jq -s '[.[] | select((.gameplay_frames // 0) > 0)] | length') of 10 with a gameplay frame)"
"$BIN" identify samples/test/*.mp4 --model "$OUT/model3" --json > "$OUT/identify3.jsonl" 2>/dev/null || true
table samples/test/manifest.csv samples/test "$OUT/identify3.jsonl" "$OUT/score3.txt" > /dev/null
echo "demo: the three-slot model on the standard clips: $(cat "$OUT/score3.txt")"
echo
echo "== a compilation: samples/test clip_08 (李白), clip_04 (韩信) and clip_07 (孙悟空) joined by"
echo "   the ffmpeg CLI into $OUT/compilation.mp4; identify finds where the hero changes"
ffmpeg -nostdin -v error -y -i samples/test/clip_08.mp4 -i samples/test/clip_04.mp4 \
  -i samples/test/clip_07.mp4 -filter_complex \
  "[0]scale=1280:720,setsar=1,fps=30[a];[1]scale=1280:720,setsar=1,fps=30[b];[2]scale=1280:720,setsar=1,fps=30[c];[a][b][c]concat=n=3:v=1:a=0" \
  -c:v libx264 -preset veryfast -g 30 "$OUT/compilation.mp4"
"$BIN" identify "$OUT/compilation.mp4" --model "$OUT/model3" || true

echo
echo "== report: $OUT/report.html"
"$BIN" report --model "$OUT/model" --identify "$OUT/identify.jsonl" --clip-crops "$OUT/clip-crops" \
  --crops "$OUT/crops" --max-per-hero 60 --title "hero-id demo" --out "$OUT/report.html"
echo "demo: outputs in $OUT/ (crops/, model/, extract.jsonl, train.json, identify.jsonl, report.html)"
echo "demo: open $OUT/report.html in a browser; \`$BIN serve --model $OUT/model\` starts the upload page"
