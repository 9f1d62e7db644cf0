// PyRegex: Python `re` patterns and re.sub() replacement templates (`\1`,
// `\g<1>`, `\g<name>`) for graphite functions that users write with Python
// semantics (aliasSub, grep, exclude, seriesByTag =~, tag filters), on RE2:
// linear time, bounded memory, no recursion. What RE2 cannot express
// (backreferences, lookaround) fails Compile with a message naming it
// (common/regex.h). Immutable after Compile: any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/regex.h"
#include "common/status.h"

namespace hourglass::query {

class PyRegex {
 public:
  // Longest result re.sub may build (a series name, not a document).
  static constexpr size_t kMaxSubResultBytes = 64 * 1024;

  // Accepts Python syntax, translated by common::TranslatePythonRegex.
  static common::Result<PyRegex> Compile(std::string_view pattern);

  // re.search(pattern, text) is not None; an error when searching `text`
  // could exceed common::kMaxRegexWork (a long text and a huge pattern).
  common::Result<bool> TrySearch(std::string_view text) const;
  // TrySearch, with a refused search counting as no match.
  bool Search(std::string_view text) const;

  // re.sub(pattern, replacement, text): every non-overlapping match replaced,
  // empty matches next to a previous match included (Python 3.7+). An error
  // for a bad template, or when the searches could exceed
  // common::kMaxRegexWork or the result kMaxSubResultBytes.
  common::Result<std::string> Sub(std::string_view replacement, std::string_view text) const;

 private:
  struct Piece {
    std::string literal;
    int group = -1;  // >= 0: a group reference instead of literal text
  };
  common::Result<std::vector<Piece>> ParseReplacement(std::string_view repl) const;
  common::Result<int> GroupNamed(std::string_view name) const;

  std::unique_ptr<const re2::RE2> regex_;
};

}  // namespace hourglass::query
