#include "query/render_budget.h"

#include <algorithm>

#include <catch2/catch.hpp>

#include "query/api_router.h"
#include "query/evaluator.h"
#include "test_store.h"

namespace hourglass::query {
namespace {

using testing::kNow;

// a.b.c and a.b.d over (kNow - 60, kNow]: 6 points of 10 s each.
const std::string kRange =
    "&from=" + std::to_string(kNow - 60) + "&until=" + std::to_string(kNow) + "&format=json";

struct RouterFixture {
  RouterFixture() {
    db.AddSeries("a.b.c", 0);
    db.AddSeries("a.b.d", 100);
    db.AddSeries("t.x;k=v", 0);
  }
  ApiResponse Render(const std::string& query, RenderLimits limits) {
    ApiRouter router(db.store(), db.stats(), db.clock(), "1.1.10", {}, limits);
    const std::string target = "/render?" + query + kRange;
    ApiResponse response = router.Handle({"GET", target, "", ""});
    ReadWholeBody(response);
    return response;
  }
  uint64_t Refused() { return db.stats().GetCounter("http.render_refused", "").Value(); }

  testing::TestStore db;
};

RenderLimits ReadLimit(size_t points) { return {points, SIZE_MAX}; }
RenderLimits WrittenLimit(size_t points) { return {SIZE_MAX, points}; }

TEST_CASE_METHOD(RouterFixture, "points read: exactly the budget passes, one more is refused") {
  ApiResponse at = Render("target=a.b.*", ReadLimit(12));
  CHECK(at.status == 200);
  CHECK(at.body.starts_with(R"([{"target":"a.b.c")"));
  CHECK(Refused() == 0);
  ApiResponse over = Render("target=a.b.*", ReadLimit(11));
  CHECK(over.status == 400);
  CHECK(over.body ==
        "render budget: the request reads at least 12 points, more than http.max_points_read = 11 "
        "allows; narrow the time range or match fewer series\n");
  CHECK(Refused() == 1);
  // Counted across targets.
  CHECK(Render("target=a.b.c&target=a.b.d", ReadLimit(12)).status == 200);
  CHECK(Render("target=a.b.c&target=a.b.d", ReadLimit(11)).status == 400);
  CHECK(Render("target=seriesByTag('k=v')", ReadLimit(6)).status == 200);
  CHECK(Render("target=seriesByTag('k=v')", ReadLimit(5)).status == 400);
  CHECK(Refused() == 3);
}

TEST_CASE_METHOD(RouterFixture, "points written: exactly the budget passes, one more is refused") {
  CHECK(Render("target=a.b.*", WrittenLimit(12)).status == 200);
  ApiResponse over = Render("target=a.b.*", WrittenLimit(11));
  CHECK(over.status == 400);
  CHECK(over.body ==
        "render budget: the answer holds 12 datapoints, more than http.max_points_written = 11 "
        "allows; set maxDataPoints or narrow the time range\n");
  CHECK(Refused() == 1);
  // maxDataPoints counts: 6 points per series consolidated 2 to 1.
  ApiResponse mdp = Render("target=a.b.*&maxDataPoints=3", WrittenLimit(6));
  CHECK(mdp.status == 200);
  CHECK(std::count(mdp.body.begin(), mdp.body.end(), '[') - 1 - 2 == 6);  // pairs
  CHECK(Render("target=a.b.*&maxDataPoints=3", WrittenLimit(5)).status == 400);
  // csv and raw are bounded the same way.
  CHECK(Render("target=a.b.*&format=csv", WrittenLimit(12)).status == 200);
  CHECK(Render("target=a.b.*&format=raw", WrittenLimit(11)).status == 400);
}

struct EvalFixture {
  EvalFixture() : evaluator(registry) {
    RegisterBuiltinFunctions(registry);
    db.AddSeries("a.b.c", 0);
  }
  // Points `target` charges over (kNow - 60, kNow] when nothing bounds it.
  size_t Charged(std::string_view target) {
    EvalContext ctx = Context(SIZE_MAX);
    auto r = evaluator.EvaluateTarget(target, ctx);
    INFO(target << ": " << r.status().message());
    REQUIRE(r.ok());
    return ctx.points_read;
  }
  bool Passes(std::string_view target, size_t budget) {
    EvalContext ctx = Context(budget);
    auto r = evaluator.EvaluateTarget(target, ctx);
    CHECK(ctx.over_budget == !r.ok());
    return r.ok();
  }
  EvalContext Context(size_t budget) {
    EvalContext ctx{&db.store(), kNow - 60, kNow, kNow};
    ctx.max_points_read = budget;
    return ctx;
  }

  testing::TestStore db;
  FunctionRegistry registry;
  Evaluator evaluator;
};

TEST_CASE_METHOD(EvalFixture, "functions that fetch again or make buckets are charged") {
  CHECK(Charged("a.b.c") == 6);
  // movingAverage fetches its input again over a wider range: 6 + 9.
  CHECK(Charged("movingAverage(a.b.c,3)") == 15);
  CHECK(Charged("timeShift(a.b.c,'1min')") == 6 + 6);
  // summarize and hitcount to 1 s buckets: 61 and 60 buckets more.
  CHECK(Charged("summarize(a.b.c,'1s')") == 6 + 61);
  CHECK(Charged("hitcount(a.b.c,'1s')") == 6 + 60);
  for (std::string_view target : {"movingAverage(a.b.c,3)", "summarize(a.b.c,'1s')",
                                  "hitcount(a.b.c,'1s')", "timeShift(a.b.c,'1min')"}) {
    INFO(target);
    const size_t budget = Charged(target);
    CHECK(Passes(target, budget));
    CHECK_FALSE(Passes(target, budget - 1));
  }
}

TEST_CASE_METHOD(EvalFixture, "a 1 s summarize of days is refused before its buckets exist") {
  EvalContext ctx = Context(100'000);
  ctx.from = kNow - 6 * 86400;  // 1 m archive: 8,640 points
  auto r = evaluator.EvaluateTarget("summarize(a.b.c,'1s')", ctx);
  REQUIRE_FALSE(r.ok());
  CHECK(ctx.over_budget);
  CHECK(r.status().message().find("http.max_points_read = 100000") != std::string::npos);
  CHECK(ctx.points_read == 8640);
}

TEST_CASE_METHOD(EvalFixture, "ReadLength is the length of what Read returns") {
  const store::SeriesStore& store = db.store();
  const int64_t cases[][3] = {{kNow - 60, kNow, kNow},
                              {kNow - 61, kNow - 1, kNow},
                              {kNow - 60, kNow - 60, kNow},
                              {kNow - 86400, kNow, kNow},
                              {kNow - 9 * 86400, kNow, kNow},
                              {kNow + 10, kNow + 20, kNow},
                              {kNow - 20 * 86400, kNow - 10 * 86400, kNow},
                              {0, kNow, kNow}};
  for (const auto& [from, until, now] : cases) {
    INFO(from << " " << until << " " << now);
    auto read = store.Read("a.b.c", from, until, now);
    REQUIRE(read.ok());
    CHECK(store.ReadLength("a.b.c", from, until, now) == read->values.size());
    CHECK(store.ReadLength("no.such.series", from, until, now) == read->values.size());
  }
  CHECK(store.ReadLength("a.b.c", kNow, kNow - 10, kNow) == 0);  // Read refuses it
}

}  // namespace
}  // namespace hourglass::query
