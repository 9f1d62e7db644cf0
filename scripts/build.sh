#!/usr/bin/env bash
# Configures and builds Hourglass into build/ (two parallel jobs: the
# machines this runs on have two cores).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build -j "${HOURGLASS_JOBS:-2}" "$@"
