// The "Combine" functions that pair two series lists position by position
// (aggregateSeriesLists and its sum/diff/multiply shorthands,
// divideSeriesLists) or by node key (weightedAverage), as graphite-web 1.1.8
// defines them; lists of different lengths are a 400.
#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "query/function_registry.h"
#include "query/functions_common.h"

namespace hourglass::query {

using common::Result;
using common::Status;

// divideSeries of one pair: both brought to a common step, safeDiv point by
// point, named "divideSeries(a,b)".
Series DividePair(const EvalContext& ctx, Series dividend, Series divisor) {
  SeriesList both{std::move(dividend), std::move(divisor)};
  int64_t start = 0, end = 0, step = 1;
  Normalize(both, start, end, step);
  size_t length = 0;
  const auto cols = Columns(both, length);
  std::vector<double> values(length, NAN);
  for (size_t i = 0; i < length; ++i) {
    const double a = i < cols[0].size() ? cols[0][i] : NAN;
    const double b = i < cols[1].size() ? cols[1][i] : NAN;
    if (!std::isnan(a) && !std::isnan(b) && b != 0) values[i] = a / b;
  }
  Series q = MakeSeries("divideSeries(" + both[0].name + "," + both[1].name + ")", start, end, step,
                        std::move(values));
  q.x_files_factor = ctx.x_files_factor;
  return q;
}

namespace {

Result<SeriesList> AggregateLists(EvalContext& ctx, SeriesList first, SeriesList second,
                                  std::string_view func, double xff) {
  if (first.size() != second.size()) {
    return Status::Error(
        "seriesListFirstPos and seriesListSecondPos argument must have equal length");
  }
  SeriesList out;
  for (size_t i = 0; i < first.size(); ++i) {
    const std::string names = first[i].name + "," + second[i].name;
    Result<SeriesList> r =
        AggregateSeries(ctx, {std::move(first[i]), std::move(second[i])}, func, xff);
    if (!r.ok()) return r.status();
    if (r->empty()) continue;
    Series& s = r->front();
    s.name = s.name.substr(0, s.name.find("Series(")) + "Series(" + names + ")";
    out.push_back(std::move(s));
  }
  return out;
}

Result<SeriesList> AggregateSeriesLists(EvalContext& ctx, std::vector<Value>& args) {
  const double xff = args[3].kind == Value::Kind::kNone ? ctx.x_files_factor : args[3].float_value;
  return AggregateLists(ctx, std::move(args[0].series), std::move(args[1].series),
                        args[2].string_value, xff);
}

template <const char* kFunc>
Result<SeriesList> ListsShorthand(EvalContext& ctx, std::vector<Value>& args) {
  return AggregateLists(ctx, std::move(args[0].series), std::move(args[1].series), kFunc,
                        ctx.x_files_factor);
}
constexpr char kSum[] = "sum";
constexpr char kDiff[] = "diff";
constexpr char kMultiply[] = "multiply";

Result<SeriesList> DivideSeriesLists(EvalContext& ctx, std::vector<Value>& args) {
  SeriesList& dividends = args[0].series;
  SeriesList& divisors = args[1].series;
  if (dividends.size() != divisors.size()) {
    return Status::Error(
        "dividendSeriesList and divisorSeriesList argument must have equal length");
  }
  SeriesList out;
  for (size_t i = 0; i < dividends.size(); ++i) {
    out.push_back(DividePair(ctx, std::move(dividends[i]), std::move(divisors[i])));
  }
  return out;
}

// The sorted distinct path expressions, comma-joined.
std::string SortedPaths(const SeriesList& list) {
  std::set<std::string> paths;
  for (const Series& s : list) paths.insert(s.path_expression);
  return fmt::format("{}", fmt::join(paths, ","));
}

// sum(avg * weight) / sum(weight) over the pairs with equal node keys (the
// last of each key); the weight sum is over every weight series.
Result<SeriesList> WeightedAverage(EvalContext& ctx, std::vector<Value>& args) {
  SeriesList& avgs = args[0].series;
  SeriesList& weights = args[1].series;
  const std::vector<Value>& nodes = args[2].items;
  if (avgs.size() != weights.size()) {
    return Status::Error(
        fmt::format("weightedAverage must receive the same number of series for seriesListAvg and "
                    "seriesListWeight but received respectively {} and {}",
                    avgs.size(), weights.size()));
  }
  std::vector<std::string> keys;
  std::map<std::string, std::pair<const Series*, const Series*>> pairs;
  auto slot = [&](const Series& s) -> std::pair<const Series*, const Series*>& {
    std::string key = AggKey(s, nodes);
    auto [it, inserted] = pairs.try_emplace(key, nullptr, nullptr);
    if (inserted) keys.push_back(std::move(key));
    return it->second;
  };
  for (size_t i = 0; i < avgs.size(); ++i) {
    slot(avgs[i]).first = &avgs[i];
    slot(weights[i]).second = &weights[i];
  }
  SeriesList products;
  for (const std::string& key : keys) {
    const auto [avg, weight] = pairs[key];
    if (avg == nullptr || weight == nullptr) continue;
    const std::vector<double> a = ConsolidatedValues(*avg), w = ConsolidatedValues(*weight);
    std::vector<double> values(std::max(a.size(), w.size()), NAN);
    for (size_t i = 0; i < a.size() && i < w.size(); ++i) values[i] = a[i] * w[i];
    Series p = MakeSeries("product(" + weight->name + "," + avg->name + ")", avg->start, avg->end,
                          avg->step, std::move(values));
    p.path_expression = p.name;
    products.push_back(std::move(p));
  }
  if (products.empty()) return SeriesList{};
  std::vector<std::string> node_texts;
  for (const Value& n : nodes) node_texts.push_back(PyNumber(n));
  const std::string name = fmt::format("weightedAverage({}, {}, {})", SortedPaths(avgs),
                                       SortedPaths(weights), fmt::join(node_texts, ","));
  Result<SeriesList> sum_products =
      AggregateSeries(ctx, std::move(products), "sum", ctx.x_files_factor);
  if (!sum_products.ok()) return sum_products.status();
  Result<SeriesList> sum_weights =
      AggregateSeries(ctx, std::move(weights), "sum", ctx.x_files_factor);
  if (!sum_weights.ok()) return sum_weights.status();
  const Series& top = sum_products->front();
  const std::vector<double> p = ConsolidatedValues(top);
  const std::vector<double> w =
      sum_weights->empty() ? std::vector<double>{} : ConsolidatedValues(sum_weights->front());
  std::vector<double> values(std::max(p.size(), w.size()), NAN);
  for (size_t i = 0; i < p.size() && i < w.size(); ++i) {
    if (!std::isnan(p[i]) && !std::isnan(w[i]) && w[i] != 0) values[i] = p[i] / w[i];
  }
  Series out = MakeSeries(name, top.start, top.end, top.step, std::move(values));
  out.x_files_factor = ctx.x_files_factor;
  return SeriesList{std::move(out)};
}

}  // namespace

void RegisterListsFunctions(FunctionRegistry& r) {
  const Param first{"seriesListFirstPos", ParamType::kSeriesList, true};
  const Param second{"seriesListSecondPos", ParamType::kSeriesList, true};
  const std::string c = "Combine";
  r.Add({"aggregateSeriesLists",
         {first, second, {"func", ParamType::kAggFunc, true}, {"xFilesFactor", ParamType::kFloat}},
         &AggregateSeriesLists,
         c,
         "Aggregates the n-th series of the first list with the n-th of the second; the lists "
         "must be of equal length."});
  auto shorthand = [&](std::string name, FunctionImpl impl, std::string what) {
    r.Add({std::move(name),
           {first, second},
           impl,
           c,
           what + " of the n-th series of the first list and the n-th of the second.",
           true});
  };
  shorthand("sumSeriesLists", &ListsShorthand<kSum>, "The sum");
  shorthand("diffSeriesLists", &ListsShorthand<kDiff>, "The difference");
  shorthand("multiplySeriesLists", &ListsShorthand<kMultiply>, "The product");
  r.Add({"divideSeriesLists",
         {{"dividendSeriesList", ParamType::kSeriesList, true},
          {"divisorSeriesList", ParamType::kSeriesList, true}},
         &DivideSeriesLists,
         c,
         "Divides the n-th series of the first list by the n-th of the second."});
  r.Add({"weightedAverage",
         {{"seriesListAvg", ParamType::kSeriesList, true},
          {"seriesListWeight", ParamType::kSeriesList, true},
          {"nodes", ParamType::kNodeOrTag, false, {}, {}, true}},
         &WeightedAverage,
         c,
         "The average of the first list weighted by the second, pairing series by the nodes."});
}

}  // namespace hourglass::query
