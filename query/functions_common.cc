#include "query/functions_common.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>

#include <fmt/format.h>

#include "query/evaluator.h"
#include "query/render_format.h"
#include "query/target_parser.h"

namespace hourglass::query {

using common::Result;
using common::Status;

bool ParseAggFunc(std::string_view name, AggFunc& out, bool allow_series_suffix) {
  static const std::pair<std::string_view, AggFunc> kFuncs[] = {
      {"average", AggFunc::kAverage},  {"avg", AggFunc::kAverage},
      {"avg_zero", AggFunc::kAvgZero}, {"median", AggFunc::kMedian},
      {"sum", AggFunc::kSum},          {"total", AggFunc::kSum},
      {"min", AggFunc::kMin},          {"max", AggFunc::kMax},
      {"diff", AggFunc::kDiff},        {"stddev", AggFunc::kStddev},
      {"count", AggFunc::kCount},      {"range", AggFunc::kRange},
      {"rangeOf", AggFunc::kRange},    {"multiply", AggFunc::kMultiply},
      {"last", AggFunc::kLast},        {"current", AggFunc::kLast},
  };
  if (allow_series_suffix && name.ends_with("Series")) name.remove_suffix(6);
  for (const auto& [text, func] : kFuncs) {
    if (name == text) {
      out = func;
      return true;
    }
  }
  return false;
}

namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t mid = v.size() / 2;
  return v.size() % 2 == 0 ? (v[mid - 1] + v[mid]) / 2 : v[mid];
}

double StdDev(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  const double avg = sum / static_cast<double>(v.size());
  double sq = 0;
  for (double x : v) sq += (x - avg) * (x - avg);
  return std::sqrt(sq / static_cast<double>(v.size()));
}

}  // namespace

// One pass over the non-null values in order (as graphite-web's Python sums
// them), without allocating: it runs once per output point. Only median and
// stddev copy the values.
double ApplyAgg(AggFunc func, std::span<const double> row) {
  size_t n = 0;
  double first = NAN, last = NAN, sum = 0, min = INFINITY, max = -INFINITY, diff = 0;
  for (double x : row) {
    if (std::isnan(x)) continue;
    if (n++ == 0) {
      first = x;
      diff = x;
    } else {
      diff = diff + -x;
    }
    last = x;
    sum += x;
    min = std::min(min, x);
    max = std::max(max, x);
  }
  switch (func) {
    case AggFunc::kCount:
      return static_cast<double>(n);
    case AggFunc::kAvgZero:
      return row.empty() ? NAN : sum / static_cast<double>(row.size());
    case AggFunc::kMultiply: {
      if (row.empty() || n != row.size()) return NAN;
      double product = first;
      for (size_t i = 1; i < row.size(); ++i) product *= row[i];
      return product;
    }
    default:
      break;
  }
  if (n == 0) return NAN;
  switch (func) {
    case AggFunc::kAverage:
      return sum / static_cast<double>(n);
    case AggFunc::kSum:
      return sum;
    case AggFunc::kMin:
      return min;
    case AggFunc::kMax:
      return max;
    case AggFunc::kDiff:
      return diff;
    case AggFunc::kRange:
      return max - min;
    case AggFunc::kLast:
      return last;
    case AggFunc::kMedian:
    case AggFunc::kStddev: {
      std::vector<double> v;
      v.reserve(n);
      for (double x : row) {
        if (!std::isnan(x)) v.push_back(x);
      }
      return func == AggFunc::kMedian ? Median(std::move(v)) : StdDev(v);
    }
    default:
      return NAN;
  }
}

void Normalize(SeriesList& list, int64_t& start, int64_t& end, int64_t& step) {
  step = 1;
  start = list[0].start;
  end = list[0].end;
  bool first = true;
  for (Series& s : list) {
    const int64_t st = std::max<int64_t>(1, s.step);
    step = first ? st : std::lcm(step, st);
    first = false;
    start = std::min(start, s.start);
    end = std::max(end, s.end);
  }
  for (Series& s : list) s.values_per_point = step / std::max<int64_t>(1, s.step);
  end -= (end - start) % step;
}

std::string FormatPathExpressions(const SeriesList& list) {
  std::vector<std::string_view> seen;
  std::string out;
  for (const Series& s : list) {
    if (std::find(seen.begin(), seen.end(), s.path_expression) != seen.end()) continue;
    out += (seen.empty() ? "" : ",") + s.path_expression;
    seen.push_back(s.path_expression);
  }
  return out;
}

std::vector<std::vector<double>> Columns(const SeriesList& list, size_t& length) {
  std::vector<std::vector<double>> columns;
  length = 0;
  for (const Series& s : list) {
    columns.push_back(ConsolidatedValues(s));
    length = std::max(length, columns.back().size());
  }
  return columns;
}

namespace {

// Each series' values as graphite-web would see them, copied only when
// consolidation changes them.
std::vector<std::span<const double>> ColumnViews(const SeriesList& list,
                                                 std::vector<std::vector<double>>& owned,
                                                 size_t& length) {
  std::vector<std::span<const double>> views;
  length = 0;
  for (const Series& s : list) {
    if (s.values_per_point > 1) {
      owned.push_back(ConsolidatedValues(s));
      views.emplace_back(owned.back());
    } else {
      views.emplace_back(s.values);
    }
    length = std::max(length, views.back().size());
  }
  return views;
}

// aggregate() of graphite-web: per timestamp, the function of the non-null
// values across series when their share is at least xff. sum, average, min,
// max and count run column by column (values added in series order, as
// Python sums a row); the others build each row.
std::vector<double> AggregateColumns(const SeriesList& list, AggFunc func, double xff) {
  std::vector<std::vector<double>> owned;
  owned.reserve(list.size());
  size_t length = 0;
  const std::vector<std::span<const double>> columns = ColumnViews(list, owned, length);
  std::vector<double> values(length, NAN);
  std::vector<uint32_t> counts(length, 0);
  const double columns_size = static_cast<double>(columns.size());
  auto enough = [&](size_t i) {
    return counts[i] > 0 && static_cast<double>(counts[i]) / columns_size >= xff;
  };
  const bool columnwise = func == AggFunc::kSum || func == AggFunc::kAverage ||
                          func == AggFunc::kMin || func == AggFunc::kMax || func == AggFunc::kCount;
  if (columnwise) {
    std::vector<double> acc(length, func == AggFunc::kMin   ? INFINITY
                                    : func == AggFunc::kMax ? -INFINITY
                                                            : 0.0);
    for (std::span<const double> column : columns) {
      for (size_t i = 0; i < column.size(); ++i) {
        const double x = column[i];
        if (std::isnan(x)) continue;
        ++counts[i];
        acc[i] = func == AggFunc::kMin   ? std::min(acc[i], x)
                 : func == AggFunc::kMax ? std::max(acc[i], x)
                                         : acc[i] + x;
      }
    }
    for (size_t i = 0; i < length; ++i) {
      if (!enough(i)) continue;
      values[i] = func == AggFunc::kAverage ? acc[i] / counts[i]
                  : func == AggFunc::kCount ? counts[i]
                                            : acc[i];
    }
    return values;
  }
  std::vector<double> row(columns.size());
  for (size_t i = 0; i < length; ++i) {
    for (size_t c = 0; c < columns.size(); ++c) {
      row[c] = i < columns[c].size() ? columns[c][i] : NAN;
      counts[i] += std::isnan(row[c]) ? 0 : 1;
    }
    if (enough(i)) values[i] = ApplyAgg(func, row);
  }
  return values;
}

std::map<std::string, std::string> CommonTags(const SeriesList& list) {
  std::map<std::string, std::string> tags = list[0].tags;
  for (const Series& s : list) {
    std::erase_if(tags, [&](const auto& kv) {
      auto it = s.tags.find(kv.first);
      return it == s.tags.end() || it->second != kv.second;
    });
  }
  return tags;
}

}  // namespace

Result<SeriesList> AggregateSeries(const EvalContext&, SeriesList list, std::string_view func_name,
                                   double xff) {
  AggFunc func;
  if (!ParseAggFunc(func_name, func, true)) {
    return Status::Error(fmt::format("Unsupported aggregation function: {}", func_name));
  }
  if (func_name.ends_with("Series")) func_name.remove_suffix(6);
  if (list.empty()) return SeriesList{};
  int64_t start = 0, end = 0, step = 1;
  Normalize(list, start, end, step);
  std::vector<double> values = AggregateColumns(list, func, xff);
  const std::string name = fmt::format("{}Series({})", func_name, FormatPathExpressions(list));
  Series out = MakeSeries(name, start, end, step, std::move(values));
  out.tags = CommonTags(list);
  if (!out.tags.contains("name")) out.tags["name"] = name;
  out.tags["aggregatedBy"] = std::string(func_name);
  out.x_files_factor = xff;
  return SeriesList{std::move(out)};
}

std::string FirstPathExpression(const std::string& name) {
  Result<Expr> parsed = ParseTarget(name);
  if (!parsed.ok()) return "";
  const Expr* e = &*parsed;
  while (e->kind == Expr::Kind::kCall && !e->args.empty()) e = &e->args[0];
  return e->kind == Expr::Kind::kPath ? e->text : "";
}

std::string NodeOrTag(const Series& series, const Value& n, const std::string* path_expression) {
  if (n.kind == Value::Kind::kInt) {
    std::string_view path =
        path_expression && !path_expression->empty() ? *path_expression : series.name;
    path = path.substr(0, path.find(';'));
    std::vector<std::string_view> nodes;
    for (size_t pos = 0;;) {
      const size_t dot = path.find('.', pos);
      nodes.push_back(path.substr(pos, dot == std::string_view::npos ? dot : dot - pos));
      if (dot == std::string_view::npos) break;
      pos = dot + 1;
    }
    const auto count = static_cast<int64_t>(nodes.size());
    const int64_t i = n.int_value < 0 ? n.int_value + count : n.int_value;
    if (i >= 0 && i < count) return std::string(nodes[static_cast<size_t>(i)]);
  }
  const std::string key = n.kind == Value::Kind::kString ? n.string_value : PyNumber(n);
  auto it = series.tags.find(key);
  return it == series.tags.end() ? "" : it->second;
}

std::string AggKey(const Series& series, const std::vector<Value>& nodes) {
  std::string path;
  if (!series.name.empty() && series.name.back() == ')') path = FirstPathExpression(series.name);
  std::string key;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (i) key.push_back('.');
    key += NodeOrTag(series, nodes[i], &path);
  }
  return key;
}

std::string PyG(double v) { return fmt::format("{:g}", v); }

std::string PyNumber(const Value& v) {
  if (v.kind == Value::Kind::kInt) return std::to_string(v.int_value);
  if (v.kind == Value::Kind::kBool) return v.bool_value ? "True" : "False";
  if (v.kind == Value::Kind::kString) return v.string_value;
  if (v.kind == Value::Kind::kNone) return "None";
  return PyFloatRepr(v.float_value);
}

Result<SeriesList> EvaluateFirstArgOver(EvalContext& ctx, int64_t from, int64_t until) {
  if (ctx.evaluator == nullptr || ctx.call == nullptr || ctx.call->args.empty()) {
    return Status::Error("this function needs its first argument as a series expression");
  }
  EvalContext shifted = ctx;
  shifted.from = from;
  shifted.until = until;
  Result<SeriesList> list = ctx.evaluator->Evaluate(ctx.call->args[0], shifted);
  ctx.points_read = shifted.points_read;  // the second fetch is held in memory too
  ctx.over_budget = shifted.over_budget;
  return list;
}

double PyRound6(double v) {
  if (!std::isfinite(v)) return v;
  char buf[512];
  std::snprintf(buf, sizeof(buf), "%.6f", v);
  return std::strtod(buf, nullptr);
}

void SetValues(Series& s, std::vector<double> values) {
  s.values = std::move(values);
  s.values_per_point = 1;
}

}  // namespace hourglass::query

namespace hourglass::query {

double GetPercentile(std::vector<double> points, double n, bool interpolate) {
  std::erase_if(points, [](double v) { return std::isnan(v); });
  if (points.empty()) return NAN;
  std::sort(points.begin(), points.end());
  const double fractional_rank = (n / 100.0) * static_cast<double>(points.size() + 1);
  auto rank = static_cast<int64_t>(fractional_rank);  // int(): toward zero
  const double rank_fraction = fractional_rank - static_cast<double>(rank);
  if (!interpolate) rank += static_cast<int64_t>(std::ceil(rank_fraction));
  const auto size = static_cast<int64_t>(points.size());
  double percentile;
  if (rank == 0) {
    percentile = points.front();
  } else if (rank - 1 == size) {
    percentile = points.back();
  } else {
    // Python's index: negative counts from the end; past the end raises.
    const int64_t i = rank - 1 < 0 ? rank - 1 + size : rank - 1;
    if (i < 0 || i >= size) return NAN;
    percentile = points[static_cast<size_t>(i)];
  }
  if (interpolate && rank != size) {
    const int64_t i = rank < 0 ? rank + size : rank;
    if (i < 0 || i >= size) return NAN;
    percentile = percentile + rank_fraction * (points[static_cast<size_t>(i)] - percentile);
  }
  return percentile;
}

Result<SeriesList> CallFunction(EvalContext& ctx, std::string_view name, std::vector<Value> args,
                                bool bind) {
  const FunctionDef* def = ctx.evaluator ? ctx.evaluator->registry().Find(name) : nullptr;
  if (def == nullptr) {
    return Status::Error(fmt::format("Received request for unknown function: {}", name));
  }
  if (bind) {
    Result<std::vector<Value>> bound = FunctionRegistry::Bind(*def, std::move(args), {}, {});
    if (!bound.ok()) return bound.status();
    args = std::move(*bound);
  }
  // The called function has no call of its own to fetch again.
  const Expr* outer_call = ctx.call;
  ctx.call = nullptr;
  Result<SeriesList> result = def->impl(ctx, args);
  ctx.call = outer_call;
  return result;
}

Value SeriesValue(SeriesList list) {
  Value v;
  v.kind = Value::Kind::kSeriesList;
  v.series = std::move(list);
  v.int_value = 1;
  return v;
}

}  // namespace hourglass::query
