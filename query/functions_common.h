// Helpers the graphite render functions share (graphite-web 1.1's
// render/functions.py utilities and graphite/functions/safe.py): the
// aggregation functions over a row with NaN for None, normalize(),
// aggregate(), node/tag keys, and Python's number formatting for names.
// Pure functions over values; any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "query/function_registry.h"
#include "query/series.h"

namespace hourglass::query {

enum class AggFunc {
  kAverage,
  kAvgZero,
  kMedian,
  kSum,
  kMin,
  kMax,
  kDiff,
  kStddev,
  kCount,
  kRange,
  kMultiply,
  kLast
};

// Accepts the names and aliases of AggFuncNames(); "sumSeries" style names
// too when allow_series_suffix.
bool ParseAggFunc(std::string_view name, AggFunc& out, bool allow_series_suffix = false);

// safe.py's functions over a row; NaN in and out stands for None.
double ApplyAgg(AggFunc func, std::span<const double> row);

// normalize(): every series set to the lcm of the steps (values_per_point),
// start = min start, end = max end trimmed to a whole step.
void Normalize(SeriesList& list, int64_t& start, int64_t& end, int64_t& step);

// formatPathExpressions(): the distinct path expressions, comma-joined.
std::string FormatPathExpressions(const SeriesList& list);

// aggregate(): one series combining `list` point by point with `func`
// (named "<func>Series(<paths>)", tags common to all plus aggregatedBy).
// Empty input gives an empty list. `func_name` may end in "Series".
common::Result<SeriesList> AggregateSeries(const EvalContext& ctx, SeriesList list,
                                           std::string_view func_name, double x_files_factor);

// getNodeOrTag()/aggKey(): node n of the name (or of its first path
// expression when the name is a call), or the tag n; "." joined for a key.
std::string NodeOrTag(const Series& series, const Value& n, const std::string* path_expression);
std::string AggKey(const Series& series, const std::vector<Value>& nodes);

// _getFirstPathExpression(): the first path inside a call-shaped name.
std::string FirstPathExpression(const std::string& name);

// Python "%g" % v, str(v) for int-or-float arguments, and str() of a value
// as a tag (graphite stores numbers in tags; we keep their text).
std::string PyG(double v);
std::string PyNumber(const Value& v);

// Resets the series to the given values as TimeSeries.copy() would
// (values_per_point back to 1).
void SetValues(Series& s, std::vector<double> values);

// Evaluates the running call's first argument again over [from, until]
// (graphite's evaluateTarget(newContext, requestContext['args'][0])). The
// points it reads are charged to ctx's budget.
common::Result<SeriesList> EvaluateFirstArgOver(EvalContext& ctx, int64_t from, int64_t until);

// Python's round(v, 6) (correctly rounded through the decimal text).
double PyRound6(double v);

// Row i of several (consolidated) columns, NaN past the end (izip_longest).
std::vector<std::vector<double>> Columns(const SeriesList& list, size_t& length);

// _getPercentile(): the n-th percentile of the non-null points (the nearest
// rank, or interpolated between ranks); NaN when there are none.
double GetPercentile(std::vector<double> points, double n, bool interpolate);

// SeriesFunction(name)(requestContext, *args): calls a registered function
// directly with positional args, as graphite-web's reduceSeries and the
// functions defined through others do. Bound and type-checked when `bind`.
common::Result<SeriesList> CallFunction(EvalContext& ctx, std::string_view name,
                                        std::vector<Value> args, bool bind);

// A kSeriesList argument value.
Value SeriesValue(SeriesList list);

}  // namespace hourglass::query
