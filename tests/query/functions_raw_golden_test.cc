// format=raw of every render function case in golden/functions.json against
// the body graphite-web 1.1.8's renderViewRaw wrote for the same series:
// names, start/end/step, value spellings (Python repr) and None, byte for
// byte. The cases where graphite-web holds Python ints (and writes "4", not
// "4.0") are listed: Hourglass's values are doubles. The list must stay
// exact, so a new difference or a fixed one both show.
#include <set>
#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "golden_data.h"
#include "query/evaluator.h"
#include "query/function_registry.h"
#include "query/render_format.h"
#include "query/tags_routes.h"
#include "test_store.h"

namespace hourglass::query {
namespace {

namespace json = boost::json;

// graphite-web computes these as Python ints (counts, 0/1 flags, times, a
// transformNull default given as an int), in some or all points.
const std::set<std::string> kIntValued = {
    R"(aggregate(servers.*.cpu.*, "count"))",
    R"(transformNull(gaps.a))",
    R"(summarize(gaps.a, "2min", "count"))",
    R"(countSeries(servers.*.cpu.*))",
    R"(countSeries(servers.*.cpu.user, gaps.a))",
    R"(countSeries())",
    R"(isNonNull(gaps.a))",
    R"(isNonNull(servers.*.cpu.user))",
    R"(aggregateWithWildcards(servers.*.cpu.*, "count"))",
    R"(changed(servers.web1.cpu.system))",
    R"(changed(gaps.a))",
    R"(holtWintersAberration(servers.web1.cpu.user, 1, "5min", "2min"))",
    R"(holtWintersAberration(servers.web2.cpu.user, 2, "10min"))",
    R"(identity("the.time"))",
    R"(exponentialMovingAverage(gaps.a, 3))",
    R"(aggregateLine(servers.web1.cpu.user, "count"))",
    R"(changed(delay(gaps.b, 1)))",
};

TEST_CASE("format=raw of every golden case is what graphite-web writes") {
  const json::value golden = testing::LoadGoldenFile("functions.json");
  testing::TestStore db;
  testing::WriteGoldenData(db.store(), golden.at("data").as_object());
  FunctionRegistry registry;
  RegisterBuiltinFunctions(registry);
  Evaluator evaluator(registry);
  const StoreTagIndex tags(db.store());
  std::set<std::string> differing;
  size_t compared = 0;
  for (const json::value& c : golden.at("cases").as_array()) {
    const json::object& item = c.as_object();
    if (!item.contains("raw")) continue;  // graphite-web's answer is an error
    const std::string target = json::value_to<std::string>(item.at("target"));
    if (target.find("randomWalk") != std::string::npos) continue;  // random draws
    EvalContext ctx = testing::GoldenEvalContext(db.store(), tags, item, testing::kNow);
    common::Result<SeriesList> got = evaluator.EvaluateTarget(target, ctx);
    INFO(target);
    REQUIRE(got.ok());
    ++compared;
    const std::string want = json::value_to<std::string>(item.at("raw"));
    const std::string body = FormatRaw(*got);
    if (body == want) continue;
    differing.insert(target);
    if (!kIntValued.contains(target)) {
      UNSCOPED_INFO(target << "\n  hourglass: " << body.substr(0, 600)
                           << "\n  graphite:  " << want.substr(0, 600));
    }
  }
  CHECK(compared > 330);  // every case but errors and randomWalk
  CHECK(differing == kIntValued);
}

}  // namespace
}  // namespace hourglass::query
