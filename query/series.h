// Series: graphite-web's TimeSeries (render/datalib.py) as the evaluator and
// the renderers see it: values at start + i*step, NaN for None, a
// consolidation function and values-per-point applied when iterated, tags.
// Plain values, owned by one request; no sharing between threads.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace hourglass::query {

enum class ConsolidationFunc { kAverage, kAvgZero, kSum, kMin, kMax, kFirst, kLast };

// "average"/"avg", "avg_zero", "sum", "min", "max", "first", "last".
bool ParseConsolidationFunc(std::string_view name, ConsolidationFunc& out);

struct Series {
  std::string name;
  std::string path_expression;  // what produced it (used by aggregate names)
  int64_t start = 0;
  int64_t end = 0;
  int64_t step = 1;
  std::vector<double> values;  // NaN = None
  ConsolidationFunc consolidation = ConsolidationFunc::kAverage;
  std::string consolidation_name = "average";
  int64_t values_per_point = 1;
  double x_files_factor = 0;
  std::map<std::string, std::string> tags;  // always holds "name"
};

using SeriesList = std::vector<Series>;

// A fresh series named `name` with tags parsed from the name as graphite's
// tag database does ("a.b;k=v" -> {name: a.b, k: v}; "f(x)" -> {name: f(x)}).
Series MakeSeries(std::string name, int64_t start, int64_t end, int64_t step,
                  std::vector<double> values);
std::map<std::string, std::string> ParseTags(const std::string& name);

// The values as iterated in graphite (consolidated by values_per_point with
// the consolidation function and xFilesFactor; a partial last bucket counts).
std::vector<double> ConsolidatedValues(const Series& series);

// Applies graphite-web 1.1's renderViewJson maxDataPoints logic to each
// series (nudges start, drops leading values, sets values_per_point).
void ApplyMaxDataPoints(SeriesList& list, int64_t max_data_points);

}  // namespace hourglass::query
