// Graphite's "at" time syntax (graphite-web render/attime.py) for from/until/
// now: "now", epoch seconds, "-6h", "now-5min", "HH:MM_YYYYMMDD", "YYYYMMDD",
// "today", "noon yesterday", "MM/DD/YY", "jan15", "monday". Pure functions,
// any thread. Hourglass has no time zone setting: every wall-clock form is UTC.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace hourglass::query {

// Parses `text` relative to `now` (Unix seconds) and returns Unix seconds.
common::Result<int64_t> ParseAtTime(std::string_view text, int64_t now);

// An offset such as "-1h30min", "+2d", "5min" (no sign means +), in seconds.
// Units by prefix as attime.py: s*, min*, h*, d*, w*, mon* (30 d), y* (365 d).
common::Result<int64_t> ParseTimeOffset(std::string_view offset);

}  // namespace hourglass::query
