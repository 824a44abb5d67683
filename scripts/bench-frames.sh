#!/usr/bin/env bash
# bench-frames: key-frame extraction to 1280x720 JPEGs, hero-id vs the ffmpeg program, on a
# generated 1920x1080 60 fps H.264 clip (keyint 120, ~3 minutes; cached in .bench/).
# Prints the best of N wall times of each, the ratio hero-id/ffmpeg (target <= 1.0) and
# hero-id's peak RSS (target < 200 MB). Both run in the same session, one after the other.
#   BENCH_FRAMES_SECONDS  clip length in seconds (default 180)
#   BENCH_RUNS            runs of each command (default 3)
#   BENCH_DIR             cache and scratch folder (default .bench)
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_LONG=${BENCH_FRAMES_SECONDS:-180}
RUNS=${BENCH_RUNS:-3}
DIR=${BENCH_DIR:-.bench}
CLIP="$DIR/frames-1080p60-keyint120-${SECONDS_LONG}s.mp4"
BIN="$(swift build -c release --show-bin-path)/hero-id"

command -v ffmpeg >/dev/null || { echo "bench-frames: ffmpeg missing (make setup)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench-frames: /usr/bin/time missing (make setup)" >&2; exit 1; }
[ -x "$BIN" ] || swift build -c release --product hero-id
mkdir -p "$DIR"

if [ ! -f "$CLIP" ]; then
  echo "bench-frames: generating $CLIP (once; takes a few minutes)"
  # testsrc2 with temporal noise: moving, not trivially compressible; ~8 Mbit/s like gameplay.
  ffmpeg -nostdin -v error -y -f lavfi \
    -i "testsrc2=size=1920x1080:rate=60,noise=alls=12:allf=t+u" -t "$SECONDS_LONG" \
    -c:v libx264 -preset veryfast -b:v 8M -maxrate 10M -bufsize 16M \
    -g 120 -keyint_min 120 -sc_threshold 0 -pix_fmt yuv420p "$CLIP.part.mp4"
  mv "$CLIP.part.mp4" "$CLIP"
fi

OUT="$DIR/out"
# timed NAME COMMAND...: runs COMMAND once in a clean $OUT; prints "wall_s maxrss_kb cpu_s frames"
# (GNU time: %e wall seconds, %M peak RSS in KB, %U+%S CPU seconds; frames: JPEGs written).
timed() {
  rm -rf "$OUT"; mkdir -p "$OUT"
  /usr/bin/time -f "%e %M %U %S" -o "$DIR/time.txt" "$@" >/dev/null 2>"$DIR/stderr.txt" || {
    echo "bench-frames: failed: $*" >&2; cat "$DIR/stderr.txt" >&2; exit 1; }
  tail -n 1 "$DIR/time.txt" | awk -v n="$(find "$OUT" -name '*.jpg' | wc -l)" \
    '{ printf "%s %s %.2f %d", $1, $2, $3 + $4, n }'
}
# faster A B: the line with the smaller first field (wall time); A when B is empty.
faster() { if [ -z "$2" ] || awk -v a="${1%% *}" -v b="${2%% *}" 'BEGIN{exit !(a<b)}'; then echo "$1"; else echo "$2"; fi; }

echo "bench-frames: $CLIP ($(du -m "$CLIP" | cut -f1) MB), best of $RUNS, load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"

# The two commands take turns, so a change in machine load hits both alike.
ff="" hid=""
for _ in $(seq "$RUNS"); do
  ff=$(faster "$(timed ffmpeg -nostdin -v error -y -skip_frame nokey -i "$CLIP" -vsync vfr \
    -s 1280x720 -q:v 2 "$OUT/%06d.jpg")" "$ff")
  hid=$(faster "$(timed "$BIN" extract "$CLIP" --frames --out "$OUT" --size 1280x720)" "$hid")
done

read -r ff_s ff_kb ff_cpu ff_frames <<<"$ff"
read -r hid_s hid_kb hid_cpu hid_frames <<<"$hid"
awk -v fs="$ff_s" -v fk="$ff_kb" -v fc="$ff_cpu" -v ff="$ff_frames" \
    -v hs="$hid_s" -v hk="$hid_kb" -v hc="$hid_cpu" -v hf="$hid_frames" 'BEGIN {
  printf "  ffmpeg : %6.2f s wall  %6.2f s CPU  %4d frames  peak RSS %4.0f MB\n", fs, fc, ff, fk / 1024
  printf "  hero-id: %6.2f s wall  %6.2f s CPU  %4d frames  peak RSS %4.0f MB (target < 200 MB)\n", hs, hc, hf, hk / 1024
  printf "  ratio hero-id/ffmpeg: %.2f wall (target <= 1.0), %.2f CPU\n", (fs > 0 ? hs / fs : 0), (fc > 0 ? hc / fc : 0)
}'
rm -rf "$OUT"
