#!/usr/bin/env bash
# Issue 26's held-out figures over sample-maker's re-upload variations (docs/footage.md,
# "A varied training corpus"), with the README's commands and no flag:
#
# 1. a training corpus of 8 heroes x 8 videos (seeds 10001-10064): plain, the stream layout,
#    mirrored, vertical with a blurred fill, zoom 1.05 with a warm filter, danmaku over 960x540,
#    640x360 at 300 kbit/s with a colour filter, and skin 1;
# 2. `hero-id extract` (as `make demo`: every 0.5 s, slots 1,2,3) and `hero-id train`: the
#    three-slot model and the skill-2 model;
# 3. held-out renders never tuned on (seeds 10201-10249): per variation 4 clips of trained heroes
#    and 1 of a hero never trained, a combination, and 4 clips in skins never trained (2, 3);
#    8 clips in skin 1 (seeds 10301-10308);
# 4. `hero-id identify` of each, scored against the sidecar truth.
#
# About 25 minutes on 2 cores. Output in $OUT (default .bench/reuploads); re-runs reuse what is
# there.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$(swift build -c release --show-bin-path)"
[ -x "$BIN/hero-id" ] && [ -x "$BIN/sample-maker" ] || swift build -c release
SM="$BIN/sample-maker"
HID="$BIN/hero-id"
OUT="${OUT:-.bench/reuploads}"
mkdir -p "$OUT"
H=(亚瑟 后羿 妲己 孙悟空 李白 貂蝉 韩信 鲁班七号)
ABSENT=(诸葛亮 王昭君)

if [ ! -f "$OUT/train.done" ]; then
  echo "eval-reuploads: rendering the training corpus (64 clips)"
  TRAIN=("" "--style stream-16x9" "--mirror" "--vertical" "--zoom 1.05 --hue=-10 --saturation 0.85"
    "--danmaku 2 --size 960x540 --bitrate 400" "--size 640x360 --bitrate 300 --hue=10 --contrast 1.15"
    "--skin 1")
  seed=10000
  for h in "${H[@]}"; do
    mkdir -p "$OUT/videos/$h"
    for i in "${!TRAIN[@]}"; do
      seed=$((seed + 1))
      # shellcheck disable=SC2086
      "$SM" clip --hero "$h" --seed "$seed" --duration 12 ${TRAIN[$i]} \
        --out "$OUT/videos/$h/${h}_v$i.mp4" >/dev/null 2>&1
    done
  done
  touch "$OUT/train.done"
fi

if [ ! -f "$OUT/test.done" ]; then
  echo "eval-reuploads: rendering the held-out clips (57)"
  VARIATIONS=("mirror:--mirror" "turned:--rotate 90" "vertical:--vertical" "danmaku:--danmaku 3"
    "zoom:--zoom 1.06" "colour:--hue=12 --saturation 1.2 --contrast 1.1"
    "warm:--hue=-8 --saturation 0.8" "360p:--size 640x360 --bitrate 250"
    "combo:--mirror --zoom 1.04 --danmaku 2 --size 960x540 --bitrate 400")
  mkdir -p "$OUT/test"
  : >"$OUT/truth.csv"
  seed=10200
  k=1
  for v in "${VARIATIONS[@]}"; do
    name=${v%%:*}
    args=${v#*:}
    for i in 0 1 2 3; do
      seed=$((seed + 1))
      h=${H[$(((k * 4 + i) % 8))]}
      # shellcheck disable=SC2086
      "$SM" clip --hero "$h" --seed "$seed" --duration 12 $args --out "$OUT/test/${name}_$i.mp4" >/dev/null 2>&1
      echo "${name}_$i.mp4,$name,$h,known" >>"$OUT/truth.csv"
    done
    seed=$((seed + 1))
    h=${ABSENT[$((k % 2))]}
    # shellcheck disable=SC2086
    "$SM" clip --hero "$h" --seed "$seed" --duration 12 $args --out "$OUT/test/${name}_x.mp4" >/dev/null 2>&1
    echo "${name}_x.mp4,$name,$h,absent" >>"$OUT/truth.csv"
    k=$((k + 1))
  done
  for i in 0 1 2 3; do
    seed=$((seed + 1))
    h=${H[$(((i * 3 + 1) % 8))]}
    "$SM" clip --hero "$h" --seed "$seed" --duration 12 --skin $((2 + i % 2)) \
      --out "$OUT/test/skin_$i.mp4" >/dev/null 2>&1
    echo "skin_$i.mp4,unseen skin,$h,skin" >>"$OUT/truth.csv"
  done
  seed=10300
  for h in "${H[@]}"; do
    seed=$((seed + 1))
    "$SM" clip --hero "$h" --seed "$seed" --duration 12 --skin 1 --out "$OUT/test/skin1_$h.mp4" >/dev/null 2>&1
    echo "skin1_$h.mp4,trained skin 1,$h,known" >>"$OUT/truth.csv"
  done
  touch "$OUT/test.done"
fi

if [ ! -f "$OUT/crops/index.csv" ]; then
  echo "eval-reuploads: hero-id extract"
  "$HID" extract "$OUT"/videos/*/*.mp4 --out "$OUT/crops" --all-frames --every 0.5 --slots 1,2,3 \
    >"$OUT/extract.log" 2>&1
fi
[ -f "$OUT/model3/model.json" ] || "$HID" train "$OUT/crops" --model "$OUT/model3" >"$OUT/train3.txt" 2>/dev/null
[ -f "$OUT/model2/model.json" ] || "$HID" train "$OUT/crops" --slots 2 --model "$OUT/model2" >"$OUT/train2.txt" 2>/dev/null
for m in model3 model2; do
  echo "eval-reuploads: hero-id identify with $m"
  "$HID" identify "$OUT"/test/*.mp4 --model "$OUT/$m" --json >"$OUT/$m.jsonl" 2>/dev/null || true
done

python3 - "$OUT" <<'PYEOF'
import collections, csv, json, os, sys
out = sys.argv[1]
truth = {r[0]: r for r in csv.reader(open(os.path.join(out, "truth.csv")))}
for m in ("model3", "model2"):
    rows = [json.loads(l) for l in open(os.path.join(out, m + ".jsonl")) if l.strip()]
    per = collections.OrderedDict()
    total = collections.Counter()
    for j in rows:
        name, variation, hero, kind = truth[os.path.basename(j["video"])]
        got = j.get("hero")
        c = per.setdefault(variation, collections.Counter())
        c[kind] += 1
        total[kind] += 1
        if kind in ("known", "skin") and got == hero:
            outcome = "right"
        elif got is None:
            outcome = "unknown"
        elif kind == "absent":
            outcome = "named"
        else:
            outcome = "wrong"
        c[kind + " " + outcome] += 1
        total[kind + " " + outcome] += 1
        if outcome in ("wrong", "named") or (kind == "known" and outcome == "unknown"):
            print(f"  {m}: {name} ({hero}): {got or 'unknown'}")
    print(f"{m}: known right {total['known right']}/{total['known']}, "
          f"wrongly rejected {total['known unknown']}, another hero {total['known wrong']}; "
          f"absent unknown {total['absent unknown']}/{total['absent']}; "
          f"unseen skin: right {total['skin right']}, unknown {total['skin unknown']}, "
          f"another hero {total['skin wrong']} of {total['skin']}")
    for v, c in per.items():
        print(f"    {v}: " + ", ".join(f"{k} {n}" for k, n in sorted(c.items())))
PYEOF
