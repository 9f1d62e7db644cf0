#include "common/utc_time.h"

#include <catch2/catch.hpp>

using namespace hourglass::common;

namespace {
constexpr int64_t k20261121T05 = 1795237200;  // 2026-11-21T05:00:00Z
}

TEST_CASE("civil time from epoch seconds and back") {
  const CivilTime c = CivilFromSeconds(k20261121T05 + 7 * 60 + 9);
  CHECK(c.year == 2026);
  CHECK(c.month == 11);
  CHECK(c.day == 21);
  CHECK(c.hour == 5);
  CHECK(c.minute == 7);
  CHECK(c.second == 9);
  CHECK(SecondsFromCivil(c) == k20261121T05 + 7 * 60 + 9);
  CHECK(CivilFromSeconds(0).year == 1970);
  CHECK(CivilFromSeconds(-1).year == 1969);  // the second before the epoch
}

TEST_CASE("SecondsFromCivil normalises like timegm; ExactSecondsFromCivil refuses") {
  CHECK(SecondsFromCivil({2026, 13, 1, 0, 0, 0}) == SecondsFromCivil({2027, 1, 1, 0, 0, 0}));
  CHECK(ExactSecondsFromCivil({2026, 11, 21, 5, 0, 0}) == k20261121T05);
  CHECK(ExactSecondsFromCivil({2028, 2, 29, 0, 0, 0}).has_value());  // leap year
  CHECK_FALSE(ExactSecondsFromCivil({2026, 2, 29, 0, 0, 0}));
  CHECK_FALSE(ExactSecondsFromCivil({2026, 2, 30, 0, 0, 0}));
  CHECK_FALSE(ExactSecondsFromCivil({2026, 13, 1, 0, 0, 0}));
  CHECK_FALSE(ExactSecondsFromCivil({2026, 1, 1, 24, 0, 0}));
  CHECK_FALSE(ExactSecondsFromCivil({2026, 1, 1, 0, 60, 0}));
  CHECK(ExactSecondsFromCivil({2026, 1, 1, 23, 59, 59}).has_value());
}

TEST_CASE("hour stamps") {
  CHECK(HourStamp(k20261121T05 / 3600) == "20261121T0500Z");
  CHECK(HourStamp(0) == "19700101T0000Z");
  CHECK(ParseHourStamp("20261121T0500Z") == k20261121T05 / 3600);
  CHECK(ParseHourStamp("19700101T0000Z") == 0);
  CHECK_FALSE(ParseHourStamp("20260230T0500Z"));  // no such day
  CHECK_FALSE(ParseHourStamp("20261121T2400Z"));
  CHECK_FALSE(ParseHourStamp("20261121T0530Z"));  // not on the hour
  CHECK_FALSE(ParseHourStamp("20261121T0500"));
  CHECK_FALSE(ParseHourStamp("2026112xT0500Z"));
}

TEST_CASE("FormatUtc is strftime in UTC") {
  CHECK(FormatUtc(k20261121T05 + 9, "%Y%m%dT%H%M%SZ") == "20261121T050009Z");
  CHECK(FormatUtc(0, "%Y-%m-%d %H:%M:%S") == "1970-01-01 00:00:00");
}
