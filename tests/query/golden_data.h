// The points of tests/query/golden/functions.json ("data": name -> first,
// step, values with nulls) written into a real SeriesStore, so Hourglass
// answers over the same points graphite-web computed its golden answers on.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

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

}  // namespace hourglass::query::testing
