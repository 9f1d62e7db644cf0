// Fuzz target: a glob pattern (as in render targets and /metrics/find) and a
// series name (FuzzedDataProvider): brace expansion, GlobMatcher per node and
// the full-path GlobMatch. Checks that a literal pattern matches its own
// alternatives and that expansion stays within its limit.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz/fuzz_check.h"
#include "store/glob_matcher.h"

namespace store = hourglass::store;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider input(data, size);
  const std::string pattern = input.ConsumeRandomLengthString();
  const std::string name = input.ConsumeRemainingBytesAsString();
  FUZZ_CHECK(store::ExpandBraces(pattern).size() <= store::kMaxBraceAlternatives);
  (void)store::HasGlob(pattern);
  (void)store::GlobMatch(pattern, name);
  for (std::string_view node : store::SplitNodes(pattern)) {
    const store::GlobMatcher matcher(node);
    (void)matcher.Matches(name);
    if (matcher.is_literal()) {
      for (const std::string& literal : matcher.alternatives()) {
        FUZZ_CHECK(matcher.Matches(literal));
      }
    }
  }
  return 0;
}
