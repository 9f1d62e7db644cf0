// CompileRegex: the one place a regular expression written by a user (render
// target, tag query, archive grep, config pattern) becomes an RE2 program.
// RE2 matches in time linear in the text and never recurses; compiled here
// with a bounded pattern length and a bounded max_mem, no pattern can crash,
// stall or exhaust the process. What RE2 cannot express (backreferences,
// lookaround, possessive quantifiers, counts over 1000) is an error naming the
// construct. Pure functions; a compiled RE2 is immutable: any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <re2/re2.h>
#include <re2/set.h>

#include <vector>

#include "common/status.h"

namespace hourglass::common {

// Longest pattern accepted: a safety bound of the parser, not configurable.
inline constexpr size_t kMaxRegexBytes = 64 * 1024;
// RE2's max_mem for one pattern (compiled program plus DFA cache). A pattern
// whose program does not fit is refused; a DFA that fills its share falls
// back to RE2's NFA, still linear.
inline constexpr int64_t kRegexMaxMem = 8 << 20;
// Bound on one search (or all the searches of one re.sub): text bytes times
// program instructions, what RE2's NFA needs at worst when a pattern's DFA
// outgrows its memory (about a second). Usual patterns on usual names are
// far below it; a long name with a huge pattern is refused, not searched.
inline constexpr size_t kMaxRegexWork = size_t{1} << 28;

enum class RegexDialect {
  // Python `re` (graphite functions, seriesByTag, carbon's schema patterns),
  // translated by TranslatePythonRegex; UTF-8.
  kPython,
  // POSIX ERE as `grep -E` (archive cat --grep), with GNU's \w \s \b; bytes
  // (Latin-1), as glibc's regcomp in the C locale.
  kPosixExtended,
};

// The RE2 pattern that means what the Python `re` pattern means, or an error
// for what RE2 cannot do (backreferences, lookaround, atomic groups, (?x)).
Result<std::string> TranslatePythonRegex(std::string_view pattern);

// The compiled pattern, or an error message without the pattern itself
// (callers say which pattern, where).
Result<std::unique_ptr<const re2::RE2>> CompileRegex(std::string_view pattern,
                                                     RegexDialect dialect);

// Worst-case cost of searching `text_bytes` with `re`, in kMaxRegexWork units.
size_t RegexWork(const re2::RE2& re, size_t text_bytes);

// The first of several compiled patterns that matches a text (searched, not
// anchored), as carbon's schema and aggregation tables pick: one pass over
// the text for all of them (RE2::Set) instead of one search per pattern.
// Patterns compiled with different options, or a set that runs out of
// memory, are searched one by one. Immutable; any thread.
class FirstMatch {
 public:
  explicit FirstMatch(std::vector<std::shared_ptr<const re2::RE2>> patterns);
  // Index of the first pattern that matches `text`, or size() if none.
  size_t Find(std::string_view text) const;
  size_t size() const { return patterns_.size(); }

 private:
  size_t FindOneByOne(std::string_view text) const;
  std::vector<std::shared_ptr<const re2::RE2>> patterns_;
  std::unique_ptr<re2::RE2::Set> set_;  // null: one by one
};

}  // namespace hourglass::common
