#include "query/functions_support.h"

#include <cmath>

#include <fmt/format.h>

#include "query/functions_common.h"
#include "query/target_parser.h"

namespace hourglass::query {

void Reset(Series& s, std::string name, std::vector<double> values) {
  s.name = std::move(name);
  s.path_expression = s.name;
  SetValues(s, std::move(values));
}

bool ArgGiven(const EvalContext& ctx, size_t index, std::string_view name) {
  if (ctx.call == nullptr) return false;
  if (ctx.call->args.size() > index) return ctx.call->args[index].kind != Expr::Kind::kNone;
  for (size_t i = 0; i < ctx.call->kwarg_names.size(); ++i) {
    if (ctx.call->kwarg_names[i] == name) {
      return ctx.call->kwarg_values[i].kind != Expr::Kind::kNone;
    }
  }
  return false;
}

std::pair<double, std::string> FormatUnits(double v, std::string_view system,
                                           std::string_view units) {
  static const std::pair<const char*, double> kSi[] = {
      {"P", 1e15}, {"T", 1e12}, {"G", 1e9}, {"M", 1e6}, {"k", 1e3}};
  static const std::pair<const char*, double> kBinary[] = {{"Pi", 1125899906842624.0},
                                                           {"Ti", 1099511627776.0},
                                                           {"Gi", 1073741824.0},
                                                           {"Mi", 1048576.0},
                                                           {"Ki", 1024.0}};
  const auto& table = system == "binary" ? kBinary : kSi;
  for (const auto& [prefix, size] : table) {
    if (std::fabs(v) >= size) {
      double v2 = v / size;
      if (v2 - std::floor(v2) < 0.00000000001 && v > 1) v2 = std::floor(v2);
      return {v2, std::string(prefix) + std::string(units)};
    }
  }
  if (v - std::floor(v) < 0.00000000001 && v > 1) v = std::floor(v);
  return {v, std::string(units)};
}

std::string PyFixed2(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{:.2f}", v);
}

void RegisterBatchBFunctions(FunctionRegistry& registry) {
  RegisterTransform2Functions(registry);
  RegisterMovingFunctions(registry);
  RegisterForecastFunctions(registry);
  RegisterGraphFunctions(registry);
}

}  // namespace hourglass::query
