// More of the "Filter Series", "Filter Data" and "Sorting" groups, as
// graphite-web 1.1.8 defines them: filterSeries and its shorthands
// (averageAbove, currentBelow, ...), the percentile filters, removeEmptySeries,
// unique, mostDeviant, useSeriesAbove (which evaluates a new target within the
// request's bounds), sortByMinima/sortByTotal, fallbackSeries and isNonNull.
#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "query/evaluator.h"
#include "query/function_registry.h"
#include "query/functions_common.h"
#include "query/py_regex.h"
#include "query/render_format.h"

namespace hourglass::query {
namespace {

using common::Result;
using common::Status;

const std::vector<std::string> kOperators = {"!=", "<", "<=", "=", ">", ">="};

// operatorFuncs: NaN stands for None (None passes "!=", "<" and "<=").
bool ApplyOperator(std::string_view op, double v, double threshold) {
  const bool none = std::isnan(v);
  if (op == "=") return !none && v == threshold;
  if (op == "!=") return none || v != threshold;
  if (op == ">") return !none && v > threshold;
  if (op == ">=") return !none && v >= threshold;
  if (op == "<") return none || v < threshold;
  return none || v <= threshold;  // "<="
}

Result<SeriesList> FilterList(SeriesList list, std::string_view func_name, std::string_view op,
                              double threshold) {
  AggFunc func;
  if (!ParseAggFunc(func_name, func)) {
    return Status::Error(fmt::format("Unsupported aggregation function: {}", func_name));
  }
  if (std::find(kOperators.begin(), kOperators.end(), op) == kOperators.end()) {
    return Status::Error(fmt::format("Unsupported operator: {}", op));
  }
  SeriesList out;
  for (Series& s : list) {
    if (ApplyOperator(op, ApplyAgg(func, ConsolidatedValues(s)), threshold)) {
      out.push_back(std::move(s));
    }
  }
  return out;
}

Result<SeriesList> FilterSeries(EvalContext&, std::vector<Value>& args) {
  return FilterList(std::move(args[0].series), args[1].string_value, args[2].string_value,
                    args[3].float_value);
}

template <const char* kFunc, const char* kOp>
Result<SeriesList> FilterShorthand(EvalContext&, std::vector<Value>& args) {
  return FilterList(std::move(args[0].series), kFunc, kOp, args[1].float_value);
}
constexpr char kMax[] = "max";
constexpr char kMin[] = "min";
constexpr char kLast[] = "last";
constexpr char kAverage[] = "average";
constexpr char kAbove[] = ">";
constexpr char kBelow[] = "<=";

// xffValues(series, xFilesFactor).
Result<SeriesList> RemoveEmptySeries(EvalContext&, std::vector<Value>& args) {
  const double xff = args[1].kind == Value::Kind::kNone ? 0 : args[1].float_value;
  SeriesList out;
  for (Series& s : args[0].series) {
    const std::vector<double> v = ConsolidatedValues(s);
    const auto non_null =
        std::count_if(v.begin(), v.end(), [](double x) { return !std::isnan(x); });
    if (non_null > 0 && static_cast<double>(non_null) / static_cast<double>(v.size()) >= xff) {
      out.push_back(std::move(s));
    }
  }
  return out;
}

Result<SeriesList> Unique(EvalContext&, std::vector<Value>& args) {
  SeriesList out;
  std::set<std::string> seen;
  for (Series& s : args[0].series) {
    if (seen.insert(s.name).second) out.push_back(std::move(s));
  }
  return out;
}

// The averages outside the (100-n, n) percentile band of averages.
Result<SeriesList> AverageOutsidePercentile(EvalContext&, std::vector<Value>& args) {
  double n = args[1].float_value;
  if (n < 50) n = 100 - n;
  std::vector<double> averages;
  for (const Series& s : args[0].series) {
    averages.push_back(ApplyAgg(AggFunc::kAverage, ConsolidatedValues(s)));
  }
  const double low = GetPercentile(averages, 100 - n, false);
  const double high = GetPercentile(averages, n, false);
  SeriesList out;
  for (size_t i = 0; i < averages.size(); ++i) {
    if (!(low < averages[i] && averages[i] < high)) out.push_back(std::move(args[0].series[i]));
  }
  return out;
}

// Keeps the series with a point outside its column's (100-n, n) band.
Result<SeriesList> RemoveBetweenPercentile(EvalContext&, std::vector<Value>& args) {
  double n = args[1].float_value;
  if (n < 50) n = 100 - n;
  SeriesList& list = args[0].series;
  std::vector<std::vector<double>> columns;  // zip(*seriesList): the shortest length
  size_t length = list.empty() ? 0 : SIZE_MAX;
  for (const Series& s : list) {
    columns.push_back(ConsolidatedValues(s));
    length = std::min(length, columns.back().size());
  }
  std::vector<double> low(length), high(length), column(list.size());
  for (size_t i = 0; i < length; ++i) {
    for (size_t c = 0; c < list.size(); ++c) column[c] = columns[c][i];
    low[i] = GetPercentile(column, 100 - n, false);
    high[i] = GetPercentile(column, n, false);
  }
  SeriesList out;
  for (size_t c = 0; c < list.size(); ++c) {
    bool outside = false;
    for (size_t i = 0; i < std::min(length, columns[c].size()) && !outside; ++i) {
      const double v = columns[c][i];
      outside = !(low[i] < v && v < high[i]);
    }
    if (outside) out.push_back(std::move(list[c]));
  }
  return out;
}

// Values above (or below, and None) the series' own n-th percentile become
// None; a series without values is only renamed.
template <bool kAbove>
Result<SeriesList> RemovePercentile(EvalContext&, std::vector<Value>& args) {
  const double n = args[1].float_value;
  SeriesList list = std::move(args[0].series);
  for (Series& s : list) {
    s.name = fmt::format("{}({}, {})", kAbove ? "removeAbovePercentile" : "removeBelowPercentile",
                         s.name, PyG(n));
    s.path_expression = s.name;
    const std::vector<double> values = ConsolidatedValues(s);
    const double percentile = GetPercentile(values, n, false);
    if (std::isnan(percentile)) continue;
    s.tags["nPercentile"] = PyFloatRepr(n);  // nPercentile() tags the series it reads
    // enumerate(s) walks the consolidated values; s[index] sets a raw one.
    for (size_t i = 0; i < values.size() && i < s.values.size(); ++i) {
      const double v = values[i];
      if (kAbove ? (!std::isnan(v) && v > percentile) : (std::isnan(v) || v < percentile)) {
        s.values[i] = NAN;
      }
    }
  }
  return list;
}

// The series for which key() has a value (NaN drops one), stably sorted by
// it, highest first when `descending`.
template <typename KeyFn>
SeriesList SortedByKey(SeriesList& list, KeyFn key, bool descending) {
  std::vector<std::pair<double, size_t>> keys;
  for (size_t i = 0; i < list.size(); ++i) {
    const double k = key(ConsolidatedValues(list[i]));
    if (!std::isnan(k)) keys.emplace_back(k, i);
  }
  std::stable_sort(keys.begin(), keys.end(), [&](const auto& a, const auto& b) {
    return descending ? b.first < a.first : a.first < b.first;
  });
  SeriesList out;
  for (const auto& k : keys) out.push_back(std::move(list[k.second]));
  return out;
}

// The n series with the highest variance (sum of squares over the count).
Result<SeriesList> MostDeviant(EvalContext&, std::vector<Value>& args) {
  auto variance = [](const std::vector<double>& v) {
    const double mean = ApplyAgg(AggFunc::kAverage, v);
    double square_sum = 0;
    size_t count = 0;
    for (double x : v) {
      if (std::isnan(x)) continue;
      square_sum += (x - mean) * (x - mean);
      ++count;
    }
    return std::isnan(mean) ? NAN : square_sum / static_cast<double>(count);
  };
  SeriesList out = SortedByKey(args[0].series, variance, true);
  const auto size = static_cast<int64_t>(out.size());
  const int64_t n = args[1].int_value;
  out.resize(static_cast<size_t>(std::clamp<int64_t>(n < 0 ? size + n : n, 0, size)));
  return out;
}

// The series named by re.sub(search, replace, name) of each series whose
// maximum is above value, fetched as group(name, ...) through the evaluator
// (within this request's series and points bounds).
Result<SeriesList> UseSeriesAbove(EvalContext& ctx, std::vector<Value>& args) {
  Result<PyRegex> regex = PyRegex::Compile(args[2].string_value);
  if (!regex.ok()) return regex.status();
  std::vector<std::string> names;
  for (const Series& s : args[0].series) {
    Result<std::string> name = regex->Sub(args[3].string_value, s.name);
    if (!name.ok()) return Status::Error("useSeriesAbove: " + name.status().message());
    const double max = ApplyAgg(AggFunc::kMax, ConsolidatedValues(s));
    if (!std::isnan(max) && max > args[1].float_value) names.push_back(std::move(*name));
  }
  if (names.empty()) return SeriesList{};
  if (ctx.evaluator == nullptr) return Status::Error("useSeriesAbove needs the evaluator");
  Result<SeriesList> found =
      ctx.evaluator->EvaluateTarget(fmt::format("group({})", fmt::join(names, ",")), ctx);
  if (!found.ok()) return found.status();
  std::erase_if(*found, [](const Series& s) { return ConsolidatedValues(s).empty(); });
  return found;
}

Result<SeriesList> SortByTotal(EvalContext& ctx, std::vector<Value>& args) {
  Value func, reverse;
  func.kind = Value::Kind::kString;
  func.string_value = "sum";
  reverse.kind = Value::Kind::kBool;
  reverse.bool_value = true;
  return CallFunction(ctx, "sortBy", {std::move(args[0]), func, reverse}, false);
}

// The series whose maximum is above 0, by their minimum (None first).
Result<SeriesList> SortByMinima(EvalContext&, std::vector<Value>& args) {
  auto minimum = [](const std::vector<double>& v) {
    const double max = ApplyAgg(AggFunc::kMax, v);
    return std::isnan(max) || max <= 0 ? NAN : ApplyAgg(AggFunc::kMin, v);
  };
  return SortedByKey(args[0].series, minimum, false);
}

Result<SeriesList> FallbackSeries(EvalContext&, std::vector<Value>& args) {
  return args[0].series.empty() ? std::move(args[1].series) : std::move(args[0].series);
}

// 1 where a value exists, 0 where None; like graphite-web it replaces the
// raw values by the transformed consolidated ones.
Result<SeriesList> IsNonNull(EvalContext&, std::vector<Value>& args) {
  SeriesList list = std::move(args[0].series);
  for (Series& s : list) {
    s.tags["isNonNull"] = "1";
    s.name = "isNonNull(" + s.name + ")";
    s.path_expression = s.name;
    std::vector<double> values = ConsolidatedValues(s);
    for (double& v : values) v = std::isnan(v) ? 0 : 1;
    s.values = std::move(values);
  }
  return list;
}

}  // namespace

void RegisterFilter2Functions(FunctionRegistry& r) {
  const Param series{"seriesList", ParamType::kSeriesList, true};
  const Param n{"n", ParamType::kFloat, true};
  const std::string f = "Filter Series";
  r.Add({"filterSeries",
         {series,
          {"func", ParamType::kAggFunc, true},
          {"operator", ParamType::kString, true, kOperators},
          {"threshold", ParamType::kFloat, true}},
         &FilterSeries,
         f,
         "The series whose aggregation compares to the threshold with the operator."});
  auto shorthand = [&](std::string name, FunctionImpl impl, std::string what) {
    r.Add({std::move(name), {series, n}, impl, f, "The series whose " + what + "."});
  };
  shorthand("averageAbove", &FilterShorthand<kAverage, kAbove>, "average is above n");
  shorthand("averageBelow", &FilterShorthand<kAverage, kBelow>, "average is n or less");
  shorthand("currentAbove", &FilterShorthand<kLast, kAbove>, "last value is above n");
  shorthand("currentBelow", &FilterShorthand<kLast, kBelow>, "last value is n or less");
  shorthand("maximumAbove", &FilterShorthand<kMax, kAbove>, "maximum is above n");
  shorthand("maximumBelow", &FilterShorthand<kMax, kBelow>, "maximum is n or less");
  shorthand("minimumAbove", &FilterShorthand<kMin, kAbove>, "minimum is above n");
  shorthand("minimumBelow", &FilterShorthand<kMin, kBelow>, "minimum is n or less");
  shorthand("averageOutsidePercentile", &AverageOutsidePercentile,
            "average is outside the n-th percentile band of the averages");
  shorthand("removeBetweenPercentile", &RemoveBetweenPercentile,
            "values leave the n-th percentile band of their timestamp at least once");
  r.Add({"removeEmptySeries",
         {series, {"xFilesFactor", ParamType::kFloat}},
         &RemoveEmptySeries,
         f,
         "The series with at least one value (and at least xFilesFactor of them non-null)."});
  r.Add({"unique",
         {{"seriesLists", ParamType::kSeriesLists, true}},
         &Unique,
         f,
         "The series with distinct names, first one kept."});
  r.Add({"mostDeviant",
         {series, {"n", ParamType::kInteger, true}},
         &MostDeviant,
         f,
         "The n series with the highest variance."});
  r.Add({"useSeriesAbove",
         {series,
          {"value", ParamType::kFloat, true},
          {"search", ParamType::kString, true},
          {"replace", ParamType::kString, true}},
         &UseSeriesAbove,
         f,
         "For each series with a maximum above value, the series named by a regex substitution "
         "of its name."});
  r.Add({"removeAbovePercentile",
         {series, n},
         &RemovePercentile<true>,
         "Filter Data",
         "Sets values above the series' n-th percentile to null."});
  r.Add({"removeBelowPercentile",
         {series, n},
         &RemovePercentile<false>,
         "Filter Data",
         "Sets values below the series' n-th percentile to null."});
  r.Add({"sortByTotal",
         {series},
         &SortByTotal,
         "Sorting",
         "Sorts the series by their sum, highest first."});
  r.Add({"sortByMinima",
         {series},
         &SortByMinima,
         "Sorting",
         "The series with a maximum above 0, sorted by their minimum, lowest first."});
  r.Add({"fallbackSeries",
         {series, {"fallback", ParamType::kSeriesList, true}},
         &FallbackSeries,
         "Special",
         "The series, or the fallback when there are none."});
  r.Add({"isNonNull",
         {series},
         &IsNonNull,
         "Transform",
         "1 where the series has a value, 0 where it is null."});
}

}  // namespace hourglass::query
