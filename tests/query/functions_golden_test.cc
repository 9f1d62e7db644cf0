// Compares every render function case in golden/functions.json (computed by
// graphite-web 1.1.8 itself, see golden/make_golden.py) with Hourglass's
// answer over the same points in a real SeriesStore: names, times, steps,
// values (nulls included) and tags. An error in graphite-web must be a
// 400-worthy error here.
#include <cmath>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "golden_data.h"
#include "query/evaluator.h"
#include "query/function_registry.h"
#include "query/tags_routes.h"
#include "test_store.h"

namespace hourglass::query {
namespace {

namespace json = boost::json;

json::value LoadGolden() { return testing::LoadGoldenFile("functions.json"); }

void WriteData(store::SeriesStore& store, const json::object& data) {
  testing::WriteGoldenData(store, data);
}

bool SameValue(double got, const json::value& want) {
  if (want.is_null()) return !std::isfinite(got);
  const double w = want.to_number<double>();
  if (!std::isfinite(got)) return false;
  return got == w || std::fabs(got - w) <= 1e-9 * std::max(std::fabs(got), std::fabs(w));
}

std::string Describe(const Series& s, const std::vector<double>& values) {
  std::ostringstream out;
  out << s.name << " start=" << s.start << " end=" << s.end << " step=" << s.step << " [";
  for (double v : values) out << v << ",";
  out << "] tags={";
  for (const auto& [k, v] : s.tags) out << k << ":" << v << ",";
  return out.str() + "}";
}

void CheckSeries(const Series& got, const json::object& want) {
  const std::vector<double> values = ConsolidatedValues(got);
  INFO("hourglass: " << Describe(got, values));
  INFO("graphite:  " << json::serialize(want));
  CHECK(got.name == json::value_to<std::string>(want.at("name")));
  CHECK(got.start == want.at("start").to_number<int64_t>());
  CHECK(got.end == want.at("end").to_number<int64_t>());
  CHECK(got.step == want.at("step").to_number<int64_t>());
  const auto& wv = want.at("values").as_array();
  REQUIRE(values.size() == wv.size());
  size_t mismatches = 0;
  for (size_t i = 0; i < values.size(); ++i) mismatches += SameValue(values[i], wv[i]) ? 0 : 1;
  CHECK(mismatches == 0);
  std::map<std::string, std::string> tags;
  for (const auto& [k, v] : want.at("tags").as_object())
    tags[std::string(k)] = json::value_to<std::string>(v);
  CHECK(got.tags == tags);
}

TEST_CASE("render functions match graphite-web 1.1.8's golden answers") {
  const json::value golden = LoadGolden();
  testing::TestStore db;
  WriteData(db.store(), golden.at("data").as_object());
  FunctionRegistry registry;
  RegisterBuiltinFunctions(registry);
  Evaluator evaluator(registry);
  const StoreTagIndex tags(db.store());  // seriesByTag
  for (const json::value& c : golden.at("cases").as_array()) {
    const std::string target = json::value_to<std::string>(c.at("target"));
    EvalContext ctx = testing::GoldenEvalContext(db.store(), tags, c, testing::kNow);
    common::Result<SeriesList> got = evaluator.EvaluateTarget(target, ctx);
    INFO("target: " << target);
    const json::value& want = c.at("result");
    if (want.is_object()) {
      const std::string error = json::value_to<std::string>(want.at("error"));
      INFO("graphite error: " << error);
      CHECK_FALSE(got.ok());
      // graphite-web says "Invalid parameters (MESSAGE); func: ...", or just
      // MESSAGE for its assertions (areaBetween, nPercentile).
      if (!got.ok()) {
        const std::string& message = got.status().message();
        CHECK((error.find("(" + message) != std::string::npos || error == message));
      }
      continue;
    }
    INFO(got.status().message());
    CHECK(got.ok());
    if (!got.ok()) continue;
    const auto& list = want.as_array();
    CHECK(got->size() == list.size());
    if (got->size() != list.size()) continue;
    for (size_t i = 0; i < list.size(); ++i) CheckSeries((*got)[i], list[i].as_object());
  }
}

}  // namespace
}  // namespace hourglass::query
