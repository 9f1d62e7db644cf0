// graphite-web 1.1's window and whole-series statistics: movingMedian/Sum/
// Min/Max (movingWindow with a fixed function), exponentialMovingAverage,
// stdev, nPercentile, aggregateLine, linearRegression, and the functions that
// read their input again over other ranges: timeStack, smartSummarize
// (alignTo), linearRegression (startSourceAt/endSourceAt). Every refetch goes
// through EvaluateFirstArgOver, so its points count in the render budget.
#include <algorithm>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

#include "query/function_registry.h"
#include "query/functions_common.h"
#include "query/functions_support.h"
#include "query/render_budget.h"
#include "query/render_format.h"
#include "query/time_parser.h"

namespace hourglass::query {
namespace {

using common::Result;
using common::Status;

template <const char* kFunc>
Result<SeriesList> MovingFixed(EvalContext& ctx, std::vector<Value>& args) {
  return MovingWindowImpl(ctx, args[1], kFunc, args[2], args[0].series);
}
constexpr char kMedian[] = "median", kSum[] = "sum", kMin[] = "min", kMax[] = "max";

Result<SeriesList> ExponentialMovingAverage(EvalContext& ctx, std::vector<Value>& args) {
  const SeriesList& input = args[0].series;
  if (input.empty()) return SeriesList{};
  const Value& window = args[1];
  const bool by_time = window.kind == Value::Kind::kString;
  int64_t preview = 0;
  double constant = 0;
  if (by_time) {
    Result<int64_t> seconds = ParseTimeOffset(window.string_value);
    if (!seconds.ok()) return seconds.status();
    preview = std::abs(*seconds);
    constant = 2.0 / static_cast<double>(preview + 1);  // sic: seconds, as graphite-web
  } else {
    if (window.int_value < 0) return Status::Error("windowSize must not be negative");
    int64_t max_step = 0;
    for (const Series& s : input) max_step = std::max(max_step, s.step);
    if (__builtin_mul_overflow(max_step, window.int_value, &preview)) preview = INT64_MAX;
    constant = 2.0 / static_cast<double>(window.int_value + 1);
  }
  Result<int64_t> from = ShiftTime(ctx.from, -preview);
  if (!from.ok()) return from.status();
  Result<SeriesList> list = EvaluateFirstArgOver(ctx, *from, ctx.until);
  if (!list.ok()) return list.status();
  const std::string window_text = by_time ? window.string_value : std::to_string(window.int_value);
  for (Series& s : *list) {
    const auto points = static_cast<size_t>(std::clamp<int64_t>(
        by_time ? preview / s.step : window.int_value, 0, static_cast<int64_t>(s.values.size())));
    s.name = by_time ? fmt::format("exponentialMovingAverage({},\"{}\")", s.name, window_text)
                     : fmt::format("exponentialMovingAverage({},{})", s.name, window_text);
    s.path_expression = s.name;
    s.tags["exponentialMovingAverage"] = window_text;
    double ema = ApplyAgg(AggFunc::kAverage, std::span(s.values).first(points));
    if (std::isnan(ema)) ema = 0;  // safeAvg(...) or 0
    std::vector<double> out{PyRound6(ema)};
    for (size_t i = points; i < s.values.size(); ++i) {
      if (std::isnan(s.values[i])) {
        out.push_back(NAN);
        continue;
      }
      ema = constant * s.values[i] + (1 - constant) * ema;
      out.push_back(PyRound6(ema));
    }
    s.start += preview;
    SetValues(s, std::move(out));
  }
  return list;
}

Result<SeriesList> Stdev(EvalContext&, std::vector<Value>& args) {
  SeriesList list = std::move(args[0].series);
  const int64_t points = args[1].int_value;
  const double tolerance = args[2].float_value;
  if (points <= 0) return Status::Error("points must be a positive number of points");
  for (Series& s : list) {
    const std::vector<double> v = ConsolidatedValues(s);
    std::vector<double> out;
    int64_t valid = 0;
    double sum = 0, squares = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      const bool bootstrapping = static_cast<int64_t>(i) < points;
      const double dropped = bootstrapping ? NAN : v[i - static_cast<size_t>(points)];
      if (!std::isnan(dropped)) {
        --valid;
        sum -= dropped;
        squares -= dropped * dropped;
      }
      if (!std::isnan(v[i])) {
        ++valid;
        sum += v[i];
        squares += v[i] * v[i];
      }
      const bool enough =
          valid > 0 && static_cast<double>(valid) / static_cast<double>(points) >= tolerance;
      const double radicand = static_cast<double>(valid) * squares - sum * sum;
      out.push_back(enough && radicand >= 0 ? std::sqrt(radicand) / static_cast<double>(valid)
                                            : NAN);
    }
    s.tags["stdev"] = std::to_string(points);
    Reset(s, fmt::format("stdev({},{})", s.name, points), std::move(out));
  }
  return list;
}

// _getPercentile(points, n) without interpolation, over sorted values.
double Percentile(const std::vector<double>& sorted, double n) {
  const double fractional = n / 100.0 * static_cast<double>(sorted.size() + 1);
  auto rank = static_cast<int64_t>(fractional);
  rank += static_cast<int64_t>(std::ceil(fractional - static_cast<double>(rank)));
  if (rank <= 0) return sorted.front();
  if (rank - 1 >= static_cast<int64_t>(sorted.size())) return sorted.back();
  return sorted[static_cast<size_t>(rank - 1)];
}

Result<SeriesList> NPercentile(EvalContext&, std::vector<Value>& args) {
  const double n = args[1].float_value;
  if (n == 0) return Status::Error("The requested percent is required to be greater than 0");
  SeriesList out;
  for (Series& s : args[0].series) {
    std::vector<double> sorted;
    for (double v : ConsolidatedValues(s)) {
      if (!std::isnan(v)) sorted.push_back(v);
    }
    if (sorted.empty()) continue;
    std::sort(sorted.begin(), sorted.end());
    const double value = Percentile(sorted, n);
    const int64_t count = s.step > 0 ? (s.end - s.start) / s.step : 0;
    s.tags["nPercentile"] = PyNumber(args[1]);
    s.name = fmt::format("nPercentile({}, {})", s.name, PyG(n));
    s.path_expression = s.name;
    SetValues(s, std::vector<double>(static_cast<size_t>(std::max<int64_t>(0, count)), value));
    out.push_back(std::move(s));
  }
  return out;
}

Result<SeriesList> AggregateLine(EvalContext& ctx, std::vector<Value>& args) {
  AggFunc func;
  if (!ParseAggFunc(args[1].string_value, func, true)) {
    return Status::Error("Unsupported aggregation function: " + args[1].string_value);
  }
  SeriesList out;
  for (Series& s : args[0].series) {
    std::vector<double> values = ConsolidatedValues(s);
    const double value = ApplyAgg(func, values);
    const std::string name =
        fmt::format("aggregateLine({}, {})", s.name, std::isnan(value) ? "None" : PyG(value));
    if (args[2].bool_value) {
      s.name = name;
      s.path_expression = name;
      SetValues(s, std::vector<double>(s.values.size(), value));
      out.push_back(std::move(s));
      continue;
    }
    Value v;
    v.kind = std::isnan(value)         ? Value::Kind::kNone
             : func == AggFunc::kCount ? Value::Kind::kInt
                                       : Value::Kind::kFloat;
    v.float_value = value;
    v.int_value = static_cast<int64_t>(value);
    Series line = ConstantLineSeries(ctx, v);
    line.name = name;
    line.path_expression = name;
    out.push_back(std::move(line));
  }
  return out;
}

// parseATTime() of a date argument (a string or a number).
Result<int64_t> DateArg(const Value& v, int64_t now) {
  const std::string text = v.kind == Value::Kind::kString ? v.string_value : PyNumber(v);
  return ParseAtTime(text, now);
}

Result<SeriesList> TimeSlice(EvalContext& ctx, std::vector<Value>& args) {
  Result<int64_t> start = DateArg(args[1], ctx.now);
  if (!start.ok()) return start.status();
  Result<int64_t> end = DateArg(args[2], ctx.now);
  if (!end.ok()) return end.status();
  SeriesList list = std::move(args[0].series);
  for (Series& s : list) {
    s.tags["timeSliceStart"] = std::to_string(*start);
    s.tags["timeSliceEnd"] = std::to_string(*end);
    s.name = fmt::format("timeSlice({}, {}, {})", s.name, *start, *end);
    std::vector<double> values = ConsolidatedValues(s);
    int64_t t = ctx.from;  // graphite-web counts from the request's start
    for (double& v : values) {
      if (t < *start || t > *end) v = NAN;
      t += s.step;
    }
    SetValues(s, std::move(values));
  }
  return list;
}

Result<SeriesList> TimeStack(EvalContext& ctx, std::vector<Value>& args) {
  std::string unit = args[1].string_value;
  if (!unit.empty() && std::isdigit(static_cast<unsigned char>(unit[0]))) unit = "-" + unit;
  Result<int64_t> delta = ParseTimeOffset(unit);
  if (!delta.ok()) return delta.status();
  if (args[0].series.empty()) return SeriesList{};
  const Series& first = args[0].series[0];
  SeriesList out;
  for (int64_t shift = args[2].int_value; shift < args[3].int_value; ++shift) {
    int64_t offset = 0;
    if (__builtin_mul_overflow(*delta, shift, &offset)) {
      return Status::Error("timeStack: the shifted range is out of range");
    }
    Result<int64_t> from = ShiftTime(ctx.from, offset);
    if (!from.ok()) return from.status();
    Result<int64_t> until = ShiftTime(ctx.until, offset);
    if (!until.ok()) return until.status();
    Result<SeriesList> shifted = EvaluateFirstArgOver(ctx, *from, *until);
    if (!shifted.ok()) return shifted.status();
    // The shifted copies are held together; a function input that reads
    // nothing from the store (constantLine) still counts its points here.
    size_t held = 0;
    for (const Series& s : *shifted) held += s.values.size();
    if (Status st = ChargePoints(ctx, held); !st.ok()) return st;
    for (Series& s : *shifted) {
      s.tags["timeShiftUnit"] = unit;
      s.tags["timeShift"] = std::to_string(shift);
      s.name = fmt::format("timeShift({}, {}, {})", s.name, unit, shift);
      s.path_expression = s.name;
      s.start = first.start;
      s.end = first.end;
      out.push_back(std::move(s));
    }
  }
  return out;
}

// smartSummarize's alignTo: the start truncated to the unit (UTC).
Result<int64_t> AlignStart(int64_t start, const std::string& align_to) {
  std::time_t t = static_cast<std::time_t>(start);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return Status::Error("alignTo: start time out of range");
  const char c = align_to.empty() ? 's' : align_to[0];
  const bool minutes = align_to.starts_with("min"), months = align_to.starts_with("mon");
  if (c == 'y') tm.tm_mon = 0;
  if (c == 'y' || months) tm.tm_mday = 1;
  if (c != 's') tm.tm_sec = 0;
  if (c != 's' && !minutes) tm.tm_min = 0;
  if (c != 's' && !minutes && c != 'h') tm.tm_hour = 0;
  int64_t aligned = static_cast<int64_t>(timegm(&tm));
  if (c == 'w') aligned -= static_cast<int64_t>((tm.tm_wday + 6) % 7) * 86400;  // to Monday
  return aligned;
}

Result<SeriesList> SmartSummarize(EvalContext& ctx, std::vector<Value>& args) {
  Result<int64_t> interval = ParseTimeOffset(args[1].string_value);
  if (!interval.ok()) return interval.status();
  if (*interval <= 0) {
    return Status::Error("Invalid interval value: '" + args[1].string_value + "': not positive");
  }
  const std::string& func_name = args[2].string_value;
  AggFunc func;
  if (!ParseAggFunc(func_name, func)) {
    return Status::Error("Unsupported aggregation function: " + func_name);
  }
  SeriesList list = std::move(args[0].series);
  if (args[3].kind == Value::Kind::kString) {  // a boolean alignTo is ignored
    Result<int64_t> from = AlignStart(ctx.from, args[3].string_value);
    if (!from.ok()) return from.status();
    Result<SeriesList> again = EvaluateFirstArgOver(ctx, *from, ctx.until);
    if (!again.ok()) return again.status();
    list = std::move(*again);
  }
  size_t buckets = 0;
  for (const Series& s : list) {
    if (s.end > s.start) buckets += static_cast<size_t>((s.end - s.start) / *interval + 1);
  }
  if (Status st = ChargePoints(ctx, buckets); !st.ok()) return st;
  for (Series& s : list) {
    int64_t aligned_end = 0;
    std::vector<double> values = SummarizeValues(s, func, *interval, s.start, s.end, aligned_end);
    s.tags["smartSummarize"] = args[1].string_value;
    s.tags["smartSummarizeFunction"] = func_name;
    s.name =
        fmt::format("smartSummarize({}, \"{}\", \"{}\")", s.name, args[1].string_value, func_name);
    s.path_expression = s.name;
    s.end = aligned_end;
    s.step = *interval;
    SetValues(s, std::move(values));
  }
  return list;
}

// _linearRegressionAnalysis(): the least-squares line through the non-null
// points as (factor per second, offset at time 0); false when undefined.
bool LinearFit(const Series& s, double& factor, double& offset) {
  int64_t n = 0, sum_i = 0, sum_ii = 0;
  double sum_v = 0, sum_iv = 0;
  const std::vector<double> values = ConsolidatedValues(s);
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) continue;
    const auto ii = static_cast<int64_t>(i);
    ++n, sum_i += ii, sum_ii += ii * ii;
    sum_v += values[i];
    sum_iv += static_cast<double>(ii) * values[i];
  }
  const auto denominator = static_cast<double>(n * sum_ii - sum_i * sum_i);
  if (denominator == 0) return false;
  factor = (static_cast<double>(n) * sum_iv - static_cast<double>(sum_i) * sum_v) / denominator /
           static_cast<double>(s.step);
  offset =
      (static_cast<double>(sum_ii) * sum_v - sum_iv * static_cast<double>(sum_i)) / denominator -
      factor * static_cast<double>(s.start);
  return true;
}

Result<SeriesList> LinearRegression(EvalContext& ctx, std::vector<Value>& args) {
  int64_t from = ctx.from, until = ctx.until;
  if (args[1].kind != Value::Kind::kNone) {
    Result<int64_t> t = DateArg(args[1], ctx.now);
    if (!t.ok()) return t.status();
    from = *t;
  }
  if (args[2].kind != Value::Kind::kNone) {
    Result<int64_t> t = DateArg(args[2], ctx.now);
    if (!t.ok()) return t.status();
    until = *t;
  }
  Result<SeriesList> sources = EvaluateFirstArgOver(ctx, from, until);
  if (!sources.ok()) return sources.status();
  SeriesList out;
  SeriesList& list = args[0].series;
  for (size_t k = 0; k < std::min(list.size(), sources->size()); ++k) {
    Series& s = list[k];
    s.tags["linearRegressions"] = fmt::format("{}, {}", from, until);
    double factor = 0, offset = 0;
    if (!LinearFit((*sources)[k], factor, offset)) continue;
    std::vector<double> values(s.values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      values[i] = offset + static_cast<double>(s.start + static_cast<int64_t>(i) * s.step) * factor;
    }
    Reset(s, fmt::format("linearRegression({}, {}, {})", s.name, from, until), std::move(values));
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

void RegisterMovingFunctions(FunctionRegistry& r) {
  const Param series{"seriesList", ParamType::kSeriesList, true};
  const Param window{"windowSize", ParamType::kIntOrInterval, true};
  const Param xff{"xFilesFactor", ParamType::kFloat};
  auto add = [&r](std::string name, std::vector<Param> params, FunctionImpl impl, std::string group,
                  std::string description) {
    r.Add({std::move(name), std::move(params), impl, std::move(group), std::move(description)});
  };
  add("movingMedian", {series, window, xff}, &MovingFixed<kMedian>, "Calculate",
      "The median of the previous windowSize points (or of the previous interval).");
  add("movingSum", {series, window, xff}, &MovingFixed<kSum>, "Calculate",
      "The sum of the previous windowSize points (or of the previous interval).");
  add("movingMin", {series, window, xff}, &MovingFixed<kMin>, "Calculate",
      "The minimum of the previous windowSize points (or of the previous interval).");
  add("movingMax", {series, window, xff}, &MovingFixed<kMax>, "Calculate",
      "The maximum of the previous windowSize points (or of the previous interval).");
  add("exponentialMovingAverage", {series, window}, &ExponentialMovingAverage, "Calculate",
      "The exponential moving average with constant 2 / (windowSize + 1).");
  add("stdev",
      {series,
       {"points", ParamType::kInteger, true},
       {"windowTolerance", ParamType::kFloat, false, {}, "0.1"}},
      &Stdev, "Calculate",
      "The standard deviation of the previous `points` points (null when fewer than "
      "windowTolerance of them are non-null).");
  add("nPercentile", {series, {"n", ParamType::kFloat, true}}, &NPercentile, "Calculate",
      "A line at the n-th percentile of each series' values.");
  add("aggregateLine",
      {series,
       {"func", ParamType::kAggFunc, false, {}, "\"average\""},
       {"keepStep", ParamType::kBoolean, false, {}, "false"}},
      &AggregateLine, "Calculate", "A line at the aggregate of each series' values.");
  add("linearRegression",
      {series, {"startSourceAt", ParamType::kDate}, {"endSourceAt", ParamType::kDate}},
      &LinearRegression, "Calculate",
      "The least-squares line through the points between startSourceAt and endSourceAt.");
  add("timeSlice",
      {series,
       {"startSliceAt", ParamType::kDate, true},
       {"endSliceAt", ParamType::kDate, false, {}, "\"now\""}},
      &TimeSlice, "Transform", "Keeps only the points between the two times (nulls elsewhere).");
  add("timeStack",
      {series,
       {"timeShiftUnit", ParamType::kInterval, false, {}, "\"1d\""},
       {"timeShiftStart", ParamType::kInteger, false, {}, "0"},
       {"timeShiftEnd", ParamType::kInteger, false, {}, "7"}},
      &TimeStack, "Transform",
      "The series shifted back by timeShiftStart..timeShiftEnd-1 units, drawn over each other.");
  add("smartSummarize",
      {series,
       {"intervalString", ParamType::kInterval, true},
       {"func", ParamType::kAggFunc, false, {}, "\"sum\""},
       {"alignTo",
        ParamType::kString,
        false,
        {"None", "years", "months", "weeks", "days", "hours", "minutes", "seconds", "True",
         "False"}}},
      &SmartSummarize, "Transform",
      "Like summarize, with buckets from the (alignTo-truncated) start of the request.");
}

}  // namespace hourglass::query
