// Duration unit words, one table for config values ("10s", "5 min") and
// carbon retention strings ("10s:1d"): s, sec, second(s), m, min, minute(s),
// h, hour(s), d, day(s), w, week(s), y, year(s) (365 days). Graphite's
// from/until units (query/time_parser.cc) are graphite-web's and differ on
// purpose. Pure; any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace hourglass::common {

// Seconds in one `unit` (matched exactly, case-sensitive), or 0 when `unit` is
// not a duration unit word (including ""; a bare number means different
// things to config and to retentions, so callers decide).
int64_t DurationUnitSeconds(std::string_view unit);

// `count` units in seconds, or -1 for an unknown unit, a negative count or a
// result past INT64_MAX.
int64_t ScaleDuration(int64_t count, std::string_view unit);

// For error messages: the units, short.
inline constexpr std::string_view kDurationUnitsHint = "s, m(in), h, d, w, y";

}  // namespace hourglass::common
