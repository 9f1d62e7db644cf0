// Shared pieces of the second batch of graphite render functions
// (functions_transform2/moving/forecast/graph.cc): the constant line, the
// moving-window engine, whether an argument was given, and graphite's
// format_units. Pure functions over one request's values; any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "query/function_registry.h"
#include "query/functions_common.h"
#include "query/series.h"

namespace hourglass::query {

// constantLine(value) as graphite-web builds it (functions_special.cc).
Series ConstantLineSeries(const EvalContext& ctx, const Value& v);

// movingWindow(): `func` over windows of `window` points or an interval,
// refetching the first argument with the window's preview
// (functions_calculate.cc).
common::Result<SeriesList> MovingWindowImpl(EvalContext& ctx, const Value& window,
                                            const std::string& func_name, const Value& xff_arg,
                                            const SeriesList& input);

// _summarizeValues(): one `func` value per interval from start to end (the
// bucket after the last one's start in aligned_end) (functions_calculate.cc).
std::vector<double> SummarizeValues(const Series& s, AggFunc func, int64_t interval, int64_t start,
                                    int64_t end, int64_t& aligned_end);

// Renames s (its path expression too, as TimeSeries.copy() does) and sets
// its values (values_per_point back to 1).
void Reset(Series& s, std::string name, std::vector<double> values);

// Whether the running call was given argument `index` (positionally or by
// keyword `name`), not None: graphite-web's own Python defaults are None for
// some parameters whose /functions default is a value.
bool ArgGiven(const EvalContext& ctx, size_t index, std::string_view name);

// glyph.format_units(v, system=...): the value scaled to the largest unit of
// "si" or "binary" it reaches, and that unit's prefix (units appended).
std::pair<double, std::string> FormatUnits(double v, std::string_view system,
                                           std::string_view units);

// Python's "%.2f" % v ("nan", "inf" for those).
std::string PyFixed2(double v);

// Registers every function of the files above.
void RegisterBatchBFunctions(FunctionRegistry& registry);
void RegisterTransform2Functions(FunctionRegistry& registry);
void RegisterMovingFunctions(FunctionRegistry& registry);
void RegisterForecastFunctions(FunctionRegistry& registry);
void RegisterGraphFunctions(FunctionRegistry& registry);

}  // namespace hourglass::query
