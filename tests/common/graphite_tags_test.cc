#include "common/graphite_tags.h"

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace hourglass::common {
namespace {

TEST_CASE("AppendGraphiteTags: Graphite's TaggedSeries.format order") {
  std::vector<std::string_view> tags = {"host=a", "dc=eu", "a=2", "a-b=1", "a.b=2"};
  std::string out = "cpu";
  AppendGraphiteTags(tags, out);
  // Sorted as "name=value" strings: "a-b" and "a.b" sort before "a" ('-' and
  // '.' are below '='), not after it as sorting by name would put them.
  CHECK(out == "cpu;a-b=1;a.b=2;a=2;dc=eu;host=a");
  std::vector<std::string_view> none;
  std::string bare = "cpu";
  AppendGraphiteTags(none, bare);
  CHECK(bare == "cpu");
}

}  // namespace
}  // namespace hourglass::common
