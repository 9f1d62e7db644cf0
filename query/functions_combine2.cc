// More of the "Combine" group, as graphite-web 1.1.8 defines them:
// countSeries, percentileOfSeries, stddevSeries/rangeOfSeries, group,
// aggregateWithWildcards, mapSeries/reduceSeries (mapSeries' groups stay one
// flat list in group order, which is all reduceSeries needs), applyByNode
// (which evaluates a target per prefix within the request's bounds) and the
// pct alias of asPercent.
#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "query/evaluator.h"
#include "query/function_registry.h"
#include "query/functions_common.h"

namespace hourglass::query {

using common::Result;
using common::Status;

// aggregateWithWildcards(): the series grouped by their names without the
// given nodes, each group aggregated with `func` and named by its key.
Result<SeriesList> AggregateWithWildcardsList(EvalContext& ctx, SeriesList list,
                                              std::string_view func,
                                              const std::vector<Value>& positions) {
  std::vector<std::string> keys;
  std::map<std::string, SeriesList> groups;
  for (Series& s : list) {
    std::string key;
    int64_t i = 0;
    bool first = true;
    for (size_t pos = 0; pos <= s.name.size(); ++i) {
      size_t dot = s.name.find('.', pos);
      if (dot == std::string::npos) dot = s.name.size();
      const bool wildcard = std::any_of(positions.begin(), positions.end(),
                                        [&](const Value& v) { return v.int_value == i; });
      if (!wildcard) {
        if (!first) key.push_back('.');
        key += s.name.substr(pos, dot - pos);
        first = false;
      }
      pos = dot + 1;
    }
    auto [it, inserted] = groups.try_emplace(key);
    if (inserted) keys.push_back(key);
    it->second.push_back(std::move(s));
  }
  SeriesList out;
  for (const std::string& key : keys) {
    Result<SeriesList> r = AggregateSeries(ctx, std::move(groups[key]), func, ctx.x_files_factor);
    if (!r.ok()) return r.status();
    r->front().name = key;
    out.push_back(std::move(r->front()));
  }
  return out;
}

namespace {

constexpr char kMultiply[] = "multiply";

// The number of series at every timestamp; constantLine(0) with no lists.
Result<SeriesList> CountSeries(EvalContext& ctx, std::vector<Value>& args) {
  SeriesList& list = args[0].series;
  if (args[0].int_value == 0) {
    Value zero;
    zero.kind = Value::Kind::kInt;
    Result<SeriesList> line = CallFunction(ctx, "constantLine", {zero}, false);
    if (line.ok()) line->front().path_expression = "countSeries()";
    return line;
  }
  if (list.empty()) return SeriesList{};
  int64_t start = 0, end = 0, step = 1;
  Normalize(list, start, end, step);
  size_t length = 0;
  Columns(list, length);
  const std::string name = "countSeries(" + FormatPathExpressions(list) + ")";
  Series s = MakeSeries(name, start, end, step,
                        std::vector<double>(length, static_cast<double>(list.size())));
  s.path_expression = name;
  s.x_files_factor = ctx.x_files_factor;
  return SeriesList{std::move(s)};
}

Result<SeriesList> PercentileOfSeries(EvalContext& ctx, std::vector<Value>& args) {
  const double n = args[1].float_value;
  if (n <= 0) return Status::Error("The requested percent is required to be greater than 0");
  SeriesList& list = args[0].series;
  if (list.empty()) return SeriesList{};
  const std::string name =
      fmt::format("percentileOfSeries({},{})", list[0].path_expression, PyG(n));
  int64_t start = 0, end = 0, step = 1;
  Normalize(list, start, end, step);
  size_t length = 0;
  const auto columns = Columns(list, length);
  std::vector<double> values(length), row(columns.size());
  for (size_t i = 0; i < length; ++i) {
    for (size_t c = 0; c < columns.size(); ++c) {
      row[c] = i < columns[c].size() ? columns[c][i] : NAN;
    }
    values[i] = GetPercentile(row, n, args[2].bool_value);
  }
  Series s = MakeSeries(name, start, end, step, std::move(values));
  s.x_files_factor = ctx.x_files_factor;
  return SeriesList{std::move(s)};
}

Result<SeriesList> Group(EvalContext&, std::vector<Value>& args) {
  return std::move(args[0].series);
}

Result<SeriesList> AggregateWithWildcards(EvalContext& ctx, std::vector<Value>& args) {
  return AggregateWithWildcardsList(ctx, std::move(args[0].series), args[1].string_value,
                                    args[2].items);
}

Result<SeriesList> MultiplyWithWildcards(EvalContext& ctx, std::vector<Value>& args) {
  return AggregateWithWildcardsList(ctx, std::move(args[0].series), kMultiply, args[1].items);
}

// Python's list[:end] bound for a list of `size` items.
size_t PySliceEnd(int64_t end, size_t size) {
  const auto n = static_cast<int64_t>(size);
  return static_cast<size_t>(std::clamp<int64_t>(end < 0 ? end + n : end, 0, n));
}

std::vector<std::string> SplitDots(const std::string& name) {
  std::vector<std::string> nodes;
  for (size_t pos = 0;;) {
    const size_t dot = name.find('.', pos);
    nodes.push_back(name.substr(pos, dot == std::string::npos ? dot : dot - pos));
    if (dot == std::string::npos) return nodes;
    pos = dot + 1;
  }
}

std::string JoinDots(const std::vector<std::string>& nodes, size_t end) {
  std::string out;
  for (size_t i = 0; i < end; ++i) out += (i ? "." : "") + nodes[i];
  return out;
}

std::string ReplaceAll(std::string text, std::string_view from, std::string_view to) {
  for (size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

// templateFunction with % replaced by each distinct name prefix (nodes
// 0..nodeNum, sorted), evaluated as a new target; every answer takes the
// last input series' start and end, as graphite-web's loop leaves them.
Result<SeriesList> ApplyByNode(EvalContext& ctx, std::vector<Value>& args) {
  const SeriesList& list = args[0].series;
  std::set<std::string> prefixes;
  for (const Series& s : list) {
    const std::vector<std::string> nodes = SplitDots(s.name);
    prefixes.insert(JoinDots(nodes, PySliceEnd(args[1].int_value + 1, nodes.size())));
  }
  if (ctx.evaluator == nullptr) return Status::Error("applyByNode needs the evaluator");
  const std::string& new_name = args[3].string_value;
  SeriesList out;
  for (const std::string& prefix : prefixes) {
    const std::string target = ReplaceAll(args[2].string_value, "%", prefix);
    Result<SeriesList> found = ctx.evaluator->EvaluateTarget(target, ctx);
    if (!found.ok()) return found.status();
    for (Series& s : *found) {
      if (!new_name.empty()) s.name = ReplaceAll(new_name, "%", prefix);
      s.path_expression = prefix;
      s.start = list.back().start;
      s.end = list.back().end;
      out.push_back(std::move(s));
    }
  }
  return out;
}

// mapSeries' groups (by aggKey of the nodes), one after another.
Result<SeriesList> MapSeries(EvalContext&, std::vector<Value>& args) {
  std::vector<std::string> keys;
  std::map<std::string, SeriesList> groups;
  for (Series& s : args[0].series) {
    std::string key = AggKey(s, args[1].items);
    auto [it, inserted] = groups.try_emplace(key);
    if (inserted) keys.push_back(std::move(key));
    it->second.push_back(std::move(s));
  }
  SeriesList out;
  for (const std::string& key : keys) {
    for (Series& s : groups[key]) out.push_back(std::move(s));
  }
  return out;
}

// Series sharing the nodes before reduceNode, one per matcher (by the node
// at reduceNode), given to reduceFunction as one list each.
Result<SeriesList> ReduceSeries(EvalContext& ctx, std::vector<Value>& args) {
  const std::string& function = args[1].string_value;
  const int64_t reduce_node = args[2].int_value;
  std::vector<std::string> matchers;
  for (const Value& v : args[3].items) matchers.push_back(v.string_value);
  std::vector<std::string> keys;
  std::map<std::string, std::vector<std::optional<Series>>> groups;
  for (Series& s : args[0].series) {
    const std::vector<std::string> nodes = SplitDots(s.name);
    const auto size = static_cast<int64_t>(nodes.size());
    const int64_t at = reduce_node < 0 ? reduce_node + size : reduce_node;
    if (at < 0 || at >= size) {
      return Status::Error(fmt::format("reduceSeries: '{}' has no node {}", s.name, reduce_node));
    }
    auto match = std::find(matchers.begin(), matchers.end(), nodes[static_cast<size_t>(at)]);
    if (match == matchers.end()) continue;
    std::string key =
        JoinDots(nodes, PySliceEnd(reduce_node, nodes.size())) + ".reduce." + function;
    auto [it, inserted] = groups.try_emplace(key, matchers.size());
    if (inserted) keys.push_back(key);
    it->second[static_cast<size_t>(match - matchers.begin())] = std::move(s);
  }
  SeriesList out;
  for (const std::string& key : keys) {
    std::vector<Value> lists;
    for (size_t i = 0; i < matchers.size(); ++i) {
      std::optional<Series>& s = groups[key][i];
      if (!s) {
        return Status::Error(
            fmt::format("reduceSeries: no series for '{}' in {}", matchers[i], key));
      }
      lists.push_back(SeriesValue({std::move(*s)}));
    }
    Result<SeriesList> r = CallFunction(ctx, function, std::move(lists), true);
    if (!r.ok()) return r.status();
    if (r->empty()) return Status::Error(fmt::format("reduceSeries: {} returned no series", key));
    r->front().name = key;
    out.push_back(std::move(r->front()));
  }
  return out;
}

}  // namespace

void RegisterCombine2Functions(FunctionRegistry& r) {
  const Param series{"seriesList", ParamType::kSeriesList, true};
  const std::string c = "Combine";
  r.Add({"countSeries",
         {{"seriesLists", ParamType::kSeriesLists}},
         &CountSeries,
         c,
         "The number of series, at every timestamp.",
         true});
  r.Add({"percentileOfSeries",
         {series,
          {"n", ParamType::kFloat, true},
          {"interpolate", ParamType::kBoolean, false, {}, "false"}},
         &PercentileOfSeries,
         c,
         "The n-th percentile of the series' values at every timestamp."});
  const Param lists{"seriesLists", ParamType::kSeriesLists, true};
  r.Add({"stddevSeries",
         {lists},
         +[](EvalContext& ctx, std::vector<Value>& args) {
           return AggregateSeries(ctx, std::move(args[0].series), "stddev", ctx.x_files_factor);
         },
         c,
         "The standard deviation of the series at every timestamp.",
         true});
  r.Add({"rangeOfSeries",
         {lists},
         +[](EvalContext& ctx, std::vector<Value>& args) {
           return AggregateSeries(ctx, std::move(args[0].series), "rangeOf", ctx.x_files_factor);
         },
         c,
         "The range (maximum minus minimum) of the series at every timestamp.",
         true});
  r.Add({"group",
         {{"seriesLists", ParamType::kSeriesLists}},
         &Group,
         c,
         "All the series of the lists as one list."});
  const Param positions{"position", ParamType::kNode, false, {}, {}, true};
  r.Add({"aggregateWithWildcards",
         {series, {"func", ParamType::kAggFunc, true}, positions},
         &AggregateWithWildcards,
         c,
         "Aggregates the series that are equal once the given nodes are removed from their "
         "names."});
  r.Add({"multiplySeriesWithWildcards",
         {series, positions},
         &MultiplyWithWildcards,
         c,
         "Multiplies the series that are equal once the given nodes are removed from their names.",
         true});
  r.Add({"applyByNode",
         {series,
          {"nodeNum", ParamType::kNode, true},
          {"templateFunction", ParamType::kString, true},
          {"newName", ParamType::kString}},
         &ApplyByNode,
         c,
         "Evaluates the template (% replaced by each name prefix up to nodeNum) once per "
         "prefix."});
  for (const char* name : {"mapSeries", "map"}) {
    r.Add({name,
           {series, {"mapNodes", ParamType::kNodeOrTag, true, {}, {}, true}},
           &MapSeries,
           c,
           "Groups the series by the given nodes, for reduceSeries."});
  }
  for (const char* name : {"reduceSeries", "reduce"}) {
    r.Add({name,
           {{"seriesLists", ParamType::kNestedSeriesLists, true},
            {"reduceFunction", ParamType::kString, true},
            {"reduceNode", ParamType::kNode, true},
            {"reduceMatchers", ParamType::kString, true, {}, {}, true}},
           &ReduceSeries,
           c,
           "Calls reduceFunction with the series of each group whose node reduceNode is one of "
           "the matchers, in matcher order."});
  }
  if (const FunctionDef* as_percent = r.Find("asPercent")) {
    FunctionDef pct = *as_percent;
    pct.name = "pct";
    r.Add(std::move(pct));
  }
}

}  // namespace hourglass::query
