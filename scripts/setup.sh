#!/usr/bin/env bash
# One-time set-up: Debian packages, the Inception weights, a release build.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libturbojpeg0-dev
          libopenblas-dev libcairo2-dev libssl-dev pkg-config ffmpeg fonts-dejavu-core unzip jq bsdextrautils time
          chromium fonts-wqy-microhei python3)
# chromium (headless) runs the browser tests of `hero-id report` and `hero-id serve`;
# fonts-wqy-microhei draws the Chinese hero names in their screenshots; python3 runs the lock
# helpers of the tests and `make soak`.

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "setup: Debian packages present"
fi

scripts/fetch-weights.sh

echo "setup: building (release)"
swift build -c release --product hero-id
swift build -c release --product sample-maker
echo "setup: done. Binary: $(swift build -c release --show-bin-path)/hero-id"
