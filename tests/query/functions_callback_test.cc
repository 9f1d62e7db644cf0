// The render functions that evaluate new targets or call other functions
// (applyByNode, useSeriesAbove, reduceSeries, countSeries(), sortByTotal):
// what they fetch counts against the request's series and points bounds,
// and their refusals are 400s with graphite-web's messages.
#include <catch2/catch.hpp>

#include "query/api_router.h"
#include "query/evaluator.h"
#include "test_store.h"

namespace hourglass::query {
namespace {

using testing::kNow;

struct CallbackFixture {
  CallbackFixture() : evaluator(registry) {
    RegisterBuiltinFunctions(registry);
    db.AddSeries("a.b.c", 0);
    db.AddSeries("a.b.d", 100);
    db.AddSeries("a.x.c", 10);
  }
  EvalContext Context(size_t max_series, size_t max_points) {
    EvalContext ctx{&db.store(), kNow - 60, kNow, kNow};
    ctx.max_series = max_series;
    ctx.max_points_read = max_points;
    return ctx;
  }
  common::Result<SeriesList> Eval(std::string_view target, size_t max_series = 10000,
                                  size_t max_points = SIZE_MAX) {
    EvalContext ctx = Context(max_series, max_points);
    return evaluator.EvaluateTarget(target, ctx);
  }

  testing::TestStore db;
  FunctionRegistry registry;
  Evaluator evaluator;
};

TEST_CASE_METHOD(CallbackFixture, "applyByNode's targets count against max_series and points") {
  // 3 input series, then a.b.* (2) and a.x.* (1): 6 series of 6 points.
  const std::string target = "applyByNode(a.*.*, 1, 'sumSeries(%.*)', '%.total')";
  auto ok = Eval(target, 6);
  REQUIRE(ok.ok());
  REQUIRE(ok->size() == 2);
  CHECK((*ok)[0].name == "a.b.total");
  // (kNow - 60, kNow] reads kNow - 50 .. kNow: the last point is not written.
  REQUIRE((*ok)[0].values.size() == 6);
  CHECK(std::vector<double>((*ok)[0].values.begin(), (*ok)[0].values.begin() + 5) ==
        std::vector<double>{102, 104, 106, 108, 110});
  CHECK((*ok)[1].name == "a.x.total");
  auto over = Eval(target, 5);
  REQUIRE_FALSE(over.ok());
  CHECK(over.status().message() == "too many series: the request matches more than 5 series");
  CHECK(Eval(target, 10000, 36).ok());
  auto points = Eval(target, 10000, 35);
  REQUIRE_FALSE(points.ok());
  CHECK_THAT(points.status().message(), Catch::Contains("http.max_points_read = 35"));
}

TEST_CASE_METHOD(CallbackFixture, "useSeriesAbove's group() counts against max_series") {
  // a.b.c and a.b.d fetched, then group(a.b.d,a.b.d): 4 series.
  const std::string target = "useSeriesAbove(a.b.*, 0, 'c', 'd')";
  auto ok = Eval(target, 4);
  REQUIRE(ok.ok());
  CHECK(ok->size() == 2);
  CHECK_FALSE(Eval(target, 3).ok());
  CHECK(Eval(target, 10000, 24).ok());
  CHECK_FALSE(Eval(target, 10000, 23).ok());
  // Only series whose maximum is strictly above the value are replaced.
  auto none = Eval("useSeriesAbove(a.b.c, 5, 'c', 'd')");
  REQUIRE(none.ok());
  CHECK(none->empty());
  CHECK(Eval("useSeriesAbove(a.b.c, 4.9, 'c', 'd')")->size() == 1);
}

TEST_CASE_METHOD(CallbackFixture, "reduceSeries and mapSeries without graphite-web's crashes") {
  // mapSeries alone: its groups one after another (graphite-web fails here).
  auto mapped = Eval("mapSeries(group(a.b.c, a.x.c, a.b.d), 1)");
  REQUIRE(mapped.ok());
  REQUIRE(mapped->size() == 3);
  CHECK((*mapped)[1].name == "a.b.d");
  // A group missing a matcher, an unknown reduce function, a missing node:
  // clear errors instead of graphite-web's TypeError/KeyError/IndexError.
  auto missing = Eval("reduceSeries(mapSeries(a.*.*, 1), 'diffSeries', 2, 'c', 'd')");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message() == "reduceSeries: no series for 'd' in a.x.reduce.diffSeries");
  auto unknown = Eval("reduceSeries(mapSeries(a.b.*, 1), 'nope', 2, 'c')");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().message() == "Received request for unknown function: nope");
  auto node = Eval("reduceSeries(a.b.*, 'sumSeries', 5, 'c')");
  REQUIRE_FALSE(node.ok());
  CHECK(node.status().message() == "reduceSeries: 'a.b.c' has no node 5");
  // A reduce function's own parameter checks apply.
  auto bad = Eval("reduceSeries(mapSeries(a.b.*, 1), 'alias', 2, 'c', 'd')");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() ==
        "Invalid \"string\" value specified for function \"alias\" parameter \"newName\": "
        "<seriesList of 1>");
}

TEST_CASE_METHOD(CallbackFixture, "graphite-web's InputParameterErrors are 400s over HTTP") {
  ApiRouter router(db.store(), db.stats(), db.clock(), "1.1.10", {}, {});
  auto render = [&](const std::string& target) {
    ApiResponse r =
        router.Handle({"GET",
                       "/render?target=" + target + "&from=" + std::to_string(kNow - 60) +
                           "&until=" + std::to_string(kNow) + "&format=json",
                       "", ""});
    ReadWholeBody(r);
    return r;
  };
  ApiResponse lists = render("sumSeriesLists(a.b.*,a.x.c)");
  CHECK(lists.status == 400);
  CHECK_THAT(lists.body, Catch::Contains("seriesListFirstPos and seriesListSecondPos argument "
                                         "must have equal length"));
  ApiResponse percent = render("percentileOfSeries(a.b.*,0)");
  CHECK(percent.status == 400);
  CHECK_THAT(percent.body,
             Catch::Contains("The requested percent is required to be greater than 0"));
  ApiResponse op = render("filterSeries(a.b.*,'max','~',1)");
  CHECK(op.status == 400);
  CHECK_THAT(op.body, Catch::Contains("parameter \"operator\": '~'"));
  CHECK(render("sumSeriesLists(a.b.*,a.b.*)").status == 200);
  CHECK(render("countSeries()").status == 200);
  ApiResponse total = render("sortByTotal(a.*.*)");
  CHECK(total.status == 200);
  CHECK(total.body.starts_with(R"([{"target":"a.b.d")"));
}

}  // namespace
}  // namespace hourglass::query
