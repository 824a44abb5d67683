#!/usr/bin/env bash
# make demo: the main job on the bundled samples.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "demo: being built"
