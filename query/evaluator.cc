#include "query/evaluator.h"

#include <fmt/format.h>

#include <future>
#include <thread>

#include "query/render_budget.h"
#include "store/series_store.h"

namespace hourglass::query {

using common::Result;
using common::Status;

namespace {
// Globs matching at least this many series are read by two threads.
constexpr size_t kParallelReadMinSeries = 256;
}  // namespace

Result<SeriesList> Evaluator::EvaluateTarget(std::string_view target, EvalContext& ctx) const {
  Result<Expr> expr = ParseTarget(target);
  if (!expr.ok()) return expr.status();
  return Evaluate(*expr, ctx);
}

Result<SeriesList> Evaluator::Evaluate(const Expr& expr, EvalContext& ctx) const {
  switch (expr.kind) {
    case Expr::Kind::kPath:
      return FetchPath(expr.text, ctx);
    case Expr::Kind::kCall:
      return Call(expr, ctx);
    default:
      return Status::Error("Invalid target: expected a metric path or function call, got " +
                           ExprToString(expr));
  }
}

Result<SeriesList> Evaluator::FetchPath(const std::string& pattern, EvalContext& ctx) const {
  SeriesList out;
  if (ctx.store == nullptr) return out;
  const size_t budget = ctx.max_series - std::min(ctx.max_series, ctx.series_fetched);
  Result<std::vector<std::string>> names = ctx.store->FindSeries(pattern, budget + 1);
  if (!names.ok())
    return Status::Error("cannot find '" + pattern + "': " + names.status().message());
  if (names->size() > budget) {
    return Status::Error(
        fmt::format("too many series: the request matches more than {} series", ctx.max_series));
  }
  ctx.series_fetched += names->size();
  if (Status st = ChargeReads(ctx, *names); !st.ok()) return st;
  out.resize(names->size());
  auto read_range = [&](size_t begin, size_t end) -> Status {
    for (size_t i = begin; i < end; ++i) {
      const std::string& name = (*names)[i];
      Result<store::SeriesData> data = ctx.store->Read(name, ctx.from, ctx.until, ctx.now);
      if (!data.ok())
        return Status::Error("cannot read '" + name + "': " + data.status().message());
      out[i] = MakeSeries(name, data->start, data->end, data->step, std::move(data->values));
      out[i].path_expression = pattern;
      out[i].x_files_factor = ctx.x_files_factor;
    }
    return Status::Ok();
  };
  // A glob over hundreds of series is bound by store reads: a second thread
  // reads the second half (a thread per such request costs ~50 us of ~50 ms).
  const size_t n = names->size();
  if (n < kParallelReadMinSeries || std::thread::hardware_concurrency() < 2) {
    if (Status st = read_range(0, n); !st.ok()) return st;
    return out;
  }
  auto second = std::async(std::launch::async, read_range, n / 2, n);
  const Status first = read_range(0, n / 2);
  const Status other = second.get();
  if (!first.ok()) return first;
  if (!other.ok()) return other;
  return out;
}

Result<Value> Evaluator::EvaluateArg(const Expr& expr, EvalContext& ctx) const {
  Value v;
  switch (expr.kind) {
    case Expr::Kind::kPath:
    case Expr::Kind::kCall: {
      Result<SeriesList> list = Evaluate(expr, ctx);
      if (!list.ok()) return list.status();
      v.kind = Value::Kind::kSeriesList;
      v.series = std::move(*list);
      break;
    }
    case Expr::Kind::kString:
      v.kind = Value::Kind::kString;
      v.string_value = expr.text;
      break;
    case Expr::Kind::kInt:
      v.kind = Value::Kind::kInt;
      v.int_value = expr.int_value;
      v.float_value = static_cast<double>(expr.int_value);
      break;
    case Expr::Kind::kFloat:
      v.kind = Value::Kind::kFloat;
      v.float_value = expr.float_value;
      break;
    case Expr::Kind::kBool:
      v.kind = Value::Kind::kBool;
      v.bool_value = expr.bool_value;
      break;
    case Expr::Kind::kNone:
      break;
  }
  return v;
}

Result<SeriesList> Evaluator::Call(const Expr& expr, EvalContext& ctx) const {
  const FunctionDef* def = registry_.Find(expr.text);
  if (def == nullptr) {
    return Status::Error("Received request for unknown function: " + expr.text);
  }
  std::vector<Value> positional, kw_values;
  for (const Expr& arg : expr.args) {
    Result<Value> v = EvaluateArg(arg, ctx);
    if (!v.ok()) return v.status();
    positional.push_back(std::move(*v));
  }
  for (const Expr& arg : expr.kwarg_values) {
    Result<Value> v = EvaluateArg(arg, ctx);
    if (!v.ok()) return v.status();
    kw_values.push_back(std::move(*v));
  }
  Result<std::vector<Value>> bound =
      FunctionRegistry::Bind(*def, std::move(positional), expr.kwarg_names, std::move(kw_values));
  if (!bound.ok()) return bound.status();
  // Functions that fetch their input again (movingAverage, timeShift) see
  // their own call; the fields are restored for the enclosing call.
  const Expr* outer_call = ctx.call;
  ctx.evaluator = this;
  ctx.call = &expr;
  Result<SeriesList> result = def->impl(ctx, *bound);
  ctx.call = outer_call;
  return result;
}

}  // namespace hourglass::query
