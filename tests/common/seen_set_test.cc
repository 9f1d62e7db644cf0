#include "common/seen_set.h"

#include <catch2/catch.hpp>

namespace hourglass::common {
namespace {

TEST_CASE("SeenSet: new ids once, cleared when full") {
  SeenSet seen(3);
  CHECK(seen.Insert(1));
  CHECK_FALSE(seen.Insert(1));
  CHECK(seen.Insert(2));
  CHECK(seen.Insert(3));
  // At the bound: 3 ids held, all known; a known id does not clear the set.
  CHECK(seen.size() == 3);
  CHECK_FALSE(seen.Insert(3));
  CHECK(seen.Contains(1));
  // Past it: a 4th id clears the set first, so 1 is new again.
  CHECK(seen.Insert(4));
  CHECK(seen.size() == 1);
  CHECK_FALSE(seen.Contains(1));
  CHECK(seen.Insert(1));
  seen.Erase(1);
  CHECK_FALSE(seen.Contains(1));
  CHECK(seen.Contains(4));
}

}  // namespace
}  // namespace hourglass::common
