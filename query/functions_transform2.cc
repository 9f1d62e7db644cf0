// More of graphite-web 1.1's point-by-point functions: offsetToZero, invert,
// pow, squareRoot, log, round, minMax, delay, changed, exp, logit, sigmoid,
// add, integralByInterval, powSeries, interpolate, substr, the generators
// identity/time/sin/randomWalk, setXFilesFactor and threshold, with graphite-web's names, tags and
// None handling (safe.py's safePow gives None where math.pow raises).
#include <algorithm>
#include <cmath>
#include <random>

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

// safe.safePow: None in, or a ValueError/OverflowError, gives None.
double SafePow(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return NAN;
  const double r = std::pow(a, b);
  return std::isfinite(r) ? r : NAN;
}

// The common shape: tag, rename (path expression too), map every value.
template <typename Fn>
SeriesList MapValues(SeriesList list, std::string_view func, std::string_view suffix,
                     const std::string& tag_value, Fn fn) {
  for (Series& s : list) {
    if (!tag_value.empty()) s.tags[std::string(func)] = tag_value;
    std::vector<double> values = ConsolidatedValues(s);
    for (double& v : values) v = fn(v);
    Reset(s, fmt::format("{}({}{})", func, s.name, suffix), std::move(values));
  }
  return list;
}

Result<SeriesList> OffsetToZero(EvalContext&, std::vector<Value>& args) {
  SeriesList list = std::move(args[0].series);
  for (Series& s : list) {
    std::vector<double> values = ConsolidatedValues(s);
    double min = INFINITY;
    for (double v : values) min = std::isnan(v) ? min : std::min(min, v);
    const bool any = std::isfinite(min);
    s.tags["offsetToZero"] = any ? PyFloatRepr(min) : "None";
    s.name = "offsetToZero(" + s.name + ")";
    s.path_expression = s.name;
    if (any) {
      for (double& v : values) v -= min;
    }
    SetValues(s, std::move(values));
  }
  return list;
}

Result<SeriesList> Invert(EvalContext&, std::vector<Value>& args) {
  return MapValues(std::move(args[0].series), "invert", "", "1",
                   [](double v) { return SafePow(v, -1); });
}

Result<SeriesList> Pow(EvalContext&, std::vector<Value>& args) {
  const double factor = args[1].float_value;
  return MapValues(std::move(args[0].series), "pow", "," + PyG(factor), PyNumber(args[1]),
                   [factor](double v) { return SafePow(v, factor); });
}

Result<SeriesList> SquareRoot(EvalContext&, std::vector<Value>& args) {
  return MapValues(std::move(args[0].series), "squareRoot", "", "1",
                   [](double v) { return SafePow(v, 0.5); });
}

Result<SeriesList> Exp(EvalContext&, std::vector<Value>& args) {
  return MapValues(std::move(args[0].series), "exp", "", "e", [](double v) { return std::exp(v); });
}

Result<SeriesList> Sigmoid(EvalContext&, std::vector<Value>& args) {
  return MapValues(std::move(args[0].series), "sigmoid", "", "sigmoid",
                   [](double v) { return 1 / (1 + std::exp(-v)); });
}

Result<SeriesList> Logit(EvalContext&, std::vector<Value>& args) {
  return MapValues(std::move(args[0].series), "logit", "", "logit", [](double v) {
    if (v == 1) return double(NAN);  // ZeroDivisionError
    const double q = v / (1 - v);
    return q > 0 ? std::log(q) : NAN;  // math.log's ValueError
  });
}

Result<SeriesList> Log(EvalContext&, std::vector<Value>& args) {
  SeriesList list = std::move(args[0].series);
  const double base = static_cast<double>(args[1].int_value);
  for (Series& s : list) {
    std::vector<double> values = ConsolidatedValues(s);
    for (double& v : values) v = v > 0 ? std::log(v) / std::log(base) : NAN;
    s.tags["log"] = std::to_string(args[1].int_value);
    Reset(s, fmt::format("log({}, {})", s.name, args[1].int_value), std::move(values));
  }
  return list;
}

// Python's round(v, digits): correctly rounded, ties to even.
double PyRound(double v, int64_t digits) {
  if (!std::isfinite(v)) return v;
  if (digits >= 0) {
    char buf[512];
    std::snprintf(buf, sizeof(buf), "%.*f", static_cast<int>(std::min<int64_t>(digits, 300)), v);
    return std::strtod(buf, nullptr);
  }
  const double scale = std::pow(10.0, static_cast<double>(-digits));
  return std::isfinite(scale) ? std::nearbyint(v / scale) * scale : 0.0 * v;
}

Result<SeriesList> Round(EvalContext& ctx, std::vector<Value>& args) {
  const int64_t precision = args[1].int_value;
  const std::string suffix = ArgGiven(ctx, 1, "precision") ? fmt::format(",{}", precision) : "";
  return MapValues(std::move(args[0].series), "round", suffix, std::to_string(precision),
                   [precision](double v) { return PyRound(v, precision); });
}

Result<SeriesList> MinMax(EvalContext&, std::vector<Value>& args) {
  SeriesList list = std::move(args[0].series);
  for (Series& s : list) {
    std::vector<double> values = ConsolidatedValues(s);
    double min = INFINITY, max = -INFINITY;
    for (double v : values) {
      if (!std::isnan(v)) min = std::min(min, v), max = std::max(max, v);
    }
    if (!std::isfinite(min)) min = max = 0.0;
    for (double& v : values) {
      if (!std::isnan(v)) v = max == min ? 0.0 : (v - min) / (max - min);
    }
    Reset(s, "minMax(" + s.name + ")", std::move(values));
  }
  return list;
}

Result<SeriesList> Delay(EvalContext&, std::vector<Value>& args) {
  SeriesList list = std::move(args[0].series);
  const int64_t steps = args[1].int_value;
  for (Series& s : list) {
    const auto n = static_cast<int64_t>(s.values.size());
    const int64_t k = std::min(std::abs(steps), n);
    std::vector<double> values;
    if (steps < 0) {  // series[-steps:] + [None] * min(-steps, len)
      values.assign(s.values.begin() + k, s.values.end());
      values.insert(values.end(), static_cast<size_t>(k), NAN);
    } else if (steps > 0) {  // [None] * min(steps, len) + series[:-steps]
      values.assign(static_cast<size_t>(k), NAN);
      values.insert(values.end(), s.values.begin(), s.values.end() - k);
    }  // steps == 0: series[:-0] is empty in Python
    s.tags["delay"] = std::to_string(steps);
    Reset(s, fmt::format("delay({},{})", s.name, steps), std::move(values));
  }
  return list;
}

Result<SeriesList> Changed(EvalContext&, std::vector<Value>& args) {
  SeriesList list = std::move(args[0].series);
  for (Series& s : list) {
    std::vector<double> values = ConsolidatedValues(s);
    double previous = NAN;
    for (double& v : values) {
      const double value = v;
      if (std::isnan(previous)) {
        previous = value;
        v = 0;
      } else if (!std::isnan(value) && previous != value) {
        previous = value;
        v = 1;
      } else {
        v = 0;
      }
    }
    Reset(s, "changed(" + s.name + ")", std::move(values));
  }
  return list;
}

Result<SeriesList> PowSeries(EvalContext& ctx, std::vector<Value>& args) {
  SeriesList list = std::move(args[0].series);
  if (list.empty()) return SeriesList{};
  int64_t start = 0, end = 0, step = 1;
  Normalize(list, start, end, step);
  size_t length = 0;
  const auto columns = Columns(list, length);
  std::vector<double> values(length, NAN);
  for (size_t i = 0; i < length; ++i) {
    double acc = i < columns[0].size() ? columns[0][i] : NAN;
    for (size_t c = 1; c < columns.size(); ++c) {
      acc = SafePow(acc, i < columns[c].size() ? columns[c][i] : NAN);
    }
    values[i] = acc;
  }
  std::string name = "powSeries(";
  for (size_t i = 0; i < list.size(); ++i) name += (i ? "," : "") + list[i].name;
  Series out = MakeSeries(name + ")", start, end, step, std::move(values));
  out.path_expression = out.name;
  out.x_files_factor = ctx.x_files_factor;
  return SeriesList{std::move(out)};
}

Result<SeriesList> Interpolate(EvalContext&, std::vector<Value>& args) {
  SeriesList list = std::move(args[0].series);
  const double limit = args[1].float_value;
  for (Series& s : list) {
    s.name = "interpolate(" + s.name + ")";
    s.path_expression = s.name;
    std::vector<double> v = ConsolidatedValues(s);
    int64_t nones = 0;
    for (size_t i = 1; i < v.size(); ++i) {
      if (std::isnan(v[i])) {
        ++nones;
        continue;
      }
      if (nones == 0) continue;
      const size_t before = i - static_cast<size_t>(nones) - 1;
      if (!std::isnan(v[before]) && static_cast<double>(nones) <= limit) {
        for (size_t j = i - static_cast<size_t>(nones); j < i; ++j) {
          v[j] = v[before] + static_cast<double>(j - before) * (v[i] - v[before]) /
                                 static_cast<double>(nones + 1);
        }
      }
      nones = 0;
    }
    SetValues(s, std::move(v));
  }
  return list;
}

// Python's list[start:stop] bounds for a list of n items (stop 0 = to the end
// here, as substr means it).
std::pair<int64_t, int64_t> PySlice(int64_t n, int64_t start, int64_t stop, bool to_end) {
  auto clamp = [n](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + n : i, 0, n); };
  const int64_t b = clamp(start), e = to_end ? n : clamp(stop);
  return {b, std::max(b, e)};
}

Result<SeriesList> Substr(EvalContext&, std::vector<Value>& args) {
  SeriesList list = std::move(args[0].series);
  for (Series& s : list) {
    const size_t open = s.name.rfind('(');
    const size_t left = open == std::string::npos ? 0 : open + 1;
    const size_t right = s.name.find(')');
    // name[left:right]: Python gives "" when right < left.
    const std::string clean = right == std::string::npos
                                  ? s.name.substr(left)
                                  : (right > left ? s.name.substr(left, right - left) : "");
    std::vector<std::string> parts;
    for (size_t pos = 0;;) {
      const size_t dot = clean.find('.', pos);
      parts.push_back(clean.substr(pos, dot == std::string::npos ? dot : dot - pos));
      if (dot == std::string::npos) break;
      pos = dot + 1;
    }
    const auto [b, e] = PySlice(static_cast<int64_t>(parts.size()), args[1].int_value,
                                args[2].int_value, args[2].int_value == 0);
    std::string name;
    for (int64_t i = b; i < e; ++i) name += (i > b ? "." : "") + parts[static_cast<size_t>(i)];
    s.name = name.substr(0, name.find(','));  // re.sub(',.*$', '', name)
  }
  return list;
}

// identity() and time(): one point per step from the request's start (the
// points count in the render budget).
Result<SeriesList> TimeLine(EvalContext& ctx, const std::string& name, int64_t step) {
  if (step <= 0) return Status::Error("step must be a positive number of seconds");
  const int64_t points = std::max<int64_t>(0, (ctx.until - ctx.from + step - 1) / step);
  if (Status st = ChargePoints(ctx, static_cast<size_t>(points)); !st.ok()) return st;
  std::vector<double> values;
  values.reserve(static_cast<size_t>(points));
  for (int64_t t = ctx.from; t < ctx.until; t += step) values.push_back(static_cast<double>(t));
  Series s = MakeSeries(name, ctx.from, ctx.until, step, std::move(values));
  s.path_expression = name;
  s.x_files_factor = ctx.x_files_factor;
  return SeriesList{std::move(s)};
}

Result<SeriesList> Identity(EvalContext& ctx, std::vector<Value>& args) {
  Result<SeriesList> list = TimeLine(ctx, args[0].string_value, 60);
  if (list.ok()) (*list)[0].path_expression = "identity(\"" + args[0].string_value + "\")";
  return list;
}

Result<SeriesList> TimeFunction(EvalContext& ctx, std::vector<Value>& args) {
  return TimeLine(ctx, args[0].string_value, args[1].int_value);
}

Result<SeriesList> Sin(EvalContext& ctx, std::vector<Value>& args) {
  Result<SeriesList> list = TimeLine(ctx, args[0].string_value, args[2].int_value);
  if (!list.ok()) return list;
  const auto amplitude = static_cast<double>(args[1].int_value);
  for (double& v : (*list)[0].values) v = std::sin(v) * amplitude;
  return list;
}

// x(0) = 0, x(t) = x(t-1) + random() - 0.5: random by design, as in graphite.
Result<SeriesList> RandomWalk(EvalContext& ctx, std::vector<Value>& args) {
  Result<SeriesList> list = TimeLine(ctx, args[0].string_value, args[1].int_value);
  if (!list.ok()) return list;
  std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> step(-0.5, 0.5);
  double current = 0;
  for (double& v : (*list)[0].values) {
    v = current;
    current += step(rng);
  }
  return list;
}

Result<SeriesList> Add(EvalContext&, std::vector<Value>& args) {
  const double constant = args[1].float_value;
  return MapValues(std::move(args[0].series), "add",
                   fmt::format(",{}", static_cast<int64_t>(constant)), PyNumber(args[1]),
                   [constant](double v) { return v + constant; });
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

Result<SeriesList> IntegralByInterval(EvalContext& ctx, std::vector<Value>& args) {
  const std::string& unit = args[1].string_value;
  Result<int64_t> offset = ParseTimeOffset(unit);
  if (!offset.ok()) return offset.status();
  const int64_t duration = std::abs(*offset);
  if (duration == 0) return Status::Error("intervalUnit must not be 0");
  SeriesList list = std::move(args[0].series);
  for (Series& s : list) {
    std::vector<double> values = ConsolidatedValues(s);
    int64_t t = s.start;
    double current = 0.0;
    for (double& v : values) {
      if (FloorDiv(t - ctx.from, duration) != FloorDiv(t - ctx.from - s.step, duration)) {
        current = 0.0;
      }
      if (!std::isnan(v)) current += v;
      v = current;
      t += s.step;
    }
    s.tags["integralByInterval"] = unit;
    Reset(s, fmt::format("integralByInterval({},'{}')", s.name, unit), std::move(values));
  }
  return list;
}

Result<SeriesList> SetXFilesFactor(EvalContext& ctx, std::vector<Value>& args) {
  SeriesList list = std::move(args[0].series);
  ctx.x_files_factor = args[1].float_value;  // the request's default from now on
  for (Series& s : list) {
    s.x_files_factor = args[1].float_value;
    s.tags["xFilesFactor"] = PyNumber(args[1]);
  }
  return list;
}

Result<SeriesList> Threshold(EvalContext& ctx, std::vector<Value>& args) {
  SeriesList list{ConstantLineSeries(ctx, args[0])};
  if (!args[1].string_value.empty()) list[0].name = args[1].string_value;
  return list;  // the color only changes a PNG
}

}  // namespace

void RegisterTransform2Functions(FunctionRegistry& r) {
  const Param series{"seriesList", ParamType::kSeriesList, true};
  auto add = [&r](std::string name, std::vector<Param> params, FunctionImpl impl, std::string group,
                  std::string description) {
    r.Add({std::move(name), std::move(params), impl, std::move(group), std::move(description)});
  };
  add("offsetToZero", {series}, &OffsetToZero, "Transform",
      "Subtracts the series' minimum from every value.");
  add("invert", {series}, &Invert, "Transform", "1/x for every value (null for 0).");
  add("pow", {series, {"factor", ParamType::kFloat, true}}, &Pow, "Transform",
      "Raises every value to the power of the factor.");
  add("squareRoot", {series}, &SquareRoot, "Transform", "The square root of every value.");
  add("exp", {series}, &Exp, "Transform", "e to the power of every value.");
  add("sigmoid", {series}, &Sigmoid, "Transform", "1 / (1 + exp(-x)) for every value.");
  add("logit", {series}, &Logit, "Transform", "log(x / (1 - x)) for every value.");
  add("log", {series, {"base", ParamType::kInteger, false, {}, "10"}}, &Log, "Transform",
      "The logarithm of every value in the base (null for values <= 0).");
  add("round", {series, {"precision", ParamType::kInteger, false, {}, "0"}}, &Round, "Transform",
      "Rounds every value to `precision` decimals (negative: tens, hundreds...).");
  add("minMax", {series}, &MinMax, "Transform",
      "Scales every value to 0..1 between the series' minimum and maximum.");
  add("delay", {series, {"steps", ParamType::kInteger, true}}, &Delay, "Transform",
      "Shifts the values later by `steps` points (earlier if negative), padding with nulls.");
  add("changed", {series}, &Changed, "Special",
      "1 where the value changed from the previous non-null value, else 0.");
  r.Add({"powSeries",
         {{"seriesList", ParamType::kSeriesLists, true}},
         &PowSeries,
         "Combine",
         "The first series raised to the power of the next, point by point.",
         true});
  add("interpolate", {series, {"limit", ParamType::kIntOrInf, false, {}, "1e9999"}}, &Interpolate,
      "Transform", "Fills runs of at most `limit` nulls by a straight line between their ends.");
  add("substr",
      {series,
       {"start", ParamType::kNode, false, {}, "0"},
       {"stop", ParamType::kNode, false, {}, "0"}},
      &Substr, "Special", "Names each series by the nodes start..stop of its path.");
  add("identity", {{"name", ParamType::kString, true}}, &Identity, "Calculate",
      "A series whose value is its timestamp, one point a minute.");
  for (const char* name : {"time", "timeFunction"}) {
    add(name, {{"name", ParamType::kString, true}, {"step", ParamType::kInteger, false, {}, "60"}},
        &TimeFunction, "Transform", "A series whose value is its timestamp, one point a step.");
  }
  for (const char* name : {"sin", "sinFunction"}) {
    add(name,
        {{"name", ParamType::kString, true},
         {"amplitude", ParamType::kInteger, false, {}, "1"},
         {"step", ParamType::kInteger, false, {}, "60"}},
        &Sin, "Transform", "sin(timestamp) * amplitude, one point a step.");
  }
  for (const char* name : {"randomWalk", "randomWalkFunction"}) {
    add(name, {{"name", ParamType::kString, true}, {"step", ParamType::kInteger, false, {}, "60"}},
        &RandomWalk, "Special", "A random walk from 0, one point a step.");
  }
  add("add", {series, {"constant", ParamType::kFloat, true}}, &Add, "Transform",
      "Adds the constant to every non-null value.");
  add("integralByInterval", {series, {"intervalUnit", ParamType::kString, true}},
      &IntegralByInterval, "Transform",
      "The running sum of the values, restarting at every intervalUnit from the request's "
      "start.");
  for (const char* name : {"setXFilesFactor", "xFilesFactor"}) {
    add(name, {series, {"xFilesFactor", ParamType::kFloat, true}}, &SetXFilesFactor, "Special",
        "The share of non-null points consolidation needs (for the series and the request).");
  }
  add("threshold",
      {{"value", ParamType::kFloat, true},
       {"label", ParamType::kString},
       {"color", ParamType::kString}},
      &Threshold, "Graph", "A constant line at the value, named by the label.");
}

}  // namespace hourglass::query
