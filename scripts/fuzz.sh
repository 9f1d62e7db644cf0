#!/usr/bin/env bash
# A developer's tool, not CI: builds the libFuzzer targets of fuzz/ with
# clang-14 (ASan + UBSan) into build-fuzz/ and fuzzes each for SECONDS
# (default 60), starting from its checked-in corpus fuzz/corpus/TARGET.
# Inputs that find new coverage go to build-fuzz/corpus/TARGET (scratch: copy
# the ones worth keeping into fuzz/corpus/TARGET), crashes, leaks, stalls and
# OOMs to build-fuzz/crashes/TARGET/.
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

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-14 -DHOURGLASS_FUZZ=ON -DBUILD_TESTING=OFF \
  "${launcher[@]}" >/dev/null
ninja -C build-fuzz -j "${HOURGLASS_JOBS:-2}" "${targets[@]/#/fuzz_}"

failed=()
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/crashes/$t"
  echo "== fuzzing $t for ${seconds}s"
  # The first corpus directory receives new inputs; the checked-in one is only read.
  if ! "build-fuzz/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=8192 -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$t/" \
    "build-fuzz/corpus/$t" "fuzz/corpus/$t"; then
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "findings (see build-fuzz/crashes/): ${failed[*]}" >&2
  exit 1
fi
echo "no findings"
