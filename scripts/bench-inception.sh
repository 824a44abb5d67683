#!/usr/bin/env bash
# Inception v3 speed (run by `make bench`): images/s at batch 1 and 16 with 2 threads and peak RSS,
# for hero-id and, in the same run on the same images, PyTorch running default_1.pt itself and
# ONNX Runtime running the same network exported to ONNX. The peers live in a throw-away venv
# outside the repo ($HERO_ID_HOME/bench-venv: torch, onnx, onnxruntime, pillow; ~5.5 GB, made on
# first use and reused); BENCH_PEERS=0 skips them. Figures are only meaningful on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
HOME_DIR="${HERO_ID_HOME:-$HOME/.cache/hero-id}"
WEIGHTS="${HERO_ID_INCEPTION:-$HOME_DIR/inception-2015-12-05.pt}"
N1="${BENCH_IMAGES_B1:-32}"
N16="${BENCH_IMAGES_B16:-48}"
IMAGES=(Tests/InceptionTests/Reference/*.jpg)
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

if [ ! -f "$WEIGHTS" ]; then
  echo "bench-inception: no weights at $WEIGHTS; run make setup" >&2
  exit 1
fi
swift build -c release --product hero-id >"$OUT/build.log" 2>&1 || { cat "$OUT/build.log" >&2; exit 1; }
BIN="$(swift build -c release --show-bin-path)/hero-id"

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (figures need a quiet machine)"
"$BIN" doctor --speed --inception "$WEIGHTS" | sed 's/^/  /'
echo "images: ${#IMAGES[@]} reference JPEGs cycled; batch 1: $N1 images, batch 16: $N16 images; 2 threads"

# hero-id: OpenBLAS with 2 threads, no threads of its own.
for b in 1 16; do
  n=$([ "$b" = 1 ] && echo "$N1" || echo "$N16")
  OPENBLAS_NUM_THREADS=2 "$BIN" bottleneck "${IMAGES[@]}" --inception "$WEIGHTS" \
    --bench "$n" --batch-size "$b" | tee -a "$OUT/results.jsonl"
done

if [ "${BENCH_PEERS:-1}" != 0 ]; then
  # shellcheck source=scripts/peers-venv.sh
  source scripts/peers-venv.sh
  PEERS=scripts/bench-inception-peers.py
  for b in 1 16; do
    n=$([ "$b" = 1 ] && echo "$N1" || echo "$N16")
    OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=2 "$PY" -W ignore "$PEERS" torch "$WEIGHTS" "$b" "$n" "${IMAGES[@]}" \
      | tee -a "$OUT/results.jsonl"
    OMP_NUM_THREADS=2 "$PY" -W ignore "$PEERS" onnx "$ONNX" "$b" "$n" "${IMAGES[@]}" | tee -a "$OUT/results.jsonl"
  done
fi

python3 - "$OUT/results.jsonl" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rate = {(r["engine"], r["batch_size"]): r for r in rows}
print("\n%-12s %6s %10s %12s" % ("engine", "batch", "images/s", "peak RSS MB"))
for (e, b), r in sorted(rate.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    print("%-12s %6d %10.2f %12d" % (e, b, r["images_per_second"], r["peak_rss_mb"]))
for b in (1, 16):
    h = rate.get(("hero-id", b))
    for peer in ("pytorch", "onnxruntime"):
        p = rate.get((peer, b))
        if h and p:
            print("batch %2d: hero-id / %-11s = %.2f" % (b, peer, h["images_per_second"] / p["images_per_second"]))
EOF
