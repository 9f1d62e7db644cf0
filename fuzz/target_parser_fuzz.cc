// Fuzz target: one render target through ParseTarget and ExprToString.
// Checks the nesting bound holds for every syntax (calls and the pipe form):
// an accepted expression is never deeper than kMaxNestingDepth (plus the
// outermost call and its leaf argument).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "query/target_parser.h"

namespace {

using hourglass::query::Expr;

int Depth(const Expr& expr) {
  int deepest = 0;
  for (const Expr& arg : expr.args) deepest = std::max(deepest, Depth(arg));
  for (const Expr& arg : expr.kwarg_values) deepest = std::max(deepest, Depth(arg));
  return deepest + 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view target(reinterpret_cast<const char*>(data), size);
  auto expr = hourglass::query::ParseTarget(target);
  if (!expr.ok()) return 0;
  FUZZ_CHECK(Depth(*expr) <= hourglass::query::kMaxNestingDepth + 2);
  (void)hourglass::query::ExprToString(*expr);
  return 0;
}
