#include "query/evaluator.h"

#include <cmath>

#include <catch2/catch.hpp>

#include "query/py_regex.h"
#include "query/render_format.h"
#include "test_store.h"

namespace hourglass::query {
namespace {

using testing::kNow;

struct Fixture {
  Fixture() : evaluator(registry) {
    RegisterBuiltinFunctions(registry);
    db.AddSeries("a.b.c", 0);
    db.AddSeries("a.b.d", 100);
    ctx.store = &db.store();
    ctx.from = kNow - 120;
    ctx.until = kNow;
    ctx.now = kNow;
  }
  SeriesList Eval(std::string_view target) {
    auto r = evaluator.EvaluateTarget(target, ctx);
    INFO(target << ": " << r.status().message());
    REQUIRE(r.ok());
    return std::move(*r);
  }
  std::string Error(std::string_view target) {
    auto r = evaluator.EvaluateTarget(target, ctx);
    REQUIRE_FALSE(r.ok());
    return r.status().message();
  }

  testing::TestStore db;
  FunctionRegistry registry;
  Evaluator evaluator;
  EvalContext ctx;
};

double Last(const Series& s) {
  for (auto it = s.values.rbegin(); it != s.values.rend(); ++it) {
    if (!std::isnan(*it)) return *it;
  }
  return NAN;
}

TEST_CASE_METHOD(Fixture, "paths and globs fetch series named by their full path") {
  SeriesList list = Eval("a.b.*");
  REQUIRE(list.size() == 2);
  CHECK(list[0].name == "a.b.c");
  CHECK(list[1].name == "a.b.d");
  CHECK(list[0].step == 10);
  CHECK(list[0].tags.at("name") == "a.b.c");
  CHECK(Last(list[0]) == 5);
  CHECK(Eval("a.{b,x}.[cx]").size() == 1);
  CHECK(Eval("a.b.c").size() == 1);
  CHECK(Eval("no.such.*").empty());
}

TEST_CASE_METHOD(Fixture, "aliasSub with Grafana's wrapper and Python replacement syntax") {
  SeriesList list = Eval(R"x(aliasSub(a.b.*, "(^.*$)", "\1 A"))x");
  REQUIRE(list.size() == 2);
  CHECK(list[0].name == "a.b.c A");
  CHECK(list[1].name == "a.b.d A");
  CHECK(list[0].tags.at("name") == "a.b.c");  // tags keep the original name
  CHECK(Eval(R"x(aliasSub(a.b.c, "^a\.(\w+)\.(\w+)$", "\2-\g<1>"))x")[0].name == "c-b");
  CHECK(Eval(R"x(aliasSub(a.b.c, "b", "x\\y"))x")[0].name == "a.x\\y.c");
  CHECK(Eval(R"x(aliasSub(a.b.c, "(?P<last>\w+)$", "\g<last>!"))x")[0].name == "a.b.c!");
  CHECK(Error(R"x(aliasSub(a.b.c, "(", "x"))x").find("invalid regular expression") !=
        std::string::npos);
  CHECK(Error(R"x(aliasSub(a.b.c, "(b)", "\2"))x").find("invalid group reference") !=
        std::string::npos);
}

TEST_CASE("PyRegex re.sub semantics") {
  auto re = PyRegex::Compile(".*");
  REQUIRE(re.ok());
  CHECK(*re->Sub("X", "abc") == "XX");  // Python 3.7+: the empty match at the end counts
  auto digits = PyRegex::Compile("[0-9]");
  CHECK(*digits->Sub("#", "a1b22") == "a#b##");
  CHECK(*digits->Sub("\\n", "1") == "\n");
}

TEST_CASE_METHOD(Fixture, "alias, sumSeries, consolidateBy") {
  CHECK(Eval("alias(a.b.c, 'x')")[0].name == "x");
  SeriesList sum = Eval("sumSeries(a.b.*)");
  REQUIRE(sum.size() == 1);
  CHECK(sum[0].name == "sumSeries(a.b.*)");
  CHECK(Last(sum[0]) == 5 + 105);
  CHECK(sum[0].tags.at("aggregatedBy") == "sum");
  CHECK(sum[0].tags.at("name") == "sumSeries(a.b.*)");
  CHECK(Eval("sumSeries(a.b.c, a.b.d)")[0].name == "sumSeries(a.b.c,a.b.d)");
  CHECK(Eval("sumSeries(no.such)").empty());
  SeriesList by = Eval("consolidateBy(a.b.c, 'max')");
  CHECK(by[0].name == "consolidateBy(a.b.c,\"max\")");
  CHECK(by[0].consolidation == ConsolidationFunc::kMax);
  CHECK(Eval("a.b.c|consolidateBy('sum')")[0].consolidation == ConsolidationFunc::kSum);
}

TEST_CASE_METHOD(Fixture, "constantLine returns three points across the range") {
  SeriesList list = Eval("constantLine(100)");
  REQUIRE(list.size() == 1);
  const Series& s = list[0];
  CHECK(s.name == "100.0");  // graphite-web validates value as a float: str(100.0)
  CHECK(s.start == kNow - 120);
  CHECK(s.end == kNow);
  CHECK(s.step == 60);
  CHECK(s.values == std::vector<double>{100, 100, 100});
  CHECK(FormatJson(list, false) ==
        "[{\"target\":\"100.0\",\"tags\":{\"name\":\"100.0\"},\"datapoints\":[[100,1420109880],"
        "[100,1420109940],[100,1420110000]]}]");
  CHECK(Eval("constantLine(1.5)")[0].name == "1.5");
}

TEST_CASE_METHOD(Fixture, "unknown functions and bad arguments are 400-worthy messages") {
  CHECK(Error("nope(a.b.c)") == "Received request for unknown function: nope");
  // graphite-web's validateParams messages
  CHECK(Error("alias(a.b.c)") == "Missing required parameter \"newName\" for function \"alias\"");
  CHECK(Error("alias(a.b.c, 1)") ==
        "Invalid \"string\" value specified for function \"alias\" parameter \"newName\": 1");
  CHECK(Error("consolidateBy(a.b.c, 'median')") ==
        "Invalid option specified for function \"consolidateBy\" parameter "
        "\"consolidationFunc\": 'median'");
  CHECK(Error("alias(a.b.c, 'x', 'y')") == "Too many parameters specified for function \"alias\"");
  CHECK(Error("alias(a.b.c, 'x', bogus='x')") ==
        "Too many parameters specified for function \"alias\"");
  CHECK(Error("summarize(a.b.c, '1min', bogus='x')") == "Unexpected key word arguments: bogus");
  CHECK(Error("constantLine('x')").find("\"value\"") != std::string::npos);
  CHECK(Error("f(").starts_with("Invalid target"));
  ctx.max_series = 1;
  CHECK(Error("a.b.*").find("too many series") != std::string::npos);
}

TEST_CASE_METHOD(Fixture, "keyword arguments bind by name") {
  CHECK(Eval("alias(seriesList=a.b.c, newName='k')")[0].name == "k");
  CHECK(Eval("alias(a.b.c, newName='k')")[0].name == "k");
}

TEST_CASE_METHOD(Fixture, "time arithmetic on user numbers is checked, never overflows") {
  CHECK(Eval("timeShift(a.b.c, '1d')").size() == 1);
  // Shifted past year 9999 or before year 1: refused as graphite-web's datetime.
  CHECK_THAT(Error("timeShift(a.b.c, '+999999999d')"), Catch::Contains("out of range"));
  CHECK_THAT(Error("timeShift(a.b.c, '7000y')"), Catch::Contains("out of range"));
  std::string huge;
  for (int i = 0; i < 300; ++i) huge += "1000000000y";
  CHECK_FALSE(evaluator.EvaluateTarget("timeShift(a.b.c, '+" + huge + "')", ctx).ok());
  CHECK_FALSE(evaluator.EvaluateTarget("summarize(a.b.c, '" + huge + "')", ctx).ok());
  CHECK(Eval("summarize(a.b.c, '999999999d')").size() == 1);
  // movingAverage's window times the step: INT64_MAX points, or a negative
  // count (read out of bounds before).
  CHECK(Eval("movingAverage(a.b.c, 5)").size() == 1);
  CHECK_THAT(Error("movingAverage(a.b.c, 9223372036854775807)"), Catch::Contains("out of range"));
  CHECK_THAT(Error("movingAverage(a.b.c, -5)"), Catch::Contains("negative"));
  CHECK_THAT(Error("movingWindow(a.b.c, '-999999999d')"), Catch::Contains("out of range"));
}

TEST_CASE_METHOD(Fixture, "a glob past 4,096 brace alternatives is an error, not fewer series") {
  // "{c,x1,...}{,y1,...}": a.b.c is one of n x m alternatives.
  auto glob = [](int n, int m) {
    std::string out = "a.b.{c";
    for (int i = 1; i < n; ++i) out += ",x" + std::to_string(i);
    out += "}{";
    for (int i = 1; i < m; ++i) out += ",y" + std::to_string(i);
    return out + "}";
  };
  CHECK(Eval(glob(16, 256)).size() == 1);  // 4,096 alternatives
  CHECK_THAT(Error(glob(17, 241)), Catch::Contains("more than 4096 alternatives"));
}

}  // namespace
}  // namespace hourglass::query
