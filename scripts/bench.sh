#!/usr/bin/env bash
# make bench: every scripts/bench-*.sh in turn (each prints its own figures and ratios).
set -euo pipefail
cd "$(dirname "$0")/.."
for b in scripts/bench-*.sh; do
  echo "== $b"
  bash "$b"
done
