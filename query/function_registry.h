// FunctionRegistry: graphite render functions by name, each declared with
// its parameters (name, type, required, default, options, multiple) and its
// /functions metadata (group, description), so argument binding, type checks,
// the 400 messages and the /functions listing live here once. A new function
// is one small C++ function plus one Add() line (see functions_*.cc). Built
// once at server start, then read-only: any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "query/series.h"

namespace hourglass::store {
class SeriesStore;
}

namespace hourglass::query {

class Evaluator;
struct Expr;
class TagIndex;

// An evaluated argument.
struct Value {
  enum class Kind { kNone, kBool, kInt, kFloat, kString, kSeriesList, kList };
  Kind kind = Kind::kNone;
  bool bool_value = false;
  int64_t int_value = 0;
  double float_value = 0;  // also set for kInt
  std::string string_value;
  SeriesList series;
  std::vector<Value> items;  // kList: the values of a `multiple` parameter
};

// What one render request evaluates against. Owned by the request.
struct EvalContext {
  const store::SeriesStore* store = nullptr;  // null: paths match nothing
  int64_t from = 0;                           // graphite's startTime (s)
  int64_t until = 0;                          // endTime
  int64_t now = 0;
  double x_files_factor = 0;
  size_t max_series = 10000;  // series fetched per request, across targets
  size_t series_fetched = 0;
  // Points read from the store or made by functions (summarize/hitcount
  // buckets) so far, across targets and refetches, and their bound (see
  // query/render_budget.h); over_budget is set once a charge was refused.
  size_t max_points_read = SIZE_MAX;
  size_t points_read = 0;
  bool over_budget = false;
  const TagIndex* tags = nullptr;  // null: seriesByTag matches nothing
  // Set by the Evaluator just before a function runs: the function's own call
  // (its unevaluated arguments) and the evaluator, for functions that fetch
  // their input again over another range (movingAverage, timeShift, hitcount).
  const Evaluator* evaluator = nullptr;
  const Expr* call = nullptr;
  // stacked(): the running totals of each stack name, across the request's
  // targets (graphite-web keeps them in its requestContext).
  std::map<std::string, std::vector<double>, std::less<>> total_stack;
};

// graphite-web's ParamTypes (graphite/functions/params.py).
enum class ParamType {
  kSeriesList,
  kSeriesLists,        // a seriesList with multiple=true: every remaining list, merged
  kNestedSeriesLists,  // "seriesLists": mapSeries' groups (kept flat, in group order)
  kString,
  kInteger,
  kFloat,  // int or float
  kBoolean,
  kNode,           // integer
  kNodeOrTag,      // integer or string
  kTag,            // string
  kInterval,       // "5min": a time offset
  kIntOrInterval,  // integer (points) or interval string
  kIntOrInf,       // integer or inf
  kAggFunc,        // one of the aggregation functions
  kAggOrSeriesFunc,
  kAny,
  kDate,  // a time as `from`/`until` take it (graphite-web does not check it)
};

// The name graphite-web's /functions uses for a type ("seriesList", ...).
std::string_view ParamTypeName(ParamType type);

struct Param {
  std::string name;
  ParamType type;
  bool required = false;
  // Allowed string values, if any; "False", "None" and "True" stand for those
  // Python values (listed as JSON false/null/true, matching a boolean).
  std::vector<std::string> options = {};
  std::string default_json = {};  // JSON literal of the default, if any
  bool multiple = false;          // last param only: takes the rest
};

// args[i] is bound to params[i]; an omitted optional parameter is kNone
// (or its default when default_json is set); a `multiple` one is kList.
using FunctionImpl = common::Result<SeriesList> (*)(EvalContext& ctx, std::vector<Value>& args);

struct FunctionDef {
  std::string name;
  std::vector<Param> params;
  FunctionImpl impl;
  std::string group = "Transform";  // /functions group
  std::string description = {};
  bool aggregator = false;  // usable as a groupByNode callback
};

class FunctionRegistry {
 public:
  void Add(FunctionDef def);
  const FunctionDef* Find(std::string_view name) const;
  const std::map<std::string, FunctionDef, std::less<>>& functions() const { return functions_; }

  // Matches positional and keyword arguments to def.params, checks types,
  // fills defaults. Messages follow graphite-web's validateParams.
  static common::Result<std::vector<Value>> Bind(const FunctionDef& def,
                                                 std::vector<Value> positional,
                                                 const std::vector<std::string>& kw_names,
                                                 std::vector<Value> kw_values);

  // graphite-web's /functions JSON: {"name": {name, function, description,
  // module, group, params}, ...}; `grouped` nests them by group; a non-empty
  // `group` keeps only that group.
  std::string FunctionsJson(bool grouped, std::string_view group) const;
  // One function's entry, or an empty string if there is no such function.
  std::string FunctionJson(std::string_view name) const;

 private:
  std::map<std::string, FunctionDef, std::less<>> functions_;
};

// The aggregation function names graphite accepts (aggFuncs plus aliases).
const std::vector<std::string>& AggFuncNames();

// Every function, one Add() per name (functions_*.cc).
void RegisterBuiltinFunctions(FunctionRegistry& registry);
void RegisterAliasFunctions(FunctionRegistry& registry);
void RegisterCombineFunctions(FunctionRegistry& registry);
void RegisterPercentFunction(FunctionRegistry& registry);
void RegisterSpecialFunctions(FunctionRegistry& registry);
void RegisterTransformFunctions(FunctionRegistry& registry);
void RegisterCalculateFunctions(FunctionRegistry& registry);
void RegisterFilterFunctions(FunctionRegistry& registry);
void RegisterFilter2Functions(FunctionRegistry& registry);
void RegisterCombine2Functions(FunctionRegistry& registry);
void RegisterListsFunctions(FunctionRegistry& registry);
void RegisterEventFunctions(FunctionRegistry& registry);

}  // namespace hourglass::query
