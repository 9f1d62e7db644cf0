#!/usr/bin/env bash
# A developer's tool, not CI: builds the libFuzzer targets of fuzz/ with
# clang-14 (ASan + UBSan) into build-fuzz/ and fuzzes each for SECONDS
# (default 60), starting from its checked-in corpus fuzz/corpus/TARGET.
# Inputs that find new coverage go to build-fuzz/corpus/TARGET (scratch: copy
# the ones worth keeping into fuzz/corpus/TARGET), crashes, leaks, stalls and
# OOMs to build-fuzz/crashes/TARGET/.
# libFuzzer runs in fork mode and keeps going after a finding, so one run
# lists them all. HOURGLASS_FUZZ_BUILD=build-asan fuzzes with the targets of
# scripts/test.sh's sanitizer build instead (not reconfigured).
# Usage: scripts/fuzz.sh TARGET|all [SECONDS]   (TARGET: a name in fuzz/corpus/)
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: scripts/fuzz.sh TARGET|all [SECONDS]; targets: $(ls fuzz/corpus | tr '\n' ' ')"
target=${1:?$usage}
seconds=${2:-60}
if [ "$target" = all ]; then
  mapfile -t targets < <(ls fuzz/corpus)
elif [ -d "fuzz/corpus/$target" ]; then
  targets=("$target")
else
  echo "$usage" >&2
  exit 2
fi

build=${HOURGLASS_FUZZ_BUILD:-build-fuzz}
if [ -z "${HOURGLASS_FUZZ_BUILD:-}" ]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++-14 -DHOURGLASS_FUZZ=ON -DBUILD_TESTING=OFF \
    "${launcher[@]}" >/dev/null
fi
ninja -C "$build" -j "${HOURGLASS_JOBS:-2}" "${targets[@]/#/fuzz_}"

failed=()
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t" crashes="$build/crashes/$t"
  mkdir -p "$corpus" "$crashes"
  echo "== fuzzing $t for ${seconds}s"
  # The first corpus directory receives new inputs; the checked-in one is only read.
  "$build/fuzz/fuzz_$t" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
    -artifact_prefix="$crashes/" "$corpus" "fuzz/corpus/$t" 2>"$build/fuzz-$t.log" || true
  grep -E '^#[0-9]+ +DONE|^INFO: exiting' "$build/fuzz-$t.log" | tail -1 || true
  if [ -n "$(ls -A "$crashes")" ]; then
    failed+=("$t")
    ls "$crashes"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "findings in $build/crashes/ (log: $build/fuzz-TARGET.log): ${failed[*]}" >&2
  exit 1
fi
echo "no findings"
