#!/usr/bin/env bash
# Set-up command 2: install what is missing, build, and run every test
# (Catch2 unit tests and end-to-end tests against the real binary, all
# through CTest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
scripts/build.sh
cd build
ctest --output-on-failure -j 2 --timeout 600 "$@"
