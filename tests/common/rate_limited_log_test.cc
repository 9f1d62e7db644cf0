#include "common/rate_limited_log.h"

#include <catch2/catch.hpp>

using hourglass::common::RateLimitedLog;

TEST_CASE("one line per interval, counting every event in between") {
  RateLimitedLog log(10);
  CHECK(log.Take(100) == 1);  // the first event is logged
  CHECK(log.Take(101) == 0);  // inside the interval: counted, not logged
  CHECK(log.Take(105, 3) == 0);
  CHECK(log.Take(109) == 0);  // the interval ends at 110
  CHECK(log.Take(110) == 6);  // 1 + 3 + 1 held back, plus this one
  CHECK(log.Take(111) == 0);
}
