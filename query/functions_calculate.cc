// Functions that bucket or window points in time: summarize, hitcount,
// movingAverage/movingWindow (graphite-web 1.1 semantics, including its
// bucket alignment and xFilesFactor rules). movingWindow and hitcount's
// alignToInterval fetch their input again over a wider range.
#include <algorithm>
#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "query/function_registry.h"
#include "query/functions_common.h"
#include "query/functions_support.h"
#include "query/render_budget.h"
#include "query/time_parser.h"

namespace hourglass::query {
namespace {

using common::Result;
using common::Status;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

Result<int64_t> Interval(const std::string& text) {
  Result<int64_t> seconds = ParseTimeOffset(text);
  if (!seconds.ok()) return seconds.status();
  if (*seconds <= 0) return Status::Error("Invalid interval value: '" + text + "': not positive");
  return seconds;
}

// Buckets of `interval` seconds from start until end (the last one partial).
size_t BucketCount(int64_t start, int64_t end, int64_t interval) {
  if (end <= start) return 0;
  return static_cast<size_t>((end - start) / interval + ((end - start) % interval != 0));
}

// The time range summarize's buckets cover for `s`.
std::pair<int64_t, int64_t> SummarizeRange(const Series& s, int64_t interval, bool align_to_from) {
  if (align_to_from) return {s.start, s.end};
  return {s.start - ((s.start % interval) + interval) % interval,
          s.end - ((s.end % interval) + interval) % interval + interval};
}

}  // namespace

std::vector<double> SummarizeValues(const Series& s, AggFunc func, int64_t interval, int64_t start,
                                    int64_t end, int64_t& aligned_end) {
  const std::vector<double> points = ConsolidatedValues(s);
  const size_t n =
      std::min(points.size(), s.step > 0 ? static_cast<size_t>(std::max<int64_t>(
                                               0, (s.end - s.start + s.step - 1) / s.step))
                                         : 0);
  const double interval_points = static_cast<double>(interval) / static_cast<double>(s.step);
  std::vector<double> out;
  size_t i = 0;
  int64_t t = start;
  for (; t < end; t += interval) {
    size_t first = i;
    int64_t non_null = 0;
    for (; i < n && s.start + static_cast<int64_t>(i) * s.step < t + interval; ++i) {
      const int64_t ts = s.start + static_cast<int64_t>(i) * s.step;
      if (ts <= t) first = i;
      if (ts >= t && !std::isnan(points[i])) ++non_null;
    }
    const bool enough =
        non_null > 0 && static_cast<double>(non_null) / interval_points >= s.x_files_factor;
    out.push_back(enough ? ApplyAgg(func, std::span(points).subspan(first, i - first)) : NAN);
  }
  aligned_end = t;
  return out;
}

namespace {

Result<SeriesList> Summarize(EvalContext& ctx, std::vector<Value>& args) {
  const std::string& interval_text = args[1].string_value;
  Result<int64_t> interval = Interval(interval_text);
  if (!interval.ok()) return interval.status();
  const std::string& func_name = args[2].string_value;
  AggFunc func;
  if (!ParseAggFunc(func_name, func)) {
    return Status::Error("Unsupported aggregation function: " + func_name);
  }
  const bool align_to_from = args[3].bool_value;
  SeriesList list = std::move(args[0].series);
  size_t buckets = 0;
  for (const Series& s : list) {
    const auto [start, end] = SummarizeRange(s, *interval, align_to_from);
    buckets += BucketCount(start, end, *interval);
  }
  if (Status st = ChargePoints(ctx, buckets); !st.ok()) return st;
  for (Series& s : list) {
    auto [start, end] = SummarizeRange(s, *interval, align_to_from);
    int64_t aligned_end = 0;
    std::vector<double> values = SummarizeValues(s, func, *interval, start, end, aligned_end);
    if (align_to_from) end = aligned_end;
    s.tags["summarize"] = interval_text;
    s.tags["summarizeFunction"] = func_name;
    s.name = fmt::format("summarize({}, \"{}\", \"{}\"{})", s.name, interval_text, func_name,
                         align_to_from ? ", true" : "");
    s.path_expression = s.name;  // TimeSeries.copy() does so
    s.start = start;
    s.end = end;
    s.step = *interval;
    SetValues(s, std::move(values));
  }
  return list;
}

// hitcount's buckets for one series ending at s.end: each the sum of its
// parts in the order they come (as graphite-web sums its lists), null if none.
std::vector<double> HitBuckets(const Series& s, int64_t interval, int64_t& new_start) {
  const auto bucket_count = static_cast<int64_t>(BucketCount(s.start, s.end, interval));
  std::vector<double> sums(static_cast<size_t>(bucket_count), 0.0);
  std::vector<bool> hit(sums.size(), false);
  new_start = s.end - bucket_count * interval;
  if (sums.empty()) return sums;
  const std::vector<double> values = ConsolidatedValues(s);
  for (size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    if (std::isnan(v)) continue;
    const int64_t start_time = s.start + static_cast<int64_t>(i) * s.step;
    int64_t start_bucket = FloorDiv(start_time - new_start, interval);
    const int64_t start_mod = start_time - new_start - start_bucket * interval;
    const int64_t end_time = start_time + s.step;
    int64_t end_bucket = FloorDiv(end_time - new_start, interval);
    int64_t end_mod = end_time - new_start - end_bucket * interval;
    if (end_bucket >= bucket_count) end_bucket = bucket_count - 1, end_mod = interval;
    auto add = [&](int64_t b, int64_t seconds) {
      sums[static_cast<size_t>(b)] += v * static_cast<double>(seconds);
      hit[static_cast<size_t>(b)] = true;
    };
    if (start_bucket == end_bucket) {
      if (start_bucket >= 0) add(start_bucket, end_mod - start_mod);
      continue;
    }
    if (start_bucket >= 0) add(start_bucket, interval - start_mod);
    for (int64_t j = start_bucket + 1; j < end_bucket; ++j) {
      if (j >= 0) add(j, interval);
    }
    if (end_mod > 0 && end_bucket >= 0) add(end_bucket, end_mod);
  }
  for (size_t b = 0; b < sums.size(); ++b) {
    if (!hit[b]) sums[b] = NAN;
  }
  return sums;
}

Result<SeriesList> Hitcount(EvalContext& ctx, std::vector<Value>& args) {
  const std::string& interval_text = args[1].string_value;
  Result<int64_t> interval = Interval(interval_text);
  if (!interval.ok()) return interval.status();
  const bool align = args[2].bool_value;
  SeriesList list = std::move(args[0].series);
  if (align) {
    // The start truncated to the day, hour or minute (UTC), then fetched again.
    const int64_t unit = *interval >= 86400  ? 86400
                         : *interval >= 3600 ? 3600
                         : *interval >= 60   ? 60
                                             : 1;
    Result<SeriesList> again =
        EvaluateFirstArgOver(ctx, ctx.from - FloorDiv(ctx.from, 1) % unit, ctx.until);
    if (!again.ok()) return again.status();
    list = std::move(*again);
    for (Series& s : list) s.end = s.start + (s.end - s.start) / *interval * *interval + *interval;
  }
  size_t buckets = 0;
  for (const Series& s : list) buckets += BucketCount(s.start, s.end, *interval);
  if (Status st = ChargePoints(ctx, buckets); !st.ok()) return st;
  for (Series& s : list) {
    int64_t new_start = 0;
    std::vector<double> values = HitBuckets(s, *interval, new_start);
    s.tags["hitcount"] = interval_text;
    s.name = fmt::format("hitcount({}, \"{}\"{})", s.name, interval_text, align ? ", true" : "");
    s.path_expression = s.name;
    s.start = new_start;
    s.step = *interval;
    SetValues(s, std::move(values));
  }
  return list;
}

// "average" -> "movingAverage", "avg_zero" -> "movingAvg_zero" (str.capitalize).
std::string TagName(const std::string& func) {
  std::string out = "moving";
  for (size_t i = 0; i < func.size(); ++i) {
    out.push_back(i == 0 ? static_cast<char>(std::toupper(static_cast<unsigned char>(func[i])))
                         : static_cast<char>(std::tolower(static_cast<unsigned char>(func[i]))));
  }
  return out;
}

}  // namespace

Result<SeriesList> MovingWindowImpl(EvalContext& ctx, const Value& window,
                                    const std::string& func_name, const Value& xff_arg,
                                    const SeriesList& input) {
  if (input.empty()) return SeriesList{};
  AggFunc func;
  if (!ParseAggFunc(func_name, func))
    return Status::Error("Unsupported aggregation function: " + func_name);
  const bool by_time = window.kind == Value::Kind::kString;
  int64_t preview = 0;
  if (by_time) {
    Result<int64_t> seconds = ParseTimeOffset(window.string_value);
    if (!seconds.ok()) return seconds.status();
    preview = std::abs(*seconds);
  } else {
    if (window.int_value < 0) return Status::Error("windowSize must not be negative");
    int64_t max_step = 0;
    for (const Series& s : input) max_step = std::max(max_step, s.step);
    if (__builtin_mul_overflow(max_step, window.int_value, &preview)) preview = INT64_MAX;
  }
  Result<int64_t> from = ShiftTime(ctx.from, -preview);
  if (!from.ok()) return from.status();
  Result<SeriesList> list = EvaluateFirstArgOver(ctx, *from, ctx.until);
  if (!list.ok()) return list.status();
  const std::string tag = TagName(func_name);
  const std::string window_text = by_time ? window.string_value : std::to_string(window.int_value);
  for (Series& s : *list) {
    const int64_t points = by_time ? preview / s.step : window.int_value;
    s.name = by_time ? fmt::format("{}({},\"{}\")", tag, s.name, window_text)
                     : fmt::format("{}({},{})", tag, s.name, window_text);
    s.path_expression = s.name;
    s.tags[tag] = window_text;
    const double xff = xff_arg.kind == Value::Kind::kNone ? s.x_files_factor : xff_arg.float_value;
    // graphite-web hands the aggregation the window's non-null values; only
    // avg_zero and multiply can tell that from the window itself.
    const bool filter = func == AggFunc::kAvgZero || func == AggFunc::kMultiply;
    std::vector<double> out, non_null_values;
    out.reserve(s.values.size());
    for (int64_t i = std::max<int64_t>(points, 0); i < static_cast<int64_t>(s.values.size()); ++i) {
      const auto window =
          std::span(s.values).subspan(static_cast<size_t>(i - points), static_cast<size_t>(points));
      const auto non_null =
          std::count_if(window.begin(), window.end(), [](double v) { return !std::isnan(v); });
      const bool enough = non_null > 0 && points > 0 &&
                          static_cast<double>(non_null) / static_cast<double>(points) >= xff;
      if (enough && filter) {
        non_null_values.clear();
        std::copy_if(window.begin(), window.end(), std::back_inserter(non_null_values),
                     [](double v) { return !std::isnan(v); });
      }
      out.push_back(!enough ? NAN : ApplyAgg(func, filter ? non_null_values : window));
    }
    s.start += preview;
    SetValues(s, std::move(out));
  }
  return list;
}

namespace {

Result<SeriesList> MovingAverage(EvalContext& ctx, std::vector<Value>& args) {
  return MovingWindowImpl(ctx, args[1], "average", args[2], args[0].series);
}

Result<SeriesList> MovingWindow(EvalContext& ctx, std::vector<Value>& args) {
  return MovingWindowImpl(ctx, args[1], args[2].string_value, args[3], args[0].series);
}

}  // namespace

void RegisterCalculateFunctions(FunctionRegistry& r) {
  const Param series{"seriesList", ParamType::kSeriesList, true};
  r.Add({"summarize",
         {series,
          {"intervalString", ParamType::kInterval, true},
          {"func", ParamType::kAggFunc, false, {}, "\"sum\""},
          {"alignToFrom", ParamType::kBoolean, false, {}, "false"}},
         &Summarize,
         "Transform",
         "Aggregates the points into buckets of the interval (aligned to the interval, or to "
         "`from` with alignToFrom)."});
  r.Add({"hitcount",
         {series,
          {"intervalString", ParamType::kInterval, true},
          {"alignToInterval", ParamType::kBoolean, false, {}, "false"}},
         &Hitcount,
         "Transform",
         "Turns a per-second rate into hits per interval bucket."});
  r.Add({"movingAverage",
         {series,
          {"windowSize", ParamType::kIntOrInterval, true},
          {"xFilesFactor", ParamType::kFloat}},
         &MovingAverage,
         "Calculate",
         "The average of the previous windowSize points (or of the previous interval)."});
  r.Add({"movingWindow",
         {series,
          {"windowSize", ParamType::kIntOrInterval, true},
          {"func", ParamType::kAggFunc, false, {}, "\"average\""},
          {"xFilesFactor", ParamType::kFloat}},
         &MovingWindow,
         "Calculate",
         "The given aggregation of the previous windowSize points (or of the previous interval)."});
}

}  // namespace hourglass::query
