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
N1="${BENCH_IMAGES_B1:-64}"
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

# hero-id and ONNX Runtime in alternating rounds (BENCH_ROUNDS, default 3), each round both
# batch sizes, so that whatever else the machine does falls on both; PyTorch once (it is far
# behind). The table gives each engine's median round, the ratios are of the medians.
ROUNDS="${BENCH_ROUNDS:-3}"
peers=0
if [ "${BENCH_PEERS:-1}" != 0 ]; then
  # shellcheck source=scripts/peers-venv.sh
  source scripts/peers-venv.sh
  PEERS=scripts/bench-inception-peers.py
  peers=1
fi
# Where the host has placed the two cores while each engine runs: scripts/core-rtt.c samples the
# round trip of a cache line between CPUs 0 and 1 every 250 ms. On the VM of these benches it is
# 50-65 ns while they share a cache and about 350 while they do not, for seconds at a time, and
# batch 1 runs up to a third slower then (docs/inception.md, "Sixth session"). Skipped without a
# C compiler.
RTT=""
if "${CC:-cc}" -O2 -pthread scripts/core-rtt.c -o "$OUT/core-rtt" 2>"$OUT/cc.log"; then
  RTT="$OUT/core-rtt"
fi
# ONNX Runtime on hero-id's own int8 export (`export --int8`, the QDQ file a phone would run;
# docs/export.md): the export needs a model, trained once on samples/train under .bench/; the
# file is written afresh each run (the bench compares its `bottleneck` output's speed).
INT8_ONNX=""
if [ "$peers" = 1 ]; then
  INT8_DIR=.bench/inception-int8
  if [ ! -f "$INT8_DIR/model/model.json" ]; then
    echo "bench-inception: training a model on samples/train for the int8 export (once)"
    rm -rf "$INT8_DIR"
    { "$BIN" batch extract samples/train --out "$INT8_DIR/crops" --quiet \
      && "$BIN" train "$INT8_DIR/crops" --model "$INT8_DIR/model" --inception "$WEIGHTS"; } \
      >"$OUT/int8-model.log" 2>&1 || { cat "$OUT/int8-model.log" >&2; exit 1; }
  fi
  INT8_ONNX="$OUT/hero-int8.onnx"
  "$BIN" export "$INT8_DIR/model" --int8 --input float32 --inception "$WEIGHTS" -o "$INT8_ONNX" \
    2>&1 | sed 's/^/  /'
  [ -s "$INT8_ONNX" ] || exit 1
  bytes=$(stat -c %s "$INT8_ONNX")
  echo "  int8 export: $bytes bytes (issue 28: <= 25 MB: $([ "$bytes" -le 25000000 ] && echo ok || echo over))"
fi
# Runs "$@" (which prints one JSON line) and prints that line with the samples added.
placed() {
  local line
  if [ -z "$RTT" ]; then "$@"; return; fi
  "$RTT" 250 >"$OUT/rtt.json" &
  local watcher=$!
  line=$("$@") || { kill -TERM "$watcher"; wait "$watcher" || true; return 1; }
  kill -TERM "$watcher"
  wait "$watcher" || true
  python3 -c 'import json, sys
r = json.loads(sys.argv[1])
r.update(json.load(open(sys.argv[2])))
print(json.dumps(r))' "$line" "$OUT/rtt.json"
}
wide=0
if "$BIN" doctor --inception "$WEIGHTS" | grep -q 'packed at load (AVX-512'; then wide=1; fi
int8vnni=0
if "$BIN" doctor --inception "$WEIGHTS" | grep -q '^int8: AVX-512 VNNI'; then int8vnni=1; fi
for round in $(seq 1 "$ROUNDS"); do
  for b in 1 16; do
    n=$([ "$b" = 1 ] && echo "$N1" || echo "$N16")
    # hero-id: its own threads (2), OpenBLAS at one thread.
    OPENBLAS_NUM_THREADS=2 placed "$BIN" bottleneck "${IMAGES[@]}" --inception "$WEIGHTS" \
      --bench "$n" --batch-size "$b" | tee -a "$OUT/results.jsonl"
    # On an AVX-512 CPU, hero-id with its AVX2 kernel as well (what an AVX2-only CPU runs).
    if [ "$wide" = 1 ]; then
      HERO_ID_GEMM=avx2 OPENBLAS_NUM_THREADS=2 placed "$BIN" bottleneck "${IMAGES[@]}" \
        --inception "$WEIGHTS" --bench "$n" --batch-size "$b" \
        | sed 's/"engine": "hero-id"/"engine": "hero-id-avx2"/' | tee -a "$OUT/results.jsonl"
    fi
    # hero-id in int8 (--precision int8, docs/int8.md): its fastest path (AVX-512 VNNI where
    # the CPU has it), and on a VNNI CPU its AVX2 path as well (what an AVX2-only CPU runs).
    OPENBLAS_NUM_THREADS=2 placed "$BIN" bottleneck "${IMAGES[@]}" --inception "$WEIGHTS" \
      --bench "$n" --batch-size "$b" --precision int8 \
      | sed 's/"engine": "hero-id"/"engine": "hero-id-int8"/' | tee -a "$OUT/results.jsonl"
    if [ "$int8vnni" = 1 ]; then
      HERO_ID_INT8=avx2 OPENBLAS_NUM_THREADS=2 placed "$BIN" bottleneck "${IMAGES[@]}" \
        --inception "$WEIGHTS" --bench "$n" --batch-size "$b" --precision int8 \
        | sed 's/"engine": "hero-id"/"engine": "hero-id-int8-avx2"/' | tee -a "$OUT/results.jsonl"
    fi
    if [ "$peers" = 1 ]; then
      OMP_NUM_THREADS=2 placed "$PY" -W ignore "$PEERS" onnx "$ONNX" "$b" "$n" "${IMAGES[@]}" \
        | tee -a "$OUT/results.jsonl"
      OMP_NUM_THREADS=2 placed "$PY" -W ignore "$PEERS" onnx-int8 "$INT8_ONNX" "$b" "$n" \
        "${IMAGES[@]}" | tee -a "$OUT/results.jsonl"
      if [ "$round" = 1 ]; then
        OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=2 "$PY" -W ignore "$PEERS" torch "$WEIGHTS" "$b" "$n" \
          "${IMAGES[@]}" | tee -a "$OUT/results.jsonl"
      fi
    fi
  done
done

python3 - "$OUT/results.jsonl" <<'PYEOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
runs = {}
for r in rows:
    runs.setdefault((r["engine"], r["batch_size"]), []).append(r)
median = {k: statistics.median(x["images_per_second"] for x in v) for k, v in runs.items()}
print("\n%-16s %6s %16s %18s %12s" % ("engine", "batch", "images/s median", "rounds", "peak RSS MB"))
for (e, b), v in sorted(runs.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    rates = " ".join("%.1f" % x["images_per_second"] for x in v)
    print("%-16s %6d %16.2f %18s %12d" % (e, b, median[(e, b)], rates, max(x["peak_rss_mb"] for x in v)))
for b in (1, 16):
    # int8 (issue 28 item 3: >= 2.0x ONNX Runtime fp32).
    i8, i8a, f = median.get(("hero-id-int8", b)), median.get(("hero-id-int8-avx2", b)), median.get(("hero-id", b))
    o = median.get(("onnxruntime", b))
    if i8 and o:
        print("batch %2d: hero-id int8 / onnxruntime fp32 = %.2f" % (b, i8 / o))
    if i8a and o:
        print("batch %2d: hero-id int8 (AVX2 path) / onnxruntime fp32 = %.2f" % (b, i8a / o))
    if i8 and f:
        print("batch %2d: hero-id int8 / hero-id fp32 = %.2f" % (b, i8 / f))
    h, n = median.get(("hero-id", b)), median.get(("hero-id-avx2", b))
    if h and n:
        print("batch %2d: hero-id AVX-512 / AVX2 kernel = %.2f" % (b, h / n))
    for peer in ("pytorch", "onnxruntime"):
        p = median.get((peer, b))
        if n and p:
            print("batch %2d: hero-id (AVX2 kernel) / %-11s = %.2f" % (b, peer, n / p))
        if h and p:
            line = "batch %2d: hero-id / %-11s = %.2f" % (b, peer, h / p)
            if peer == "onnxruntime" and len(runs[("hero-id", b)]) == len(runs[(peer, b)]) > 1:
                pairs = [x["images_per_second"] / y["images_per_second"]
                         for x, y in zip(runs[("hero-id", b)], runs[(peer, b)])]
                line += " (round by round %s)" % " ".join("%.2f" % q for q in pairs)
            print(line)
    # ONNX Runtime on hero-id's int8 export (QDQ, fused by ORT into QLinearConv) vs its fp32.
    q, p = median.get(("onnxruntime-int8", b)), median.get(("onnxruntime", b))
    if q and p:
        print("batch %2d: onnxruntime-int8 (hero-id's export) / onnxruntime = %.2f" % (b, q / p))
    h8 = median.get(("hero-id-int8", b))
    if h8 and q:
        print("batch %2d: hero-id int8 / onnxruntime-int8 (hero-id's export) = %.2f" % (b, h8 / q))

# Issue 28's figures, each engine at its best batch size (1 or 16).
def best(e):
    v = [median[(e, b)] for b in (1, 16) if (e, b) in median]
    return max(v) if v else None
for num, den, goal in (("hero-id", "onnxruntime", ">= 1.0, target 1.3"),
                       ("hero-id-int8", "onnxruntime", ">= 2.0"),
                       ("hero-id-int8", "onnxruntime-int8", ">= 1.0")):
    if best(num) and best(den):
        print("best of batch 1 and 16: %s / %s = %.2f (issue 28: %s)" % (num, den, best(num) / best(den), goal))

# The rounds by placement: the share of the core-rtt samples taken during a measurement that
# found the two cores apart (over 150 ns); the ratios over the rounds with none and with all.
def far(r):
    rtts = r.get("core_rtt_ns")
    return None if not rtts else sum(t > 150 for t in rtts) / len(rtts)
if any(far(r) is not None for r in rows):
    print("\nplacement: share of 250 ms samples with the two cores apart (cache line round trip over 150 ns)")
    for b in (1, 16):
        for e in ("hero-id", "onnxruntime"):
            v = runs.get((e, b), [])
            if v:
                print("batch %2d %-12s %s" % (b, e, "  ".join(
                    "%.1f (apart %s)" % (x["images_per_second"],
                                         "-" if far(x) is None else "%d%%" % round(100 * far(x)))
                    for x in v)))
        for share, words in ((0, "never apart"), (1, "always apart")):
            h = [x["images_per_second"] for x in runs.get(("hero-id", b), []) if far(x) == share]
            o = [x["images_per_second"] for x in runs.get(("onnxruntime", b), []) if far(x) == share]
            if h and o:
                print("batch %2d, cores %s: hero-id / onnxruntime = %.2f (medians of %d and %d rounds)"
                      % (b, words, statistics.median(h) / statistics.median(o), len(h), len(o)))
PYEOF
