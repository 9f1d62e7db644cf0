// Evaluator: turns a parsed target into series. Paths are fetched from the
// store (FindSeries + Read, each series named by its full path); calls go
// through the FunctionRegistry. One Evaluator per server, const and
// stateless apart from the registry: any thread; each request brings its own
// EvalContext.
#pragma once

#include <string_view>

#include "common/status.h"
#include "query/function_registry.h"
#include "query/series.h"
#include "query/target_parser.h"

namespace hourglass::query {

class Evaluator {
 public:
  explicit Evaluator(const FunctionRegistry& registry) : registry_(registry) {}

  // Parses and evaluates one target. Errors are 400-worthy messages.
  common::Result<SeriesList> EvaluateTarget(std::string_view target, EvalContext& ctx) const;
  common::Result<SeriesList> Evaluate(const Expr& expr, EvalContext& ctx) const;
  const FunctionRegistry& registry() const { return registry_; }

 private:
  common::Result<Value> EvaluateArg(const Expr& expr, EvalContext& ctx) const;
  common::Result<SeriesList> FetchPath(const std::string& pattern, EvalContext& ctx) const;
  common::Result<SeriesList> Call(const Expr& expr, EvalContext& ctx) const;

  const FunctionRegistry& registry_;
};

}  // namespace hourglass::query
