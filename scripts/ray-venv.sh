#!/usr/bin/env bash
# make ray-venv: Ray from PyPI in $HERO_ID_HOME/ray-venv, for pipelines/ray/ (the driver and
# the nodes' Python side; the work itself is the hero-id binary). Never used by hero-id itself.
set -euo pipefail
HOME_DIR="${HERO_ID_HOME:-$HOME/.cache/hero-id}"
VENV="$HOME_DIR/ray-venv"
PINS=("ray[default]==2.60.0")
STAMP="$VENV/.pins"
if [ -x "$VENV/bin/ray" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "${PINS[*]}" ]; then
  exit 0
fi
echo "ray-venv: creating $VENV (${PINS[*]})"
mkdir -p "$HOME_DIR"
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "${PINS[@]}"
echo "${PINS[*]}" >"$STAMP"
