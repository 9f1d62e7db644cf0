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

double ApplyAgg(AggFunc func, std::span<const double> row) {
  std::vector<double> v;
  for (double x : row) {
    if (!std::isnan(x)) v.push_back(x);
  }
  if (func == AggFunc::kCount) return static_cast<double>(v.size());
  if (func == AggFunc::kAvgZero) {
    if (row.empty()) return NAN;
    double sum = 0;
    for (double x : row) sum += std::isnan(x) ? 0 : x;
    return sum / static_cast<double>(row.size());
  }
  if (func == AggFunc::kMultiply) {
    if (row.empty() || v.size() != row.size()) return NAN;
    double product = v[0];
    for (size_t i = 1; i < v.size(); ++i) product *= v[i];
    return product;
  }
  if (v.empty()) return NAN;
  switch (func) {
    case AggFunc::kAverage:
      return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    case AggFunc::kMedian:
      return Median(std::move(v));
    case AggFunc::kSum:
      return std::accumulate(v.begin(), v.end(), 0.0);
    case AggFunc::kMin:
      return *std::min_element(v.begin(), v.end());
    case AggFunc::kMax:
      return *std::max_element(v.begin(), v.end());
    case AggFunc::kDiff:
      return std::accumulate(v.begin() + 1, v.end(), v[0],
                             [](double a, double b) { return a + -b; });
    case AggFunc::kStddev:
      return StdDev(v);
    case AggFunc::kRange:
      return *std::max_element(v.begin(), v.end()) - *std::min_element(v.begin(), v.end());
    case AggFunc::kLast:
      return v.back();
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
  size_t length = 0;
  const std::vector<std::vector<double>> columns = Columns(list, length);
  std::vector<double> values(length, NAN);
  std::vector<double> row(columns.size());
  for (size_t i = 0; i < length; ++i) {
    size_t non_null = 0;
    for (size_t c = 0; c < columns.size(); ++c) {
      row[c] = i < columns[c].size() ? columns[c][i] : NAN;
      non_null += std::isnan(row[c]) ? 0 : 1;
    }
    const double ratio = static_cast<double>(non_null) / static_cast<double>(columns.size());
    if (non_null > 0 && ratio >= xff) values[i] = ApplyAgg(func, row);
  }
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

Result<SeriesList> EvaluateFirstArgOver(const EvalContext& ctx, int64_t from, int64_t until) {
  if (ctx.evaluator == nullptr || ctx.call == nullptr || ctx.call->args.empty()) {
    return Status::Error("this function needs its first argument as a series expression");
  }
  EvalContext shifted = ctx;
  shifted.from = from;
  shifted.until = until;
  return ctx.evaluator->Evaluate(ctx.call->args[0], shifted);
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
