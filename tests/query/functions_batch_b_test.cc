// The second batch of render functions through the /render route: what the
// golden cases (one target each, no limits) cannot show. Refetching functions
// (holtWinters*, timeStack, aliasQuery) stay inside http.max_points_read,
// stacked() adds up across the request's targets as graphite-web does, and
// the errors graphite-web raises are 400s with its message.
#include <cmath>

#include <catch2/catch.hpp>

#include "query/api_router.h"
#include "query/render_budget.h"
#include "test_store.h"

namespace hourglass::query {
namespace {

using testing::kNow;

const std::string kRange =
    "&from=" + std::to_string(kNow - 60) + "&until=" + std::to_string(kNow) + "&format=json";

struct Fixture {
  Fixture() {
    db.AddSeries("a.b.c", 0);
    db.AddSeries("a.b.d", 100);
  }
  ApiResponse Render(const std::string& query, size_t max_points_read = SIZE_MAX) {
    ApiRouter router(db.store(), db.stats(), db.clock(), "1.1.10", {},
                     RenderLimits{max_points_read, SIZE_MAX});
    ApiResponse response = router.Handle({"GET", "/render?" + query + kRange, "", ""});
    ReadWholeBody(response);
    return response;
  }
  testing::TestStore db;
};

TEST_CASE_METHOD(Fixture, "holtWinters* and aliasQuery count their refetched points") {
  // 6 points of the request, then 6 + 30 more for a 5 min bootstrap.
  const std::string hw = "target=holtWintersForecast(a.b.c,\"5min\",\"1min\")";
  CHECK(Render(hw, 42).status == 200);
  ApiResponse over = Render(hw, 41);
  CHECK(over.status == 400);
  CHECK(over.body.find("http.max_points_read = 41") != std::string::npos);
  const std::string bands = "target=holtWintersAberration(a.b.c,3,\"5min\",\"1min\")";
  CHECK(Render(bands, 42).status == 200);
  CHECK(Render(bands, 41).status == 400);
  // aliasQuery evaluates a second query (6 more points) per series.
  const std::string alias = "target=aliasQuery(a.b.c,\"c\",\"d\",\"d=%d\")";
  ApiResponse named = Render(alias, 12);
  CHECK(named.status == 200);
  CHECK(named.body.starts_with(R"([{"target":"d=105")"));
  CHECK(Render(alias, 11).status == 400);
}

TEST_CASE_METHOD(Fixture, "timeStack with a huge shift count is refused, not a stall") {
  // constantLine reads nothing from the store: the held copies are counted.
  ApiResponse over = Render("target=timeStack(constantLine(1),\"1s\",0,2000000000)", 1000);
  CHECK(over.status == 400);
  CHECK(over.body.find("http.max_points_read") != std::string::npos);
  // Each shift of a.b.c reads 6 points and holds them: 3 shifts fit in 36.
  CHECK(Render("target=timeStack(a.b.c,\"10s\",0,3)", 42).status == 200);
  CHECK(Render("target=timeStack(a.b.c,\"10s\",0,3)", 35).status == 400);
}

TEST_CASE_METHOD(Fixture, "stacked adds up across the request's targets") {
  ApiResponse r = Render("target=stacked(a.b.c)&target=stacked(a.b.d)");
  REQUIRE(r.status == 200);
  // The request holds 1..5 of a.b.c and 101..105 of a.b.d: a.b.d is drawn
  // on top of a.b.c.
  const std::string second = r.body.substr(r.body.find("stacked(a.b.d)"));
  CHECK(second.find("[[102,1420109950],[104,") != std::string::npos);
  CHECK(second.find("[110,1420109990]") != std::string::npos);
  // A named stack is separate and keeps the names.
  ApiResponse named = Render("target=stacked(a.b.c,\"x\")&target=stacked(a.b.d,\"y\")");
  CHECK(named.body.find(R"("target":"a.b.d")") != std::string::npos);
  CHECK(named.body.find("[[101,1420109950]") != std::string::npos);
}

TEST_CASE_METHOD(Fixture, "randomWalk starts at 0 and moves less than 0.5 a step") {
  ApiResponse r = Render("target=randomWalk(\"walk\",10)");
  REQUIRE(r.status == 200);
  CHECK(r.body.starts_with(R"([{"target":"walk","tags":{"name":"walk"},"datapoints":[[0,)"));
  // The golden cases cover its name, times and /functions entry; here the walk.
  std::vector<double> values;
  for (size_t pos = 0; (pos = r.body.find("[", pos + 1)) != std::string::npos;) {
    if (r.body[pos + 1] != '[') values.push_back(std::stod(r.body.substr(pos + 1)));
  }
  REQUIRE(values.size() == 6);
  for (size_t i = 1; i < values.size(); ++i) CHECK(std::fabs(values[i] - values[i - 1]) <= 0.5);
}

TEST_CASE_METHOD(Fixture, "bad arguments to the new functions are 400s with graphite's message") {
  struct Case {
    std::string target, message;
  };
  const Case cases[] = {
      {"areaBetween(a.b.c)", "areaBetween series argument must reference *exactly* 2 series"},
      {"nPercentile(a.b.c,0)", "The requested percent is required to be greater than 0"},
      {"stdev(a.b.c,0)", "points must be a positive number of points"},
      {"time(\"t\",0)", "step must be a positive number of seconds"},
      {"holtWintersForecast(a.b.c,\"1min\",\"10s\")", "seasonality '10s' must span at least 2"},
      {"aliasQuery(a.b.c,\"c\",\"nope\",\"%d\")", "No series found with query: a.b.nope"},
      {"aliasQuery(a.b.c,\"c\",\"d\",\"no conversion\")", "not all arguments converted"},
      {"round(a.b.c,1.5)", R"(Invalid "integer" value specified for function "round")"},
      {"smartSummarize(a.b.c,\"1min\",\"sum\",\"fortnights\")",
       R"(Invalid option specified for function "smartSummarize" parameter "alignTo")"},
      {"legendValue(a.b.c)", "legendValue needs at least one value type"},
  };
  for (const Case& c : cases) {
    INFO(c.target);
    ApiResponse r = Render("target=" + c.target);
    CHECK(r.status == 400);
    CHECK(r.body.find(c.message) != std::string::npos);
  }
  // The boolean alignTo graphite-web still accepts (and ignores).
  CHECK(Render("target=smartSummarize(a.b.c,\"1min\",\"sum\",true)").status == 200);
}

}  // namespace
}  // namespace hourglass::query
