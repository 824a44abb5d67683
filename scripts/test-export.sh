#!/usr/bin/env bash
# make test-export: the ONNX export is the same model as hero-id (docs/export.md, "Proof").
#
# Trains a model on the committed training clips, exports it six ways (fp32/fp16/int8 weights,
# uint8/float32 input), has hero-id print its own probabilities for the 12 reference JPEGs and
# for sample crops of the committed test clips, and runs Tests/export/check_onnx.py (ONNX
# Runtime from PyPI, in $HERO_ID_HOME/export-venv made by scripts/export-venv.sh) to compare.
# Exits 1 when any check fails. Python runs only here, never in the product.
set -euo pipefail
cd "$(dirname "$0")/.."

HOME_DIR="${HERO_ID_HOME:-$HOME/.cache/hero-id}"
VENV="$HOME_DIR/export-venv"
scripts/export-venv.sh

if [ -z "${HERO_ID:-}" ]; then  # $HERO_ID: a hero-id binary already built
  swift build -c release --product hero-id
  HERO_ID="$(swift build -c release --show-bin-path)/hero-id"
fi
OUT="${EXPORT_TEST_OUT:-$(mktemp -d)}"
mkdir -p "$OUT"
[ -n "${EXPORT_TEST_OUT:-}" ] || trap 'rm -rf "$OUT"' EXIT

echo "test-export: crops and a model from samples/train (in $OUT)"
[ -f "$OUT/model/model.json" ] || {
  # --jobs 1: crops are numbered in the order videos finish, and the training split follows the
  # names; one job at a time gives the same crops, split and model on every run.
  "$HERO_ID" batch extract samples/train --out "$OUT/crops" --quiet --jobs 1
  "$HERO_ID" train "$OUT/crops" --model "$OUT/model" >/dev/null
}
echo "test-export: sample crops from samples/test"
[ -f "$OUT/test-crops/index.csv" ] || "$HERO_ID" batch extract samples/test --out "$OUT/test-crops" --quiet --jobs 1 || true
# Every 2nd crop of the test clips (seen by neither training nor the exporter), at most 64.
find "$OUT/test-crops" -name '*.jpg' -not -path '*/.batch/*' | LC_ALL=C sort | awk 'NR % 2 == 1' | head -n 64 >"$OUT/crops.txt"
[ -s "$OUT/crops.txt" ] || { echo "test-export: no sample crops" >&2; exit 1; }

REF=Tests/InceptionTests/Reference
# hero-id's own answers for the reference images and every test crop (the clip check averages
# them all; the per-crop checks use the half in crops.txt).
{ ls "$REF"/*.jpg; find "$OUT/test-crops" -name '*.jpg' -not -path '*/.batch/*' | LC_ALL=C sort; } \
  >"$OUT/probe-list.txt"
echo "test-export: hero-id's own probabilities for $(wc -l <"$OUT/probe-list.txt") images"
"$HERO_ID" export "$OUT/model" --probe "$OUT/probe-list.txt" >"$OUT/probe.jsonl"

echo "test-export: exporting"
"$HERO_ID" export "$OUT/model" --format onnx -o "$OUT/hero.onnx"
"$HERO_ID" export "$OUT/model" --format onnx --input float32 -o "$OUT/hero-float.onnx"
"$HERO_ID" export "$OUT/model" --format onnx --fp16 -o "$OUT/hero-fp16.onnx"
"$HERO_ID" export "$OUT/model" --format onnx --fp16 --input float32 -o "$OUT/hero-fp16-float.onnx"
"$HERO_ID" export "$OUT/model" --format onnx --int8 -o "$OUT/hero-int8.onnx"
"$HERO_ID" export "$OUT/model" --format onnx --int8 --input float32 -o "$OUT/hero-int8-float.onnx"

"$VENV/bin/python" Tests/export/check_onnx.py --model "$OUT/model" --probe "$OUT/probe.jsonl" \
  --fp32-uint8 "$OUT/hero.onnx" --fp32-float "$OUT/hero-float.onnx" \
  --fp16-float "$OUT/hero-fp16-float.onnx" --fp16-uint8 "$OUT/hero-fp16.onnx" \
  --int8-uint8 "$OUT/hero-int8.onnx" --int8-float "$OUT/hero-int8-float.onnx" \
  --clips-index "$OUT/test-crops/index.csv" \
  --reference "$REF" --crops "$OUT/crops.txt" --hero-id "$HERO_ID"
echo "test-export: passed"
