// seriesByTag: expression parsing and matching as graphite-web's tag
// database does it, over a fake TagIndex; and through the evaluator.
#include "query/tag_query.h"

#include <catch2/catch.hpp>

#include "query/evaluator.h"
#include "query/series.h"

namespace hourglass::query {
namespace {

class FakeTagIndex : public TagIndex {
 public:
  explicit FakeTagIndex(std::vector<std::string> names) : names_(std::move(names)) {}
  common::Result<std::vector<std::string>> FindTagged(std::string_view tag,
                                                      std::optional<std::string_view> value,
                                                      size_t limit) const override {
    ++lookups;
    last_tag = tag;
    std::vector<std::string> out;
    for (const std::string& n : names_) {
      auto tags = ParseTags(n);
      auto it = tags.find(std::string(tag));
      if (it == tags.end() || (value && it->second != *value)) continue;
      if (out.size() < limit) out.push_back(n);
    }
    return out;
  }
  mutable int lookups = 0;
  mutable std::string last_tag;

 private:
  std::vector<std::string> names_;
};

const FakeTagIndex kIndex({"cpu;dc=eu;host=a", "cpu;dc=eu;host=b", "cpu;dc=us;host=c", "cpu;host=d",
                           "disk;dc=eu;host=a"});

std::vector<std::string> Find(std::vector<std::string> exprs) {
  auto r = FindSeriesByTag(kIndex, exprs, 100);
  INFO(r.status().message());
  REQUIRE(r.ok());
  return *r;
}

TEST_CASE("tag expressions: =, !=, =~ anchored at the start, !=~, missing tags are empty") {
  using V = std::vector<std::string>;
  CHECK(Find({"name=cpu"}) ==
        V{"cpu;dc=eu;host=a", "cpu;dc=eu;host=b", "cpu;dc=us;host=c", "cpu;host=d"});
  CHECK(Find({"name=cpu", "dc=eu"}) == V{"cpu;dc=eu;host=a", "cpu;dc=eu;host=b"});
  CHECK(Find({"name=cpu", "dc!=eu"}) == V{"cpu;dc=us;host=c", "cpu;host=d"});
  CHECK(Find({"name=cpu", "dc="}) == V{"cpu;host=d"});  // "" matches a missing tag
  CHECK(Find({"name=cpu", "host=~[ab]"}) == V{"cpu;dc=eu;host=a", "cpu;dc=eu;host=b"});
  CHECK(Find({"name=cpu", "dc=~u"}) == V{"cpu;dc=us;host=c"});  // anchored at the start
  CHECK(Find({"name=cpu", "dc=~s"}).empty());
  CHECK(Find({"name=cpu", "dc=~.*u"}).size() == 3);
  CHECK(Find({"name=cpu", "dc!=~e"}) == V{"cpu;dc=us;host=c", "cpu;host=d"});
  CHECK(Find({"host=a"}) == V{"cpu;dc=eu;host=a", "disk;dc=eu;host=a"});
  CHECK(Find({"name=~c", "host!=a"}) == V{"cpu;dc=eu;host=b", "cpu;dc=us;host=c", "cpu;host=d"});
  CHECK(kIndex.last_tag == "name");
}

TEST_CASE("bad tag expressions are errors") {
  auto err = [](std::vector<std::string> exprs) {
    auto r = FindSeriesByTag(kIndex, exprs, 100);
    REQUIRE_FALSE(r.ok());
    return r.status().message();
  };
  CHECK(err({"dc!=eu"}) == "At least one tagspec must not match the empty string");
  CHECK(err({"dc=~.*"}) == "At least one tagspec must not match the empty string");
  CHECK(err({"nooperator"}) == "Invalid tagspec nooperator");
  CHECK(err({"=x"}) == "Invalid tagspec =x");
  CHECK(err({"a=b;c=d"}) == "Invalid tagspec a=b;c=d");
  CHECK(err({"name=~("}).find("invalid regular expression") != std::string::npos);
}

TEST_CASE("seriesByTag through the evaluator: no index matches nothing, errors are 400s") {
  FunctionRegistry registry;
  RegisterBuiltinFunctions(registry);
  Evaluator evaluator(registry);
  EvalContext ctx;
  ctx.from = 1000;
  ctx.until = 2000;
  auto none = evaluator.EvaluateTarget("seriesByTag('name=cpu')", ctx);
  REQUIRE(none.ok());
  CHECK(none->empty());
  ctx.tags = &kIndex;
  CHECK_FALSE(evaluator.EvaluateTarget("seriesByTag('dc!=eu')", ctx).ok());
  CHECK_FALSE(evaluator.EvaluateTarget("seriesByTag()", ctx).ok());
  ctx.max_series = 2;
  auto many = evaluator.EvaluateTarget("seriesByTag('name=cpu')", ctx);
  REQUIRE_FALSE(many.ok());
  CHECK(many.status().message().find("too many series") != std::string::npos);
}

}  // namespace
}  // namespace hourglass::query
