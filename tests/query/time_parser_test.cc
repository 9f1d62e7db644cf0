#include "query/time_parser.h"

#include <catch2/catch.hpp>

namespace hourglass::query {
namespace {

constexpr int64_t kNow = 1420110000;       // 2015-01-01 11:00:00 UTC, a Thursday
constexpr int64_t kMidnight = 1420070400;  // 2015-01-01 00:00:00 UTC
constexpr int64_t kDay = 86400;

int64_t At(std::string_view text) {
  auto r = ParseAtTime(text, kNow);
  INFO(text << ": " << r.status().message());
  REQUIRE(r.ok());
  return *r;
}

TEST_CASE("now, empty and epoch seconds") {
  CHECK(At("now") == kNow);
  CHECK(At("") == kNow);
  CHECK(At("NOW") == kNow);
  CHECK(At("1420000000") == 1420000000);
  CHECK(At("0") == 0);
  // Eight digits that are not a valid YYYYMMDD are epoch seconds.
  CHECK(At("20141301") == 20141301);
}

TEST_CASE("relative offsets with every unit spelling") {
  CHECK(At("-6h") == kNow - 6 * 3600);
  CHECK(At("-5min") == kNow - 300);
  CHECK(At("-5minutes") == kNow - 300);
  CHECK(At("-10s") == kNow - 10);
  CHECK(At("-10sec") == kNow - 10);
  CHECK(At("-10seconds") == kNow - 10);
  CHECK(At("-3hours") == kNow - 3 * 3600);
  CHECK(At("-2d") == kNow - 2 * kDay);
  CHECK(At("-2days") == kNow - 2 * kDay);
  CHECK(At("-2w") == kNow - 14 * kDay);
  CHECK(At("-1weeks") == kNow - 7 * kDay);
  CHECK(At("-1mon") == kNow - 30 * kDay);
  CHECK(At("-2months") == kNow - 60 * kDay);
  CHECK(At("-1y") == kNow - 365 * kDay);
  CHECK(At("-1years") == kNow - 365 * kDay);
  CHECK(At("-1d") == kNow - kDay);
  CHECK(At("+1d") == kNow + kDay);
  CHECK(At("now-5min") == kNow - 300);
  CHECK(At("now+1h") == kNow + 3600);
  // One sign applies to every term, as in attime.py.
  CHECK(At("-1h30min") == kNow - 5400);
  CHECK(At(" -1H ") == kNow - 3600);
  CHECK(At("now-") == kNow);
}

TEST_CASE("absolute dates and times are UTC") {
  CHECK(At("12:00_20140101") == 1388577600);
  CHECK(At("00:00_20140101") == 1388534400);
  CHECK(At("20140101") == 1388534400);
  CHECK(At("9:30_20140101") == 1388534400 + 9 * 3600 + 1800);
  CHECK(At("3:30pm_20140101") == 1388534400 + 15 * 3600 + 1800);
  CHECK(At("01/15/14") == 1388534400 + 14 * kDay);
  CHECK(At("01/15/2014") == 1388534400 + 14 * kDay);
  CHECK(At("jan15") == kMidnight + 14 * kDay);
  CHECK(At("january5") == kMidnight + 4 * kDay);
  CHECK(At("20140101-1d") == 1388534400 - kDay);
  CHECK(At("12:00_20140101+1h") == 1388577600 + 3600);
}

TEST_CASE("day and time-of-day words") {
  CHECK(At("today") == kMidnight);
  CHECK(At("midnight") == kMidnight);
  CHECK(At("yesterday") == kMidnight - kDay);
  CHECK(At("tomorrow") == kMidnight + kDay);
  CHECK(At("noon") == kMidnight + 12 * 3600);
  CHECK(At("teatime") == kMidnight + 16 * 3600);
  CHECK(At("noon yesterday") == kMidnight - kDay + 12 * 3600);
  CHECK(At("6pm_today") == kMidnight + 18 * 3600);
  CHECK(At("8am") == kMidnight + 8 * 3600);
  CHECK(At("midnight-1d") == kMidnight - kDay);
  CHECK(At("thursday") == kMidnight);
  CHECK(At("monday") == kMidnight - 3 * kDay);
  CHECK(At("friday") == kMidnight - 6 * kDay);
  CHECK(At("sunday") == kMidnight - 4 * kDay);
}

TEST_CASE("bad times are errors with a reason") {
  for (std::string_view bad : {"-5foo", "garbage", "-h", "12:00_20140230", "-1x", "25:00_20140101",
                               "jan", "now*2", "2024-01-01"}) {
    INFO(bad);
    auto r = ParseAtTime(bad, kNow);
    CHECK_FALSE(r.ok());
    CHECK_FALSE(r.status().message().empty());
  }
  CHECK(ParseTimeOffset("-5foo").status().message() == "Invalid offset unit 'foo'");
}

TEST_CASE("ParseTimeOffset") {
  CHECK(*ParseTimeOffset("") == 0);
  CHECK(*ParseTimeOffset("5min") == 300);
  CHECK(*ParseTimeOffset("+1h") == 3600);
  CHECK(*ParseTimeOffset("-7d") == -7 * kDay);
}

TEST_CASE("offsets beyond timedelta's range are refused, never overflow") {
  // The regression input: 300 terms of 1e9 years overflowed int64 before.
  std::string huge = "+";
  for (int i = 0; i < 300; ++i) huge += "1000000000y";
  auto r = ParseTimeOffset(huge);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("out of range"));
  // At the bound: 999,999,999 days either way, one second more refused.
  CHECK(*ParseTimeOffset("+999999999d") == kMaxOffset);
  CHECK(*ParseTimeOffset("-999999999d") == -kMaxOffset);
  CHECK_FALSE(ParseTimeOffset("+999999999d1s").ok());
  CHECK_FALSE(ParseTimeOffset("-999999999d1s").ok());
  CHECK_FALSE(ParseTimeOffset("1000000000d").ok());
  CHECK_FALSE(ParseTimeOffset("-1000000000y").ok());
  CHECK_FALSE(ParseAtTime("now" + huge, kNow).ok());
  CHECK_FALSE(ParseAtTime("-1000000000y", kNow).ok());
}

TEST_CASE("times stay within years 1 to 9999, as Python's datetime") {
  CHECK(At("253402300799") == kMaxTime);
  CHECK_FALSE(ParseAtTime("253402300800", kNow).ok());
  CHECK_FALSE(ParseAtTime("999999999999999999", kNow).ok());
  CHECK_FALSE(ParseAtTime("-9000y", kNow).ok());  // before year 1
  CHECK_FALSE(ParseAtTime("+8000y", kNow).ok());  // after 9999
  CHECK(*ShiftTime(kMaxTime, 0) == kMaxTime);
  CHECK(*ShiftTime(kMinTime, 0) == kMinTime);
  CHECK_FALSE(ShiftTime(kMaxTime, 1).ok());
  CHECK_FALSE(ShiftTime(kMinTime, -1).ok());
  CHECK_FALSE(ShiftTime(INT64_MAX, 1).ok());  // no signed overflow
  CHECK_FALSE(ShiftTime(INT64_MIN, -1).ok());
  CHECK_THAT(ShiftTime(kMaxTime, kMaxOffset).status().message(), Catch::Contains("out of range"));
}

}  // namespace
}  // namespace hourglass::query
