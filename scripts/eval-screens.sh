#!/usr/bin/env bash
# Per-screen precision/recall of the screen sorter on held-out clips.
#
#   scripts/eval-screens.sh                 # the committed samples/ clips of heroes the built-in
#                                           # screen model was not trained on (and clips without
#                                           # a hero), then all committed clips
#   scripts/eval-screens.sh DIR|CLIP...     # any clips with sidecars (sample-maker set/clip
#                                           # output), or folders of frames by screen
#   SCREEN_MODEL=m.json scripts/eval-screens.sh ...   # another model
#
# The built-in model was trained on clips of 李白, 貂蝉, 韩信 and 妲己 (docs/screens.md).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product hero-id >/dev/null
BIN="$(swift build -c release --show-bin-path)/hero-id"
model=()
[[ -n "${SCREEN_MODEL:-}" ]] && model=(--screen-model "$SCREEN_MODEL")
trained='"hero": "(李白|貂蝉|韩信|妲己)"'

clips_in() {  # every .mp4 with a sidecar under the given folders
  find "$@" -name '*.mp4' -print | sort | while read -r clip; do
    [[ -f "${clip%.mp4}.json" ]] && printf '%s\n' "$clip"
  done
}

if [[ $# -gt 0 ]]; then
  inputs=()
  for a in "$@"; do
    if [[ -d "$a" && ! -d "$a/gameplay" ]]; then
      while read -r c; do inputs+=("$c"); done < <(clips_in "$a")
    else
      inputs+=("$a")
    fi
  done
  "$BIN" screens eval "${model[@]}" "${inputs[@]}"
  exit
fi

[[ -d samples ]] || { echo "samples/ not found: give clips or folders" >&2; exit 1; }
held=()
all=()
while read -r c; do
  all+=("$c")
  grep -Eq "$trained" "${c%.mp4}.json" || held+=("$c")
done < <(clips_in samples)
echo "== held-out clips (heroes the screen model never saw, and clips without a hero): ${#held[@]}"
"$BIN" screens eval "${model[@]}" "${held[@]}"
echo
echo "== all committed clips: ${#all[@]}"
"$BIN" screens eval "${model[@]}" "${all[@]}"
