// Fuzz target: the HOUR and T arguments of the archive commands and the
// /archive route: ParseHour, ParseTime, and FormatHour of what parsed, which
// must parse back to the same hour.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "archive/shipping/hour_time.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  namespace archive = hourglass::archive;
  constexpr int64_t kNow = 1795150800;  // 2026-11-20T05:00:00Z
  auto hour = archive::ParseHour(text);
  if (hour.ok()) {
    auto again = archive::ParseHour(archive::FormatHour(*hour));
    FUZZ_CHECK(again.ok() && *again == *hour);
  }
  (void)archive::ParseTime(text, kNow);
  return 0;
}
