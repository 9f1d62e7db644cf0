// Graphite target expressions (graphite-web render/grammar.py) parsed into an
// AST: path expressions with globs/braces/tags, calls with positional and
// keyword arguments, strings, numbers, booleans, None and the pipe syntax
// `a.b|aliasByNode(1)` (the left side becomes the first argument). Pure; any
// thread. A parse failure is a message meant for a 400 response.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hourglass::query {

struct Expr {
  enum class Kind { kPath, kCall, kString, kInt, kFloat, kBool, kNone };
  Kind kind = Kind::kNone;
  std::string text;  // path, function name, or string contents (raw, as graphite keeps them)
  int64_t int_value = 0;
  double float_value = 0;
  bool bool_value = false;
  std::vector<Expr> args;  // positional arguments of a call
  std::vector<std::string> kwarg_names;
  std::vector<Expr> kwarg_values;  // parallel to kwarg_names
};

inline constexpr size_t kMaxTargetLength = 16 * 1024;
// Calls and paths may sit under at most this many calls; a pipe `x|f()`
// puts x under f, so pipes count too. Refused beyond (a 400).
inline constexpr int kMaxNestingDepth = 64;

common::Result<Expr> ParseTarget(std::string_view target);

// Back to text, as graphite-web prints numbers and strings (for names).
std::string ExprToString(const Expr& expr);

}  // namespace hourglass::query
