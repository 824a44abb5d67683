#!/usr/bin/env bash
# Renders the clips the built-in screen model was trained on, or the held-out clips its figures
# in docs/screens.md were measured on (sample-maker clip: 10 fps, a key frame every 0.5 s).
#
#   scripts/screen-clips.sh train DIR      # 19 clips: 李白 貂蝉 韩信 妲己 x 4, 3 without a hero
#   scripts/screen-clips.sh heldout DIR    # 7 clips: the 6 other heroes, 1 without a hero
#
# Then: hero-id screens train DIR/*.mp4 --out screen-model.json
#       scripts/eval-screens.sh DIR          (SCREEN_MODEL=screen-model.json to use it)
# Rendering is slow (a few frames per second per clip); expect 10-20 minutes for train.
set -euo pipefail
kind=${1:?usage: $0 train|heldout DIR}
dir=${2:?usage: $0 train|heldout DIR}
cd "$(dirname "$0")/.."
swift build -c release --product sample-maker >/dev/null
SM="$(swift build -c release --show-bin-path)/sample-maker"
dir=$(mkdir -p "$dir" && cd "$dir" && pwd)
clip() {  # hero seed size kbit/s seconds
  "$SM" clip --hero "$1" --seed "$2" --size "$3" --fps 10 --keyint 5 --bitrate "$4" \
    --duration "$5" --out "$dir/$1-$2.mp4"
}
sizes=(960x540 1280x720 1920x1080)
rates=(150 400 900)
case "$kind" in
  train)
    i=0
    for hero in 李白 貂蝉 韩信 妲己; do
      for seed in 101 202 303; do
        i=$((i + 1))
        clip "$hero" $((seed + i)) "${sizes[$((i % 3))]}" "${rates[$((i % 3))]}" 30
      done
      clip "$hero" 404 1280x720 250 30
    done
    clip none 11 960x540 300 20
    clip none 12 960x540 300 20
    clip none 13 1280x720 300 20
    ;;
  heldout)
    hsizes=(960x540 1280x720 1920x1080)
    hrates=(120 500 1000)
    i=0
    for hero in 后羿 亚瑟 鲁班七号 孙悟空 诸葛亮 王昭君; do
      i=$((i + 1))
      clip "$hero" $((900 + i)) "${hsizes[$((i % 3))]}" "${hrates[$((i % 3))]}" 30
    done
    clip none 990 1280x720 200 20
    ;;
  *) echo "usage: $0 train|heldout DIR" >&2; exit 2 ;;
esac
