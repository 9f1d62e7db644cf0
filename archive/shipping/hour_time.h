// Time arguments of the archive commands and the /archive HTTP route: an
// HOUR ("2026-11-21T05" or "20261121T0500Z") and a time T (an HOUR,
// "2026-11-21T05:00:00Z", epoch seconds, "now", or relative "-3h", "-30min",
// "-2d"). Pure functions (the current time comes in); any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace hourglass::archive {

// Hours since the Unix epoch for "2026-11-21T05" or "20261121T0500Z".
common::Result<int64_t> ParseHour(std::string_view text);

// Unix seconds for T, relative forms counted back from now_s.
common::Result<int64_t> ParseTime(std::string_view text, int64_t now_s);

// "2026-11-21T05": how commands print an hour.
std::string FormatHour(int64_t hour);

}  // namespace hourglass::archive
