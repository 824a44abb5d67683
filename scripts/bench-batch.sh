#!/usr/bin/env bash
# bench-batch: videos per minute of `hero-id batch extract` (and of `batch identify`, when the
# Inception weights are installed) on a generated set of 1920x1080 30 fps H.264 clips (key frame
# every 2 s, like scraped gameplay), with --jobs 1 and with the default (one video per core).
# The ratio shows what overlapping videos buys: one video's decoding runs while another is
# sorted and cropped (extract) or in the Inception bottleneck (identify).
#   BENCH_BATCH_CLIPS    clips in the set (default 8, over 4 heroes)
#   BENCH_BATCH_SECONDS  length of each clip (default 20)
#   BENCH_RUNS           runs of each setting, best kept (default 2)
#   BENCH_DIR            cache and scratch folder (default .bench)
set -euo pipefail
cd "$(dirname "$0")/.."

CLIPS=${BENCH_BATCH_CLIPS:-8}
LEN=${BENCH_BATCH_SECONDS:-20}
RUNS=${BENCH_RUNS:-2}
DIR=${BENCH_DIR:-.bench}
SET="$DIR/batch-1080p30-${CLIPS}x${LEN}s"
BINDIR="$(swift build -c release --show-bin-path)"
BIN="$BINDIR/hero-id"
MAKER="$BINDIR/sample-maker"
[ -x "$BIN" ] || swift build -c release --product hero-id
[ -x "$MAKER" ] || swift build -c release --product sample-maker
CORES=$(getconf _NPROCESSORS_ONLN)

if [ ! -f "$SET/.complete" ]; then
  echo "bench-batch: generating $SET ($CLIPS clips of ${LEN}s at 1920x1080; once)"
  rm -rf "$SET"
  heroes=(李白 貂蝉 韩信 后羿)
  for i in $(seq "$CLIPS"); do
    hero=${heroes[$(((i - 1) % 4))]}
    mkdir -p "$SET/$hero"
    "$MAKER" clip --hero "$hero" --seed "$((1000 + i))" --size 1920x1080 --fps 30 --keyint 60 \
      --bitrate 4000 --duration "$LEN" --out "$SET/$hero/clip_$i.mp4" >/dev/null 2>&1
  done
  touch "$SET/.complete"
fi

# best_seconds COMMAND...: the fastest of $RUNS wall times of COMMAND (after `prepare`).
best_seconds() {
  local best="" t0 t1 s
  for _ in $(seq "$RUNS"); do
    prepare
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>"$DIR/batch-stderr.txt" || { cat "$DIR/batch-stderr.txt" >&2; exit 1; }
    t1=$(date +%s.%N)
    s=$(echo "$t1 - $t0" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$s < $best" | bc -l)" = 1 ]; then best=$s; fi
  done
  echo "$best"
}
per_minute() { echo "scale=1; $CLIPS * 60 / $1" | bc -l; }
report() { # NAME SECONDS_JOBS1 SECONDS_DEFAULT
  printf '%s: --jobs 1: %.1f s (%s videos/min); default --jobs %s: %.1f s (%s videos/min); speed-up x%s\n' \
    "$1" "$2" "$(per_minute "$2")" "$CORES" "$3" "$(per_minute "$3")" \
    "$(echo "scale=2; $2 / $3" | bc -l)"
}

echo "bench-batch: $CLIPS clips of ${LEN}s, 1920x1080, $CORES cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
OUT="$DIR/batch-out"
prepare() { rm -rf "$OUT"; }
e1=$(best_seconds "$BIN" batch extract "$SET" --out "$OUT" --jobs 1 --quiet)
en=$(best_seconds "$BIN" batch extract "$SET" --out "$OUT" --quiet)
report "batch extract" "$e1" "$en"

WEIGHTS="${HERO_ID_INCEPTION:-${HERO_ID_HOME:-$HOME/.cache/hero-id}/inception-2015-12-05.pt}"
if [ -f "$WEIGHTS" ]; then
  MODEL="$DIR/batch-model"
  # Trained once; again when missing, half-written, or of an older model format.
  first_clip=$(find "$SET" -name '*.mp4' | sort | head -n 1)
  if [ ! -f "$MODEL/.complete" ] \
    || ! "$BIN" identify "$first_clip" --model "$MODEL" --json >/dev/null 2>&1; then
    rm -rf "$MODEL"
    "$BIN" train "$OUT" --model "$MODEL" --steps 200 --group-seconds 0 \
      --validation-percentage 20 --testing-percentage 20 >/dev/null 2>"$DIR/batch-stderr.txt" \
      || { cat "$DIR/batch-stderr.txt" >&2; exit 1; }
    touch "$MODEL/.complete"
  fi
  REPORT="$DIR/batch-report.csv"
  prepare() { rm -f "$REPORT" "$REPORT.journal.jsonl"; }
  i1=$(best_seconds "$BIN" batch identify "$SET" --model "$MODEL" --report "$REPORT" --jobs 1 --quiet)
  in=$(best_seconds "$BIN" batch identify "$SET" --model "$MODEL" --report "$REPORT" --quiet)
  report "batch identify" "$i1" "$in"
else
  echo "batch identify: skipped (no Inception weights at $WEIGHTS; make setup)"
fi
echo "bench-batch: load after: $(cut -d' ' -f1-3 /proc/loadavg)"
