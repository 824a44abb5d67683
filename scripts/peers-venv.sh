#!/usr/bin/env bash
# Sourced by scripts/bench-inception.sh and scripts/bench-e2e.sh: makes sure the throw-away
# bench venv ($HERO_ID_HOME/bench-venv: torch, onnx, onnxruntime, pillow; ~5.5 GB, made on first
# use and reused) and the ONNX export of the weights exist, and sets PY and ONNX. Needs WEIGHTS.
# Not a bench itself (scripts/bench.sh runs only scripts/bench-*.sh).
PEERS_HOME="${HERO_ID_HOME:-$HOME/.cache/hero-id}"
VENV="$PEERS_HOME/bench-venv"
ONNX="$PEERS_HOME/inception-2015-12-05.onnx"
PY="$VENV/bin/python"
if [ ! -x "$PY" ] || ! "$PY" -c "import torch, onnx, onnxruntime, PIL, numpy" 2>/dev/null; then
  echo "peers: installing torch, onnx, onnxruntime, pillow into $VENV (once, ~5.5 GB)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet torch onnx onnxruntime pillow numpy
fi
if [ ! -f "$ONNX" ]; then
  echo "peers: exporting $WEIGHTS to $ONNX (torch.onnx.export, dynamo=False)"
  "$PY" scripts/bench-inception-peers.py export "$WEIGHTS" "$ONNX.tmp" 2>"$ONNX.log" \
    || { cat "$ONNX.log" >&2; exit 1; }
  mv "$ONNX.tmp" "$ONNX"
fi
