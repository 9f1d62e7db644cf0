// Graphite's "at" time syntax (graphite-web render/attime.py) for from/until/
// now: "now", epoch seconds, "-6h", "now-5min", "HH:MM_YYYYMMDD", "YYYYMMDD",
// "today", "noon yesterday", "MM/DD/YY", "jan15", "monday". Pure functions,
// any thread. Hourglass has no time zone setting: every wall-clock form is UTC.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace hourglass::query {

// Times are Python datetimes in graphite-web: years 1 to 9999 (UTC here),
// and an offset is a timedelta of at most 999,999,999 days either way. The
// same bounds keep every sum of a time and an offset far from int64 overflow.
inline constexpr int64_t kMinTime = -62135596800;  // 0001-01-01T00:00:00Z
inline constexpr int64_t kMaxTime = 253402300799;  // 9999-12-31T23:59:59Z
inline constexpr int64_t kMaxOffset = 999999999LL * 86400;

// Parses `text` relative to `now` (Unix seconds) and returns Unix seconds,
// from kMinTime to kMaxTime (beyond: an error, as graphite-web's datetime).
common::Result<int64_t> ParseAtTime(std::string_view text, int64_t now);

// An offset such as "-1h30min", "+2d", "5min" (no sign means +), in seconds.
// Units by prefix as attime.py: s*, min*, h*, d*, w*, mon* (30 d), y* (365 d).
// At most kMaxOffset seconds either way (more: an error, as timedelta's).
common::Result<int64_t> ParseTimeOffset(std::string_view offset);

// `time` + `delta` (seconds), refused outside kMinTime..kMaxTime as Python's
// datetime + timedelta: for functions that fetch over a shifted range.
common::Result<int64_t> ShiftTime(int64_t time, int64_t delta);

}  // namespace hourglass::query
