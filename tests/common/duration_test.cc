// common/duration.h: the one unit table behind config durations and carbon
// retentions accepts every word either accepted before it was shared.
#include "common/duration.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>

using hourglass::common::DurationUnitSeconds;
using hourglass::common::ScaleDuration;

TEST_CASE("every unit word either parser accepted maps to its seconds", "[duration]") {
  // Config's words (s, sec, m, min, h, d, w, y) and carbon retention's
  // (s, sec, second(s), m, min, minute(s), hour(s), day(s), week(s), year(s)).
  const std::pair<const char*, int64_t> words[] = {
      {"s", 1},         {"sec", 1},        {"second", 1},   {"seconds", 1},     {"m", 60},
      {"min", 60},      {"minute", 60},    {"minutes", 60}, {"h", 3600},        {"hour", 3600},
      {"hours", 3600},  {"d", 86400},      {"day", 86400},  {"days", 86400},    {"w", 604800},
      {"week", 604800}, {"weeks", 604800}, {"y", 31536000}, {"year", 31536000}, {"years", 31536000},
  };
  for (const auto& [word, seconds] : words) {
    INFO(word);
    CHECK(DurationUnitSeconds(word) == seconds);
    CHECK(ScaleDuration(3, word) == 3 * seconds);
  }
}

TEST_CASE("anything else is not a unit", "[duration]") {
  for (const char* word :
       {"", "x", "S", "Min", "mins", "ms", "mo", "month", "parsecs", " s", "s "}) {
    INFO(word);
    CHECK(DurationUnitSeconds(word) == 0);
    CHECK(ScaleDuration(1, word) == -1);
  }
}

TEST_CASE("ScaleDuration refuses negative counts and overflow at the bound", "[duration]") {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  CHECK(ScaleDuration(-1, "s") == -1);
  CHECK(ScaleDuration(0, "y") == 0);
  CHECK(ScaleDuration(kMax, "s") == kMax);
  CHECK(ScaleDuration(kMax / 60, "m") == kMax / 60 * 60);
  CHECK(ScaleDuration(kMax / 60 + 1, "m") == -1);
  CHECK(ScaleDuration(kMax / 31536000 + 1, "y") == -1);
}
