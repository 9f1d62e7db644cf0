// Fuzz target: one from/until/now value through ParseAtTime and one interval
// through ParseTimeOffset (both are reachable from a render request). UBSan
// catches arithmetic overflow.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "query/time_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  constexpr int64_t kNow = 1420110000;  // 2015-01-01 11:00:00 UTC
  (void)hourglass::query::ParseAtTime(text, kNow);
  (void)hourglass::query::ParseTimeOffset(text);
  return 0;
}
