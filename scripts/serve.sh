#!/usr/bin/env bash
# Set-up command 1: install what is missing, build, and run `hourglass serve`
# on the embedded defaults (statsd udp :8125, http 127.0.0.1:8080,
# data in ./hourglass-data). Extra arguments go to `hourglass serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build
scripts/build.sh hourglass
exec build/server/hourglass serve "$@"
