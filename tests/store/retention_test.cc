#include <catch2/catch.hpp>

#include "store/series_store.h"

using hourglass::store::ParseRetentions;

TEST_CASE("ParseRetentions reads carbon's syntax", "[store][retention]") {
  auto r = ParseRetentions("10s:6h,1m:7d,10m:5y");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 3);
  CHECK((*r)[0].step == 10);
  CHECK((*r)[0].duration == 6 * 3600);
  CHECK((*r)[1].step == 60);
  CHECK((*r)[1].duration == 7 * 86400);
  CHECK((*r)[2].step == 600);
  CHECK((*r)[2].duration == 5 * 365 * 86400);
}

TEST_CASE("ParseRetentions accepts unit words and point counts", "[store][retention]") {
  auto r = ParseRetentions("10sec:6hours, 60:1440");
  REQUIRE(r.ok());
  CHECK((*r)[0].duration == 21600);
  CHECK((*r)[1].step == 60);
  CHECK((*r)[1].duration == 1440 * 60);  // bare duration = number of points
  auto w = ParseRetentions("1min:2w,1h:1y");
  REQUIRE(w.ok());
  CHECK((*w)[0].duration == 14 * 86400);
}

TEST_CASE("ParseRetentions rejects bad resolution lists with a reason", "[store][retention]") {
  auto message = [](const char* text) {
    auto r = ParseRetentions(text);
    REQUIRE_FALSE(r.ok());
    return r.status().message();
  };
  CHECK_THAT(message("10s:6h,15s:7d"), Catch::Contains("not a multiple"));
  CHECK_THAT(message("1m:7d,10s:6h"), Catch::Contains("coarser step"));
  CHECK_THAT(message("10s:6h,1m:1h"), Catch::Contains("longer"));
  CHECK_THAT(message("10x:6h"), Catch::Contains("unknown unit 'x'"));
  CHECK_THAT(message("10s"), Catch::Contains("STEP:DURATION"));
  CHECK_THAT(message(""), Catch::Contains("STEP:DURATION"));
  CHECK_THAT(message("10s:5s"), Catch::Contains("shorter than the step"));
  CHECK_THAT(message("-10s:6h"), Catch::Contains("positive number"));
  CHECK_THAT(message("10s:1m,10m:1y"), Catch::Contains("whole duration"));
  // The largest count of years that fits in int64 seconds, then one more.
  CHECK_THAT(message("10s:292471208677y"), Catch::Contains("longer than 136 years"));
  CHECK_THAT(message("10s:292471208678y"), Catch::Contains("'292471208678y' is too long"));
}
