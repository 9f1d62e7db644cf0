// The "Combine" group: functions that merge several series into one or a
// few (sumSeries and friends, divideSeries, groupByNode(s)/groupByTags,
// *WithWildcards), with graphite-web 1.1's normalize()/aggregate() rules.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "query/function_registry.h"
#include "query/functions_common.h"

namespace hourglass::query {

using common::Result;
using common::Status;

Result<SeriesList> AsPercentList(EvalContext& ctx, SeriesList list, const Value& total,
                                 const std::vector<Value>& nodes);           // functions_percent.cc
Series DividePair(const EvalContext& ctx, Series dividend, Series divisor);  // functions_lists.cc
Result<SeriesList> AggregateWithWildcardsList(EvalContext& ctx, SeriesList list,
                                              std::string_view func,
                                              const std::vector<Value>& positions);  // combine2

namespace {

template <const char* kFunc>
Result<SeriesList> Aggregator(EvalContext& ctx, std::vector<Value>& args) {
  return AggregateSeries(ctx, std::move(args[0].series), kFunc, ctx.x_files_factor);
}
constexpr char kSum[] = "sum";
constexpr char kAverage[] = "average";
constexpr char kMax[] = "max";
constexpr char kMin[] = "min";
constexpr char kDiff[] = "diff";
constexpr char kMultiply[] = "multiply";

Result<SeriesList> MultiplySeries(EvalContext& ctx, std::vector<Value>& args) {
  // Legacy: one argument matching one series comes back unchanged.
  if (args[0].int_value == 1 && args[0].series.size() == 1) return std::move(args[0].series);
  return AggregateSeries(ctx, std::move(args[0].series), kMultiply, ctx.x_files_factor);
}

Result<SeriesList> Aggregate(EvalContext& ctx, std::vector<Value>& args) {
  const double xff = args[2].kind == Value::Kind::kNone ? ctx.x_files_factor : args[2].float_value;
  return AggregateSeries(ctx, std::move(args[0].series), args[1].string_value, xff);
}

Result<SeriesList> DivideSeries(EvalContext& ctx, std::vector<Value>& args) {
  SeriesList& dividends = args[0].series;
  SeriesList& divisors = args[1].series;
  if (divisors.empty()) {
    for (Series& s : dividends) {
      s.name = "divideSeries(" + s.name + ",MISSING)";
      s.path_expression = s.name;
      std::fill(s.values.begin(), s.values.end(), NAN);
    }
    return std::move(dividends);
  }
  if (divisors.size() > 1) {
    return Status::Error(fmt::format(
        "divideSeries second argument must reference exactly 1 series (got {})", divisors.size()));
  }
  SeriesList out;
  for (Series& dividend : dividends) {
    out.push_back(DividePair(ctx, std::move(dividend), divisors[0]));
  }
  return out;
}

// groupByNodes' callback: an aggregation or an aggregating series function,
// applied to one group; the first result series.
Result<Series> ApplyCallback(EvalContext& ctx, SeriesList group, const std::string& callback) {
  Result<SeriesList> r = SeriesList{};
  if (callback == "asPercent") {
    r = AsPercentList(ctx, std::move(group), Value{}, {});
  } else if (callback == "multiplySeries" && group.size() == 1) {
    r = std::move(group);
  } else if (callback == "sum" || callback == "avg") {
    r = AggregateSeries(ctx, std::move(group), callback == "sum" ? kSum : kAverage,
                        ctx.x_files_factor);
  } else if (callback == "sumSeriesWithWildcards" || callback == "averageSeriesWithWildcards") {
    r = AggregateSeries(ctx, std::move(group), callback.starts_with("sum") ? kSum : kAverage,
                        ctx.x_files_factor);
  } else {
    r = AggregateSeries(ctx, std::move(group), callback, ctx.x_files_factor);
  }
  if (!r.ok()) return r.status();
  if (r->empty()) return Status::Error("groupBy callback " + callback + " returned no series");
  return std::move(r->front());
}

struct Groups {
  std::vector<std::string> keys;  // first-seen order
  std::map<std::string, SeriesList> members;
};

void AddToGroup(Groups& g, std::string key, Series s) {
  auto [it, inserted] = g.members.try_emplace(key);
  if (inserted) g.keys.push_back(std::move(key));
  it->second.push_back(std::move(s));
}

Result<SeriesList> GroupByNodesImpl(EvalContext& ctx, SeriesList list, const std::string& callback,
                                    const std::vector<Value>& nodes) {
  AggFunc unused;
  if (!ParseAggFunc(callback, unused, true) && callback != "asPercent" &&
      !callback.ends_with("WithWildcards")) {
    return Status::Error("Unsupported aggregation function: " + callback);
  }
  Groups g;
  for (Series& s : list) {
    std::string key = AggKey(s, nodes);
    AddToGroup(g, std::move(key), std::move(s));
  }
  SeriesList out;
  for (const std::string& key : g.keys) {
    Result<Series> s = ApplyCallback(ctx, std::move(g.members[key]), callback);
    if (!s.ok()) return s.status();
    s->name = key;
    out.push_back(std::move(*s));
  }
  return out;
}

Result<SeriesList> GroupByNode(EvalContext& ctx, std::vector<Value>& args) {
  return GroupByNodesImpl(ctx, std::move(args[0].series), args[2].string_value, {args[1]});
}

Result<SeriesList> GroupByNodes(EvalContext& ctx, std::vector<Value>& args) {
  return GroupByNodesImpl(ctx, std::move(args[0].series), args[1].string_value, args[2].items);
}

Result<SeriesList> GroupByTags(EvalContext& ctx, std::vector<Value>& args) {
  std::vector<std::string> tags;
  bool by_name = false;
  for (const Value& v : args[2].items) {
    tags.push_back(PyNumber(v));
    by_name = by_name || tags.back() == "name";
  }
  if (tags.empty()) return Status::Error("groupByTags(): no tags specified");
  const std::string& callback = args[1].string_value;
  SeriesList& list = args[0].series;
  std::string common_name;
  for (const Series& s : list) {
    const std::string& n = s.tags.count("name") ? s.tags.at("name") : s.name;
    common_name = &s == &list[0] || common_name == n ? n : callback;
  }
  Groups g;
  for (Series& s : list) {
    std::vector<std::string> parts;
    for (const std::string& t : tags) {
      if (t == "name") continue;
      auto it = s.tags.find(t);
      parts.push_back(t + "=" + (it == s.tags.end() ? "" : it->second));
    }
    std::sort(parts.begin(), parts.end());
    std::string key = by_name ? s.tags["name"] : common_name;
    for (const std::string& p : parts) key += ";" + p;
    AddToGroup(g, std::move(key), std::move(s));
  }
  SeriesList out;
  for (const std::string& key : g.keys) {
    Result<Series> s = ApplyCallback(ctx, std::move(g.members[key]), callback);
    if (!s.ok()) return s.status();
    s->name = s->path_expression = key;
    s->tags = ParseTags(key);
    out.push_back(std::move(*s));
  }
  return out;
}

template <const char* kFunc>
Result<SeriesList> WithWildcards(EvalContext& ctx, std::vector<Value>& args) {
  return AggregateWithWildcardsList(ctx, std::move(args[0].series), kFunc, args[1].items);
}

}  // namespace

void RegisterCombineFunctions(FunctionRegistry& r) {
  const Param series{"seriesList", ParamType::kSeriesList, true};
  const Param lists{"seriesLists", ParamType::kSeriesLists, true};
  auto add_agg = [&](std::string name, FunctionImpl impl, std::string what) {
    r.Add({std::move(name),
           {lists},
           impl,
           "Combine",
           "Combines the series point by point with " + what +
               ", after bringing them to a "
               "common step (the lcm of their steps).",
           true});
  };
  add_agg("sumSeries", &Aggregator<kSum>, "their sum");
  add_agg("sum", &Aggregator<kSum>, "their sum");
  add_agg("averageSeries", &Aggregator<kAverage>, "their average");
  add_agg("avg", &Aggregator<kAverage>, "their average");
  add_agg("maxSeries", &Aggregator<kMax>, "their maximum");
  add_agg("minSeries", &Aggregator<kMin>, "their minimum");
  add_agg("diffSeries", &Aggregator<kDiff>, "the first minus the others");
  add_agg("multiplySeries", &MultiplySeries, "their product");
  r.Add({"aggregate",
         {series, {"func", ParamType::kAggFunc, true}, {"xFilesFactor", ParamType::kFloat}},
         &Aggregate,
         "Combine",
         "Combines the series point by point with the given function."});
  r.Add({"divideSeries",
         {{"dividendSeriesList", ParamType::kSeriesList, true},
          {"divisorSeries", ParamType::kSeriesList, true}},
         &DivideSeries,
         "Combine",
         "Divides each series by the one divisor series."});
  r.Add({"groupByNode",
         {series,
          {"nodeNum", ParamType::kNodeOrTag, true},
          {"callback", ParamType::kAggOrSeriesFunc, false, {}, "\"average\""}},
         &GroupByNode,
         "Combine",
         "Groups the series by one node (or tag) and combines each group with the callback."});
  r.Add({"groupByNodes",
         {series,
          {"callback", ParamType::kAggOrSeriesFunc, true},
          {"nodes", ParamType::kNodeOrTag, false, {}, {}, true}},
         &GroupByNodes,
         "Combine",
         "Groups the series by several nodes (or tags) and combines each group with the "
         "callback."});
  r.Add({"groupByTags",
         {series,
          {"callback", ParamType::kAggOrSeriesFunc, true},
          {"tags", ParamType::kTag, true, {}, {}, true}},
         &GroupByTags,
         "Combine",
         "Groups the series by tag values and combines each group with the callback."});
  const Param positions{"position", ParamType::kNode, false, {}, {}, true};
  r.Add({"sumSeriesWithWildcards",
         {series, positions},
         &WithWildcards<kSum>,
         "Combine",
         "Sums the series that are equal once the given nodes are removed from their names.",
         true});
  r.Add({"averageSeriesWithWildcards",
         {series, positions},
         &WithWildcards<kAverage>,
         "Combine",
         "Averages the series that are equal once the given nodes are removed from their names.",
         true});
}

}  // namespace hourglass::query
