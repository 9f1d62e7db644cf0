// The "Transform" group, point by point: scale, offset, absolute, the
// derivatives, integral, keepLastValue, transformNull, timeShift, with
// graphite-web 1.1's names, tags and None handling.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "query/function_registry.h"
#include "query/functions_common.h"
#include "query/time_parser.h"

namespace hourglass::query {
namespace {

using common::Result;
using common::Status;

// Renames s to "func(name<suffix>)"; like graphite, the new name is also the
// path expression (set explicitly, or by TimeSeries.copy()).
void Rename(Series& s, std::string_view func, std::string_view suffix) {
  s.name = fmt::format("{}({}{})", func, s.name, suffix);
  s.path_expression = s.name;
}

Result<SeriesList> Scale(EvalContext&, std::vector<Value>& args) {
  SeriesList list = std::move(args[0].series);
  const double factor = args[1].float_value;
  for (Series& s : list) {
    s.tags["scale"] = PyNumber(args[1]);
    Rename(s, "scale", "," + PyG(factor));
    for (double& v : s.values) v = v * factor;  // NaN stays NaN
  }
  return list;
}

Result<SeriesList> ScaleToSeconds(EvalContext&, std::vector<Value>& args) {
  SeriesList list = std::move(args[0].series);
  const double seconds = args[1].float_value;
  for (Series& s : list) {
    s.tags["scaleToSeconds"] = PyNumber(args[1]);
    Rename(s, "scaleToSeconds", fmt::format(",{}", static_cast<int64_t>(seconds)));
    const double factor = seconds / static_cast<double>(s.step);
    for (double& v : s.values) v = std::isnan(v) ? v : PyRound6(v * factor);
  }
  return list;
}

Result<SeriesList> Offset(EvalContext&, std::vector<Value>& args) {
  SeriesList list = std::move(args[0].series);
  for (Series& s : list) {
    s.tags["offset"] = PyNumber(args[1]);
    Rename(s, "offset", "," + PyG(args[1].float_value));
    for (double& v : s.values) v += args[1].float_value;
  }
  return list;
}

Result<SeriesList> Absolute(EvalContext&, std::vector<Value>& args) {
  SeriesList list = std::move(args[0].series);
  for (Series& s : list) {
    s.tags["absolute"] = "1";
    Rename(s, "absolute", "");
    for (double& v : s.values) v = std::fabs(v);
  }
  return list;
}

// _nonNegativeDelta(): the counter delta, NaN for none; updates prev.
double NonNegativeDelta(double v, double& prev, const Value& max_v, const Value& min_v) {
  const bool has_max = max_v.kind != Value::Kind::kNone, has_min = min_v.kind != Value::Kind::kNone;
  if (!std::isnan(v) &&
      ((has_max && v > max_v.float_value) || (has_min && v < min_v.float_value))) {
    prev = NAN;
    return NAN;
  }
  const double p = prev;
  prev = v;
  if (std::isnan(p) || std::isnan(v)) return NAN;
  if (v >= p) return v - p;
  if (has_max) return max_v.float_value + 1 + v - p - (has_min ? min_v.float_value : 0);
  if (has_min) return v - min_v.float_value;
  return NAN;
}

// The functions that replace each series by a running function of its
// consolidated values: tagged func=1 and renamed func(name), as graphite-web
// does. `make(series)` returns that series' function (it may keep state).
template <typename MakeFn>
SeriesList MapConsolidated(SeriesList list, const char* func, MakeFn make) {
  for (Series& s : list) {
    auto f = make(s);
    std::vector<double> values = ConsolidatedValues(s);
    for (double& v : values) v = f(v);
    s.tags[func] = "1";
    Rename(s, func, "");
    SetValues(s, std::move(values));
  }
  return list;
}

Result<SeriesList> PerSecond(EvalContext&, std::vector<Value>& args) {
  return MapConsolidated(std::move(args[0].series), "perSecond", [&args](const Series& s) {
    return [&args, prev = double(NAN), step = static_cast<double>(s.step)](double v) mutable {
      const double d = NonNegativeDelta(v, prev, args[1], args[2]);
      return std::isnan(d) ? d : PyRound6(d / step);
    };
  });
}

Result<SeriesList> NonNegativeDerivative(EvalContext&, std::vector<Value>& args) {
  return MapConsolidated(std::move(args[0].series), "nonNegativeDerivative",
                         [&args](const Series&) {
                           return [&args, prev = double(NAN)](double v) mutable {
                             return NonNegativeDelta(v, prev, args[1], args[2]);
                           };
                         });
}

Result<SeriesList> Derivative(EvalContext&, std::vector<Value>& args) {
  return MapConsolidated(std::move(args[0].series), "derivative", [](const Series&) {
    return [prev = double(NAN)](double v) mutable {
      const double d = v - prev;  // NaN when either is None
      prev = v;
      return d;
    };
  });
}

Result<SeriesList> Integral(EvalContext&, std::vector<Value>& args) {
  return MapConsolidated(std::move(args[0].series), "integral", [](const Series&) {
    return [current = 0.0](double v) mutable { return std::isnan(v) ? v : (current += v); };
  });
}

Result<SeriesList> KeepLastValue(EvalContext&, std::vector<Value>& args) {
  SeriesList list = std::move(args[0].series);
  const double limit = args[1].float_value;
  for (Series& s : list) {
    Rename(s, "keepLastValue", "");
    size_t nones = 0;
    double last = NAN;
    auto backfill = [&](size_t end) {
      if (nones > 0 && static_cast<double>(nones) <= limit && !std::isnan(last)) {
        for (size_t i = end - nones; i < end; ++i) s.values[i] = last;
      }
    };
    for (size_t i = 0; i < s.values.size(); ++i) {
      if (std::isnan(s.values[i])) {
        ++nones;
        continue;
      }
      backfill(i);
      nones = 0;
      last = s.values[i];
    }
    backfill(s.values.size());
  }
  return list;
}

Result<SeriesList> TransformNull(EvalContext&, std::vector<Value>& args) {
  SeriesList list = std::move(args[0].series);
  const double dflt = args[1].float_value;
  const bool by_reference = !args[2].series.empty();
  std::vector<double> defaults;
  if (by_reference) {
    size_t length = 0;
    const auto cols = Columns(args[2].series, length);
    for (size_t i = 0; i < length; ++i) {
      bool any = false;
      for (const auto& c : cols) any = any || (i < c.size() && !std::isnan(c[i]));
      defaults.push_back(any ? dflt : NAN);
    }
  }
  for (Series& s : list) {
    s.tags["transformNull"] = PyNumber(args[1]);
    if (by_reference) s.tags["referenceSeries"] = "1";
    Rename(s, "transformNull", "," + PyG(dflt) + (by_reference ? ",referenceSeries" : ""));
    std::vector<double> v = ConsolidatedValues(s);
    if (defaults.empty()) {
      for (double& x : v) x = std::isnan(x) ? dflt : x;
    } else {
      v.resize(std::max(v.size(), defaults.size()), NAN);
      for (size_t i = 0; i < v.size(); ++i) {
        if (std::isnan(v[i])) v[i] = i < defaults.size() ? defaults[i] : NAN;
      }
    }
    SetValues(s, std::move(v));
  }
  return list;
}

Result<SeriesList> TimeShift(EvalContext& ctx, std::vector<Value>& args) {
  std::string shift = args[1].string_value;
  if (!shift.empty() && std::isdigit(static_cast<unsigned char>(shift[0]))) shift = "-" + shift;
  Result<int64_t> delta = ParseTimeOffset(shift);
  if (!delta.ok()) return delta.status();
  if (args[0].series.empty()) return SeriesList{};
  const Series& first = args[0].series[0];
  Result<int64_t> from = ShiftTime(ctx.from, *delta);
  if (!from.ok()) return from.status();
  Result<int64_t> until = ShiftTime(ctx.until, *delta);
  if (!until.ok()) return until.status();
  Result<SeriesList> shifted = EvaluateFirstArgOver(ctx, *from, *until);
  if (!shifted.ok()) return shifted.status();
  const bool reset_end = args[2].bool_value;
  for (Series& s : *shifted) {
    s.tags["timeShift"] = shift;
    s.name = fmt::format("timeShift({}, \"{}\")", s.name, shift);
    s.end = reset_end ? first.end : s.end - s.start + first.start;
    s.start = first.start;
  }
  return shifted;
}

}  // namespace

void RegisterTransformFunctions(FunctionRegistry& r) {
  const Param series{"seriesList", ParamType::kSeriesList, true};
  const Param max_v{"maxValue", ParamType::kFloat}, min_v{"minValue", ParamType::kFloat};
  r.Add({"scale",
         {series, {"factor", ParamType::kFloat, true}},
         &Scale,
         "Transform",
         "Multiplies every value by the factor."});
  r.Add({"scaleToSeconds",
         {series, {"seconds", ParamType::kFloat, true}},
         &ScaleToSeconds,
         "Transform",
         "Scales per-step values to per-`seconds` values (rounded to 6 decimals)."});
  r.Add({"offset",
         {series, {"factor", ParamType::kFloat, true}},
         &Offset,
         "Transform",
         "Adds the factor to every non-null value."});
  r.Add({"absolute", {series}, &Absolute, "Transform", "The absolute value of every point."});
  r.Add({"perSecond",
         {series, max_v, min_v},
         &PerSecond,
         "Transform",
         "Per-second rate of a growing counter (a wrap or reset gives null unless maxValue or "
         "minValue says how it wrapped)."});
  r.Add({"derivative",
         {series},
         &Derivative,
         "Transform",
         "The difference between each point and the previous one."});
  r.Add({"nonNegativeDerivative",
         {series, max_v, min_v},
         &NonNegativeDerivative,
         "Transform",
         "Like derivative, but a decrease (counter wrap or reset) gives null unless maxValue or "
         "minValue says how it wrapped."});
  r.Add({"integral",
         {series},
         &Integral,
         "Transform",
         "The running sum of the values (nulls stay null)."});
  r.Add({"keepLastValue",
         {series, {"limit", ParamType::kIntOrInf, false, {}, "1e9999"}},
         &KeepLastValue,
         "Transform",
         "Fills runs of at most `limit` nulls with the last value seen before them."});
  r.Add({"transformNull",
         {series,
          {"default", ParamType::kFloat, false, {}, "0"},
          {"referenceSeries", ParamType::kSeriesList}},
         &TransformNull,
         "Transform",
         "Replaces nulls by the default (only where some referenceSeries has a value, if "
         "given)."});
  r.Add({"timeShift",
         {series,
          {"timeShift", ParamType::kInterval, true},
          {"resetEnd", ParamType::kBoolean, false, {}, "true"},
          {"alignDst", ParamType::kBoolean, false, {}, "false"}},
         &TimeShift,
         "Transform",
         "Draws the series as it was `timeShift` ago (\"1d\" means one day back)."});
}

}  // namespace hourglass::query
