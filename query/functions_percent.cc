// asPercent (graphite-web 1.1): each series as a percentage of a total (the
// sum of the list, one total series, a matching list, a number, or per node
// group). Kept apart from functions_combine.cc for its many cases.
#include <algorithm>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "query/function_registry.h"
#include "query/functions_common.h"

namespace hourglass::query {

using common::Result;
using common::Status;

namespace {

double Percent(double v, double total) {
  if (std::isnan(v) || std::isnan(total) || total == 0) return NAN;
  return v / total * 100.0;
}

// safeSum over each row of the (consolidated) series.
std::vector<double> RowSums(const SeriesList& list) {
  size_t length = 0;
  const auto cols = Columns(list, length);
  std::vector<double> out(length, NAN);
  for (size_t i = 0; i < length; ++i) {
    std::vector<double> row;
    for (const auto& c : cols) row.push_back(i < c.size() ? c[i] : NAN);
    out[i] = ApplyAgg(AggFunc::kSum, row);
  }
  return out;
}

Series Make(const EvalContext& ctx, std::string name, int64_t start, int64_t end, int64_t step,
            std::vector<double> values) {
  Series s = MakeSeries(std::move(name), start, end, step, std::move(values));
  s.x_files_factor = ctx.x_files_factor;
  return s;
}

// One series against one total series, both normalized to a common step.
Series PercentOfSeries(const EvalContext& ctx, const Series& a, const Series& b) {
  SeriesList pair{a, b};
  int64_t start = 0, end = 0, step = 1;
  Normalize(pair, start, end, step);
  size_t length = 0;
  const auto cols = Columns(pair, length);
  std::vector<double> values(length);
  for (size_t i = 0; i < length; ++i) {
    values[i] =
        Percent(i < cols[0].size() ? cols[0][i] : NAN, i < cols[1].size() ? cols[1][i] : NAN);
  }
  return Make(ctx, "asPercent(" + a.name + "," + b.name + ")", start, end, step, std::move(values));
}

// A group's total: the series itself, or the sum of the group.
Series GroupTotal(const EvalContext& ctx, SeriesList group) {
  if (group.size() == 1) return std::move(group[0]);
  const std::string name = "sumSeries(" + FormatPathExpressions(group) + ")";
  int64_t start = 0, end = 0, step = 1;
  Normalize(group, start, end, step);
  return Make(ctx, name, start, end, step, RowSums(group));
}

Series AllNull(const EvalContext& ctx, std::string name, const Series& like) {
  return Make(ctx, std::move(name), like.start, like.end, like.step,
              std::vector<double>(ConsolidatedValues(like).size(), NAN));
}

Result<SeriesList> ByNodes(EvalContext& ctx, SeriesList list, const Value& total,
                           const std::vector<Value>& nodes) {
  std::vector<std::string> keys;
  std::map<std::string, SeriesList> members, totals;
  for (Series& s : list) {
    std::string key = AggKey(s, nodes);
    if (!members.count(key)) keys.push_back(key);
    members[key].push_back(std::move(s));
  }
  if (total.kind == Value::Kind::kNone) {
    for (const auto& key : keys) totals[key] = members[key];
  } else if (total.kind == Value::Kind::kSeriesList) {
    for (const Series& s : total.series) {
      std::string key = AggKey(s, nodes);
      if (!members.count(key) && !totals.count(key)) keys.push_back(key);
      totals[key].push_back(s);
    }
  } else {
    return Status::Error("total must be None or a seriesList");
  }
  SeriesList out;
  for (const std::string& key : keys) {
    auto t = totals.find(key);
    if (!members.count(key)) {
      const Series sum = GroupTotal(ctx, t->second);
      out.push_back(AllNull(ctx, "asPercent(MISSING," + sum.name + ")", sum));
      continue;
    }
    std::optional<Series> sum;
    if (t != totals.end()) sum = GroupTotal(ctx, t->second);
    for (const Series& s : members[key]) {
      out.push_back(sum ? PercentOfSeries(ctx, s, *sum)
                        : AllNull(ctx, "asPercent(" + s.name + ",MISSING)", s));
    }
  }
  return out;
}

}  // namespace

Result<SeriesList> AsPercentList(EvalContext& ctx, SeriesList list, const Value& total,
                                 const std::vector<Value>& nodes) {
  if (list.empty()) return SeriesList{};
  int64_t start = 0, end = 0, step = 1;
  Normalize(list, start, end, step);
  if (!nodes.empty()) return ByNodes(ctx, std::move(list), total, nodes);
  std::vector<double> totals;
  std::string total_text;
  if (total.kind == Value::Kind::kNone) {
    totals = RowSums(list);
    total_text = "sumSeries(" + FormatPathExpressions(list) + ")";
  } else if (total.kind == Value::Kind::kSeriesList) {
    if (total.series.size() != 1 && total.series.size() != list.size()) {
      return Status::Error(
          "asPercent second argument must be missing, a single digit, reference exactly 1 series "
          "or reference the same number of series as the first argument");
    }
    if (total.series.size() == list.size()) {
      SeriesList a = list, b = total.series;
      auto by_name = [](const Series& x, const Series& y) { return x.name < y.name; };
      std::stable_sort(a.begin(), a.end(), by_name);
      std::stable_sort(b.begin(), b.end(), by_name);
      SeriesList out;
      for (size_t i = 0; i < a.size(); ++i) out.push_back(PercentOfSeries(ctx, a[i], b[i]));
      return out;
    }
    SeriesList both = list;
    both.push_back(total.series[0]);
    Normalize(both, start, end, step);
    for (size_t i = 0; i < list.size(); ++i) list[i].values_per_point = both[i].values_per_point;
    totals = ConsolidatedValues(both.back());
    total_text = total.series[0].name;
  } else if (total.kind == Value::Kind::kInt || total.kind == Value::Kind::kFloat) {
    totals.assign(list[0].values.size(), total.float_value);
    total_text = PyNumber(total);
  } else {
    return Status::Error("asPercent: total must be a number or a seriesList");
  }
  SeriesList out;
  for (const Series& s : list) {
    const std::vector<double> v = ConsolidatedValues(s);
    std::vector<double> values(std::max(v.size(), totals.size()));
    for (size_t i = 0; i < values.size(); ++i) {
      values[i] = Percent(i < v.size() ? v[i] : NAN, i < totals.size() ? totals[i] : NAN);
    }
    out.push_back(Make(ctx, "asPercent(" + s.name + "," + total_text + ")", s.start, s.end, s.step,
                       std::move(values)));
  }
  return out;
}

namespace {

Result<SeriesList> AsPercent(EvalContext& ctx, std::vector<Value>& args) {
  return AsPercentList(ctx, std::move(args[0].series), args[1], args[2].items);
}

}  // namespace

void RegisterPercentFunction(FunctionRegistry& r) {
  r.Add({"asPercent",
         {{"seriesList", ParamType::kSeriesList, true},
          {"total", ParamType::kAny},
          {"nodes", ParamType::kNodeOrTag, false, {}, {}, true}},
         &AsPercent,
         "Combine",
         "Each series as a percentage of a total: the sum of the list, a total series or list, a "
         "number, or per group of nodes.",
         true});
}

}  // namespace hourglass::query
