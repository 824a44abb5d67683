#!/usr/bin/env bash
# A folder of clips -> one identification row per clip (CSV).
#
#   pipelines/identify-folder.sh CLIPS_DIR MODEL_DIR REPORT.csv
#
# Runs `hero-id batch identify CLIPS_DIR --model MODEL_DIR --report REPORT.csv` (any folder
# layout; parallel; resumable through REPORT.csv.journal.jsonl: run again after a kill), then
# prints how many clips got each answer. REPORT.csv columns:
#   video,status,hero,confidence,frames,gameplay_frames,reason,error,picture,hud_scale,hud_dx,hud_dy,segments
# (video relative to CLIPS_DIR; status ok, unknown, duplicate, failed or unfinished). Exit 1 when
# a clip could not be read (the others are still in the report); 75 when the machine failed (a
# full disk, a read-only or forbidden report folder): fix it and run again, it does what is left.
#
# Environment:
#   HERO_ID        the hero-id binary (default: this checkout's .build/release/hero-id, else PATH)
#   IDENTIFY_ARGS  extra options for `batch identify`, e.g. "--jobs 2 --every 2 --shard 1/2"
set -euo pipefail

if [[ $# -ne 3 || $1 == -h || $1 == --help ]]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  [[ $# -eq 3 ]] && exit 0 || exit 2
fi
clips=$1
model=$2
report=$3
root=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z ${HERO_ID:-} ]]; then
  if [[ -x $root/.build/release/hero-id ]]; then HERO_ID=$root/.build/release/hero-id; else HERO_ID=hero-id; fi
fi
read -r -a identify_args <<<"${IDENTIFY_ARGS:-}"

status=0
"$HERO_ID" batch identify "$clips" --model "$model" --report "$report" "${identify_args[@]}" || status=$?
[[ $status -le 1 ]] || exit "$status"

# Answers per hero (third column; "unknown" when empty), from the report.
if [[ -f $report ]]; then
  echo "answers in $report:" >&2
  awk -F, 'NR > 1 { a[$3 == "" ? "(" $2 ")" : $3]++ } END { for (h in a) printf "  %s %d\n", h, a[h] }' \
    "$report" | sort >&2
fi
exit "$status"
