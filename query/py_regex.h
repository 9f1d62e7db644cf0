// PyRegex: Python `re` patterns and re.sub() replacement templates (`\1`,
// `\g<1>`, `\g<name>`) on top of std::regex (ECMAScript), for graphite
// functions such as aliasSub that users write with Python semantics.
// std::regex throws; this wrapper is the one place that catches, and turns a
// bad pattern into a Status. Immutable after Compile: any thread.
#pragma once

#include <map>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hourglass::query {

class PyRegex {
 public:
  // Accepts Python syntax; (?P<name>...) and (?P=name) are translated.
  static common::Result<PyRegex> Compile(std::string_view pattern);

  // re.search(pattern, text) is not None.
  bool Search(std::string_view text) const;

  // re.sub(pattern, replacement, text): every non-overlapping match replaced.
  common::Result<std::string> Sub(std::string_view replacement, std::string_view text) const;

 private:
  struct Piece {
    std::string literal;
    int group = -1;  // >= 0: a group reference instead of literal text
  };
  common::Result<std::vector<Piece>> ParseReplacement(std::string_view repl) const;

  std::regex regex_;
  size_t groups_ = 0;
  std::map<std::string, int, std::less<>> names_;
};

}  // namespace hourglass::query
