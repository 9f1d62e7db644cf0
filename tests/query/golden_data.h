// The points of tests/query/golden/functions.json ("data": name -> first,
// step, values with nulls) written into a real SeriesStore, so Hourglass
// answers over the same points graphite-web computed its golden answers on,
// and the evaluation context of one of its cases.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "query/function_registry.h"
#include "store/series_store.h"

namespace hourglass::query::testing {

inline boost::json::value LoadGoldenFile(const std::string& file) {
  std::ifstream in(std::string(HG_GOLDEN_DIR) + "/" + file);
  std::stringstream text;
  text << in.rdbuf();
  return boost::json::parse(text.str());
}

inline void WriteGoldenData(store::SeriesStore& store, const boost::json::object& data) {
  for (const auto& [key, spec] : data) {
    const std::string name(key);
    const auto& obj = spec.as_object();
    const int64_t first = obj.at("first").to_number<int64_t>();
    const int64_t step = obj.at("step").to_number<int64_t>();
    std::vector<store::Point> points;
    const auto& values = obj.at("values").as_array();
    for (size_t i = 0; i < values.size(); ++i) {
      if (values[i].is_null()) continue;
      points.push_back(
          {name, first + static_cast<int64_t>(i) * step, values[i].to_number<double>()});
    }
    REQUIRE(store.Write(points).ok());
    std::vector<std::string> names{name};
    REQUIRE(store.RegisterNames(names).ok());
  }
}

// The evaluation context of one golden case ("from", "until"; now is kNow of
// test_store.h, which functions.json was computed with).
inline EvalContext GoldenEvalContext(const store::SeriesStore& store, const TagIndex& tags,
                                     const boost::json::value& golden_case, int64_t now) {
  EvalContext ctx;
  ctx.store = &store;
  ctx.tags = &tags;
  ctx.from = golden_case.at("from").to_number<int64_t>();
  ctx.until = golden_case.at("until").to_number<int64_t>();
  ctx.now = now;
  return ctx;
}

}  // namespace hourglass::query::testing
