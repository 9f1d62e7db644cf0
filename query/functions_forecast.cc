// graphite-web 1.1's Holt-Winters functions: holtWintersForecast,
// holtWintersConfidenceBands, holtWintersConfidenceArea and
// holtWintersAberration. Each reads its input again from bootstrapInterval
// before the request's start (through EvaluateFirstArgOver, so those points
// count in the render budget), runs holtWintersAnalysis over it with
// graphite's constants (alpha = gamma = 0.1, beta = 0.0035) and keeps the
// part inside the request. Tags follow graphite-web, including its shared tag
// dictionary (a forecast also carries holtWintersDeviation).
#include <cmath>

#include <fmt/format.h>

#include "query/function_registry.h"
#include "query/functions_common.h"
#include "query/functions_support.h"
#include "query/time_parser.h"

namespace hourglass::query {
namespace {

using common::Result;
using common::Status;

struct Analysis {
  std::vector<double> predictions;  // NaN = None
  std::vector<double> deviations;
};

// holtWintersAnalysis() over the (consolidated) values of one series with a
// season of `season` points.
Analysis HoltWintersAnalysis(const std::vector<double>& values, size_t season) {
  constexpr double kAlpha = 0.1, kGamma = 0.1, kBeta = 0.0035;
  std::vector<double> intercepts, slopes, seasonals;
  Analysis out;
  auto last_of = [season](const std::vector<double>& v, size_t i) {
    return i >= season && i - season < v.size() ? v[i - season] : 0.0;
  };
  double next_pred = NAN;
  for (size_t i = 0; i < values.size(); ++i) {
    const double actual = values[i];
    if (std::isnan(actual)) {
      intercepts.push_back(NAN);
      slopes.push_back(0);
      seasonals.push_back(0);
      out.predictions.push_back(next_pred);
      out.deviations.push_back(0);
      next_pred = NAN;
      continue;
    }
    double last_intercept = actual, last_slope = 0, prediction = actual;
    if (i > 0) {
      last_intercept = std::isnan(intercepts.back()) ? actual : intercepts.back();
      last_slope = slopes.back();
      prediction = next_pred;
    }
    const double last_seasonal = last_of(seasonals, i);
    const double next_last_seasonal = last_of(seasonals, i + 1);
    const double last_seasonal_dev = last_of(out.deviations, i);
    const double intercept =
        kAlpha * (actual - last_seasonal) + (1 - kAlpha) * (last_intercept + last_slope);
    const double slope = kBeta * (intercept - last_intercept) + (1 - kBeta) * last_slope;
    const double seasonal = kGamma * (actual - intercept) + (1 - kGamma) * last_seasonal;
    next_pred = intercept + slope + next_last_seasonal;
    const double deviation =
        kGamma * std::fabs(actual - (std::isnan(prediction) ? 0 : prediction)) +
        (1 - kGamma) * last_seasonal_dev;
    intercepts.push_back(intercept);
    slopes.push_back(slope);
    seasonals.push_back(seasonal);
    out.predictions.push_back(prediction);
    out.deviations.push_back(deviation);
  }
  return out;
}

// One input series read again with the bootstrap, and its analysis.
struct Bootstrapped {
  Series series;  // as read over [from - bootstrap, until]
  Analysis analysis;
  size_t window = 0;  // bootstrap points to drop from the analysis
};

Result<std::vector<Bootstrapped>> Bootstrap(EvalContext& ctx, const Value& bootstrap_arg,
                                            const Value& seasonality_arg, int64_t& preview) {
  Result<int64_t> bootstrap = ParseTimeOffset(bootstrap_arg.string_value);
  if (!bootstrap.ok()) return bootstrap.status();
  Result<int64_t> seasonality = ParseTimeOffset(seasonality_arg.string_value);
  if (!seasonality.ok()) return seasonality.status();
  preview = *bootstrap;
  Result<int64_t> from = ShiftTime(ctx.from, -preview);
  if (!from.ok()) return from.status();
  Result<SeriesList> list = EvaluateFirstArgOver(ctx, *from, ctx.until);
  if (!list.ok()) return list.status();
  std::vector<Bootstrapped> out;
  for (Series& s : *list) {
    const int64_t season = *seasonality / s.step;
    if (season < 2) {
      // graphite-web fails with an IndexError here.
      return Status::Error(fmt::format("seasonality '{}' must span at least 2 points of {}s",
                                       seasonality_arg.string_value, s.step));
    }
    Bootstrapped b;
    b.analysis = HoltWintersAnalysis(ConsolidatedValues(s), static_cast<size_t>(season));
    b.window = static_cast<size_t>(std::max<int64_t>(0, preview / s.step));
    b.series = std::move(s);
    out.push_back(std::move(b));
  }
  return out;
}

std::vector<double> Tail(const std::vector<double>& v, size_t from) {
  return from >= v.size() ? std::vector<double>{} : std::vector<double>(v.begin() + from, v.end());
}

// A result series over the request's part of a bootstrapped read.
Series Shaped(const Bootstrapped& b, int64_t preview, std::string name,
              std::vector<double> values) {
  Series out = MakeSeries(std::move(name), b.series.start + preview, b.series.end, b.series.step,
                          std::move(values));
  out.tags = b.series.tags;
  out.x_files_factor = b.series.x_files_factor;
  return out;
}

Result<SeriesList> HoltWintersForecast(EvalContext& ctx, std::vector<Value>& args) {
  int64_t preview = 0;
  auto boot = Bootstrap(ctx, args[1], args[2], preview);
  if (!boot.ok()) return boot.status();
  SeriesList out;
  for (Bootstrapped& b : *boot) {
    b.series.tags["holtWintersForecast"] = "1";
    b.series.tags["holtWintersDeviation"] = "1";
    out.push_back(Shaped(b, preview, "holtWintersForecast(" + b.series.name + ")",
                         Tail(b.analysis.predictions, b.window)));
  }
  return out;
}

// [lower, upper] for each input series.
Result<SeriesList> Bands(EvalContext& ctx, const Value& delta, const Value& bootstrap,
                         const Value& seasonality) {
  int64_t preview = 0;
  auto boot = Bootstrap(ctx, bootstrap, seasonality, preview);
  if (!boot.ok()) return boot.status();
  const auto scale = static_cast<double>(delta.int_value);
  SeriesList out;
  for (Bootstrapped& b : *boot) {
    const std::vector<double> forecast = Tail(b.analysis.predictions, b.window);
    const std::vector<double> deviation = Tail(b.analysis.deviations, b.window);
    std::vector<double> upper, lower;
    for (size_t i = 0; i < forecast.size(); ++i) {
      const double d = i < deviation.size() ? deviation[i] : NAN;
      upper.push_back(forecast[i] + scale * d);  // NaN when either is None
      lower.push_back(forecast[i] - scale * d);
    }
    for (const char* tag : {"holtWintersForecast", "holtWintersDeviation",
                            "holtWintersConfidenceUpper", "holtWintersConfidenceLower"}) {
      b.series.tags[tag] = "1";
    }
    Series low = Shaped(b, preview, "holtWintersConfidenceLower(" + b.series.name + ")", lower);
    Series up = Shaped(b, preview, "holtWintersConfidenceUpper(" + b.series.name + ")", upper);
    low.path_expression = up.path_expression = b.series.path_expression;
    out.push_back(std::move(low));
    out.push_back(std::move(up));
  }
  return out;
}

Result<SeriesList> HoltWintersConfidenceBands(EvalContext& ctx, std::vector<Value>& args) {
  return Bands(ctx, args[1], args[2], args[3]);
}

Result<SeriesList> HoltWintersConfidenceArea(EvalContext& ctx, std::vector<Value>& args) {
  Result<SeriesList> bands = Bands(ctx, args[1], args[2], args[3]);
  if (!bands.ok()) return bands.status();
  if (bands->size() != 2) {
    return Status::Error("areaBetween series argument must reference *exactly* 2 series");
  }
  const std::string name = "holtWintersConfidenceArea(" + (*bands)[1].path_expression + ")";
  for (Series& s : *bands) {
    s.tags["holtWintersConfidenceArea"] = "1";
    s.name = name;
    s.path_expression = name;
  }
  return bands;
}

Result<SeriesList> HoltWintersAberration(EvalContext& ctx, std::vector<Value>& args) {
  Result<SeriesList> bands = Bands(ctx, args[1], args[2], args[3]);
  if (!bands.ok()) return bands.status();
  SeriesList out;
  for (Series& s : args[0].series) {
    const Series* lower = nullptr;
    const Series* upper = nullptr;
    for (const Series& band : *bands) {
      if (band.name == "holtWintersConfidenceLower(" + s.name + ")") lower = &band;
      if (band.name == "holtWintersConfidenceUpper(" + s.name + ")") upper = &band;
    }
    if (lower == nullptr || upper == nullptr) {
      return Status::Error("holtWintersAberration: no confidence bands for " + s.name);
    }
    const std::vector<double> values = ConsolidatedValues(s);
    std::vector<double> aberration;
    for (size_t i = 0; i < values.size(); ++i) {
      const double v = values[i];
      const double up = i < upper->values.size() ? upper->values[i] : NAN;
      const double low = i < lower->values.size() ? lower->values[i] : NAN;
      aberration.push_back(std::isnan(v)                 ? 0
                           : !std::isnan(up) && v > up   ? v - up
                           : !std::isnan(low) && v < low ? v - low
                                                         : 0);
    }
    s.tags["holtWintersAberration"] = "1";
    Series a = MakeSeries("holtWintersAberration(" + s.name + ")", s.start, s.end, s.step,
                          std::move(aberration));
    a.tags = s.tags;
    a.x_files_factor = s.x_files_factor;
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

void RegisterForecastFunctions(FunctionRegistry& r) {
  const Param series{"seriesList", ParamType::kSeriesList, true};
  const Param delta{"delta", ParamType::kInteger, false, {}, "3"};
  const Param bootstrap{"bootstrapInterval", ParamType::kInterval, false, {}, "\"7d\""};
  const Param seasonality{"seasonality", ParamType::kInterval, false, {}, "\"1d\""};
  r.Add({"holtWintersForecast",
         {series, bootstrap, seasonality},
         &HoltWintersForecast,
         "Calculate",
         "The Holt-Winters forecast of each series, trained from bootstrapInterval before the "
         "start."});
  r.Add({"holtWintersConfidenceBands",
         {series, delta, bootstrap, seasonality},
         &HoltWintersConfidenceBands,
         "Calculate",
         "The forecast plus and minus delta times the Holt-Winters deviation."});
  r.Add({"holtWintersConfidenceArea",
         {series, delta, bootstrap, seasonality},
         &HoltWintersConfidenceArea,
         "Calculate",
         "The confidence bands of one series, as an area between them."});
  r.Add({"holtWintersAberration",
         {series, delta, bootstrap, seasonality},
         &HoltWintersAberration,
         "Calculate",
         "How far each point lies outside its confidence bands (0 inside)."});
}

}  // namespace hourglass::query
