#!/usr/bin/env bash
# Set-up command 2: install what is missing, build, and run every test
# (Catch2 unit tests and end-to-end tests against the real binary, all
# through CTest), then the sanitizer run: the unit tests and a replay of each
# fuzz target's corpus, built with clang-14, ASan and UBSan in build-asan/
# (skip it with HOURGLASS_SANITIZER_RUN=0). Arguments go to both ctest runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
scripts/build.sh
status=0
(cd build && ctest --output-on-failure -j 2 --timeout 600 "$@") || status=1

if [ "${HOURGLASS_SANITIZER_RUN:-1}" != 0 ]; then
  echo "== sanitizer run (clang-14, ASan + UBSan): unit tests and fuzz corpus replays"
  # -O1 and line tables only (asserts kept): the sanitizers' usual setting, and the cheapest
  # build that still gives file:line stack traces.
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++-14 \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DHOURGLASS_FUZZ=ON -DHOURGLASS_E2E_TESTS=OFF >/dev/null
  ninja -C build-asan -j "${HOURGLASS_JOBS:-2}" unit_tests fuzz_targets
  (cd build-asan && ctest --output-on-failure -j 2 --timeout 600 "$@") || status=1
fi
exit $status
