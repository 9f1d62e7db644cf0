// The "Special" group: constantLine (what Grafana health-checks with),
// consolidateBy, cumulative and seriesByTag (series found through the tag
// index, see tag_query.h), as graphite-web 1.1 defines them.
#include <fmt/format.h>

#include "query/function_registry.h"
#include "query/functions_common.h"
#include "query/functions_support.h"
#include "query/render_budget.h"
#include "query/render_format.h"
#include "query/tag_query.h"
#include "query/target_parser.h"
#include "store/series_store.h"

namespace hourglass::query {
namespace {

using common::Result;
using common::Status;

const std::vector<std::string> kConsolidationNames = {"average", "avg", "avg_zero", "first",
                                                      "last",    "max", "min",      "sum"};

Result<SeriesList> ConstantLine(EvalContext& ctx, std::vector<Value>& args) {
  return SeriesList{ConstantLineSeries(ctx, args[0])};
}

SeriesList ConsolidateList(SeriesList list, const std::string& func) {
  for (Series& s : list) {
    ParseConsolidationFunc(func, s.consolidation);
    s.consolidation_name = func;
    s.tags["consolidateBy"] = func;
    s.name = "consolidateBy(" + s.name + ",\"" + func + "\")";
    s.path_expression = s.name;
  }
  return list;
}

Result<SeriesList> ConsolidateBy(EvalContext&, std::vector<Value>& args) {
  return ConsolidateList(std::move(args[0].series), args[1].string_value);
}

Result<SeriesList> Cumulative(EvalContext&, std::vector<Value>& args) {
  return ConsolidateList(std::move(args[0].series), "sum");
}

Result<SeriesList> SeriesByTag(EvalContext& ctx, std::vector<Value>& args) {
  std::vector<std::string> exprs;
  for (const Value& v : args[0].items) exprs.push_back(v.string_value);
  if (ctx.tags == nullptr) return SeriesList{};
  const size_t budget = ctx.max_series - std::min(ctx.max_series, ctx.series_fetched);
  Result<std::vector<std::string>> names = FindSeriesByTag(*ctx.tags, exprs, budget + 1);
  if (!names.ok()) return names.status();
  if (names->size() > budget) {
    return Status::Error(
        fmt::format("too many series: the request matches more than {} series", ctx.max_series));
  }
  ctx.series_fetched += names->size();
  if (Status st = ChargeReads(ctx, *names); !st.ok()) return st;
  const std::string path_expression = ctx.call ? ExprToString(*ctx.call) : "seriesByTag()";
  SeriesList out;
  for (const std::string& name : *names) {
    if (ctx.store == nullptr) break;
    Result<store::SeriesData> data = ctx.store->Read(name, ctx.from, ctx.until, ctx.now);
    if (!data.ok()) return Status::Error("cannot read '" + name + "': " + data.status().message());
    Series s = MakeSeries(name, data->start, data->end, data->step, std::move(data->values));
    s.path_expression = path_expression;
    s.x_files_factor = ctx.x_files_factor;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

// Three points spanning the request: start, start + step, start + 2*step.
Series ConstantLineSeries(const EvalContext& ctx, const Value& v) {
  const std::string name = PyNumber(v);
  const int64_t step = std::max<int64_t>(1, (ctx.until - ctx.from) / 2);
  Series s =
      MakeSeries(name, ctx.from, ctx.until, step, {v.float_value, v.float_value, v.float_value});
  s.path_expression = "constantLine(" + name + ")";
  s.x_files_factor = ctx.x_files_factor;
  return s;
}

void RegisterSpecialFunctions(FunctionRegistry& r) {
  const Param series{"seriesList", ParamType::kSeriesList, true};
  r.Add({"constantLine",
         {{"value", ParamType::kFloat, true}},
         &ConstantLine,
         "Special",
         "A horizontal line at the value across the whole range."});
  r.Add({"consolidateBy",
         {series, {"consolidationFunc", ParamType::kString, true, kConsolidationNames}},
         &ConsolidateBy,
         "Special",
         "How points are consolidated when there are more than the graph can show."});
  r.Add({"cumulative",
         {series},
         &Cumulative,
         "Special",
         "Same as consolidateBy(seriesList, \"sum\")."});
  r.Add({"seriesByTag",
         {{"tagExpressions", ParamType::kString, true, {}, {}, true}},
         &SeriesByTag,
         "Special",
         "The series whose tags match every expression: tag=value, tag!=value, tag=~regex, "
         "tag!=~regex."});
}

void RegisterBuiltinFunctions(FunctionRegistry& r) {
  RegisterAliasFunctions(r);
  RegisterCombineFunctions(r);
  RegisterPercentFunction(r);
  RegisterTransformFunctions(r);
  RegisterCalculateFunctions(r);
  RegisterFilterFunctions(r);
  RegisterSpecialFunctions(r);
  RegisterFilter2Functions(r);  // after asPercent and sortBy (pct, sortByTotal)
  RegisterCombine2Functions(r);
  RegisterListsFunctions(r);
  RegisterEventFunctions(r);
  RegisterBatchBFunctions(r);
}

}  // namespace hourglass::query
