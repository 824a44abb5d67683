#!/usr/bin/env bash
# make test-ray: pipelines/ray/ on a real Ray cluster on this machine (docs/scale-out.md).
#
# 1. A head (no CPUs) and two worker nodes (--num-cpus=1 each), separate `ray start`
#    processes on 127.0.0.1.
# 2. hero_ray.py extract over samples/train; the merged crop folder must equal a
#    single-machine `hero-id batch extract` of the same tree as sets (per-hero crop content
#    hashes; index rows with the file name replaced by its content hash).
# 3. A new job, with Ray's retries off: worker 2 is killed (kill -9 of the whole node) while
#    shards are running, so that job ends with a lost shard; the same command submitted again
#    completes on the surviving node, and the result again equals the single-machine run:
#    nothing lost, nothing doubled. Every video is `done` once in the shard journals.
# 4. hero_ray.py identify (3 shards) over 5 test clips with a small model (8 crops per hero):
#    the joined report equals a single-machine `hero-id batch identify` (video, status, hero;
#    confidence within 1e-3).
# The cluster is stopped at the end, whatever happens (trap).
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

TMP=$(mktemp -d /tmp/hero-ray.XXXXXX)
CLUSTER_DIR="$TMP/c"
finish() {
  local rc=$?
  cluster_stop
  if [ $rc -ne 0 ]; then
    echo "test-ray: FAILED (exit $rc); logs kept in $TMP" >&2
  else
    rm -rf "$TMP"
  fi
}
trap finish EXIT

TREE="$ROOT/samples/train"
DRIVER=("$RAY_PYTHON" "$ROOT/pipelines/ray/hero_ray.py")

echo "test-ray: single-machine reference (hero-id batch extract)"
"$HERO_ID" batch extract "$TREE" --out "$TMP/single" --quiet

echo "test-ray: starting a head and two one-CPU workers on 127.0.0.1"
cluster_start_head
cluster_start_worker w1
cluster_start_worker w2

echo "test-ray: job 1 on two workers"
"${DRIVER[@]}" extract "$TREE" --work "$TMP/job1" --out "$TMP/job1/crops" --shards 6 \
  --hero-id "$HERO_ID" --progress-seconds 3 --summary "$TMP/job1.json"
"$RAY_PYTHON" pipelines/ray/compare_crops.py "$TMP/single" "$TMP/job1/crops"

echo "test-ray: job 2, worker 2 killed mid-run (Ray retries off)"
"${DRIVER[@]}" extract "$TREE" --work "$TMP/job2" --out "$TMP/job2/crops" --shards 8 \
  --hero-id "$HERO_ID" --max-retries 0 --progress-seconds 3 --summary "$TMP/job2a.json" &
DRIVER_PID=$!
# Kill the node as soon as the first video of the job is settled (both nodes are then busy).
for _ in $(seq 600); do
  if cat "$TMP"/job2/shards/*/.batch/journal.jsonl 2>/dev/null | grep -q '"kind":"done"'; then
    break
  fi
  kill -0 $DRIVER_PID 2>/dev/null || break
  sleep 0.2
done
cluster_kill_worker w2
echo "test-ray: worker 2 killed"
set +e
wait $DRIVER_PID
FIRST=$?
set -e
if [ $FIRST -eq 0 ]; then
  # On a quiet machine the surviving worker can take every shard not yet started, and the
  # killed node's finished shards are on disk: the job ends well. The checks below still hold:
  # nothing lost or doubled, and a resubmission has nothing (or less) to do.
  echo "test-ray: the job outlived the killed node (its remaining shards ran on worker 1)"
else
  grep -q '"failures": \[\]' "$TMP/job2a.json" && { echo "test-ray: no failure reported" >&2; exit 1; }
fi

echo "test-ray: job 2 submitted again (one worker left)"
"${DRIVER[@]}" extract "$TREE" --work "$TMP/job2" --out "$TMP/job2/crops" \
  --hero-id "$HERO_ID" --max-retries 0 --progress-seconds 3 --summary "$TMP/job2b.json"
"$RAY_PYTHON" - "$TMP/job2b.json" "$TMP/job2a.json" <<'EOF'
import json, sys
b = json.load(open(sys.argv[1]))
a = json.load(open(sys.argv[2]))
assert b["settled"] == b["videos"] and not b["failures"], b
# The resubmission ran only the shards the journals did not settle.
assert b["tasks_run"] < a["tasks_run"], (a, b)
print(f"test-ray: resubmission ran {b['tasks_run']} of {a['tasks_run']} shard tasks")
EOF
"$RAY_PYTHON" pipelines/ray/compare_crops.py "$TMP/single" "$TMP/job2/crops" \
  --journals "$TMP/job2/shards"
echo "test-ray: batch identify on the cluster (a small model: 8 crops per hero of job 1)"
mkdir -p "$TMP/small-crops" "$TMP/clips"
for hero in "$TMP/single"/*/; do
  name=$(basename "$hero")
  mkdir -p "$TMP/small-crops/$name"
  find "$hero" -maxdepth 1 -name '*.jpg' | LC_ALL=C sort | head -n 8 |
    xargs -I{} cp {} "$TMP/small-crops/$name/"
done
"$HERO_ID" train "$TMP/small-crops" --model "$TMP/small-model" --steps 300 >/dev/null 2>&1
for c in clip_01 clip_02 clip_03 clip_04 clip_05; do cp "samples/test/$c.mp4" "$TMP/clips/"; done
"$HERO_ID" batch identify "$TMP/clips" --model "$TMP/small-model" --report "$TMP/single.csv" \
  --quiet || true
"${DRIVER[@]}" identify "$TMP/clips" --work "$TMP/job3" --report "$TMP/job3/report.csv" \
  --model "$TMP/small-model" --shards 3 --hero-id "$HERO_ID" --progress-seconds 3 \
  --summary "$TMP/job3.json" || true
"$RAY_PYTHON" - "$TMP/single.csv" "$TMP/job3/report.csv" <<'EOF'
import csv, sys
a = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
b = list(csv.DictReader(open(sys.argv[2], encoding="utf-8")))
assert len(a) == 5 and len(b) == 5, (len(a), len(b))
for x, y in zip(sorted(a, key=lambda r: r["video"]), b):
    assert (x["video"], x["status"], x["hero"]) == (y["video"], y["status"], y["hero"]), (x, y)
    assert abs(float(x["confidence"]) - float(y["confidence"])) <= 1e-3, (x, y)
print(f"test-ray: identify report of {len(b)} clips equals the single-machine report")
EOF
echo "test-ray: passed"
