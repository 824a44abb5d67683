#!/usr/bin/env bash
# make export-venv: ONNX Runtime, onnx (checker), NumPy and Pillow from PyPI, for the export
# test only (scripts/test-export.sh), in $HERO_ID_HOME/export-venv. Never used at run time.
set -euo pipefail
HOME_DIR="${HERO_ID_HOME:-$HOME/.cache/hero-id}"
VENV="$HOME_DIR/export-venv"
PINS=(onnxruntime==1.32.0 onnx==1.23.2 numpy==2.4.6 pillow==13.0.0)
STAMP="$VENV/.pins"
if [ -x "$VENV/bin/python" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "${PINS[*]}" ]; then
  exit 0
fi
echo "export-venv: creating $VENV (${PINS[*]})"
mkdir -p "$HOME_DIR"
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "${PINS[@]}"
echo "${PINS[*]}" >"$STAMP"
