// GlobMatcher: Graphite's path globs with graphite-web's semantics. A pattern
// is split on every '.', and each node is matched on its own, so a glob never
// crosses a dot. Per node: `*`, `?`, `[a-z]`, `[!a]` as Python's fnmatch,
// `{a,b}` alternatives (nestable, may hold globs; a group without a comma is
// literal text). Pure functions and immutable objects: any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hourglass::store {

// Upper bound on brace alternatives one node expands to; beyond it the rest
// are dropped (a bound on work, not a real-world limit).
inline constexpr size_t kMaxBraceAlternatives = 4096;

class GlobMatcher {
 public:
  // Never fails: unbalanced `[` or `{` are matched literally, as graphite does.
  explicit GlobMatcher(std::string_view node_pattern);

  bool Matches(std::string_view node) const;
  // True when no alternative holds a wildcard: the node names it can match
  // are exactly literals() (so an index can look them up instead of scanning).
  bool is_literal() const { return is_literal_; }
  // The brace-expanded alternatives, sorted and unique.
  const std::vector<std::string>& alternatives() const { return alternatives_; }
  // Text every matching node starts with ("s00" for "s00*", "" for "*"), so
  // an index can seek past the rest.
  const std::string& literal_prefix() const { return literal_prefix_; }

 private:
  std::vector<std::string> alternatives_;
  std::string literal_prefix_;
  bool is_literal_ = true;
};

// graphite-web's is_pattern: the text holds `*`, `?`, `[` or `{`.
bool HasGlob(std::string_view pattern);

// Splits a dotted path on every '.' ("a..b" has an empty middle node).
std::vector<std::string_view> SplitNodes(std::string_view path);

// Expands `{...}` groups (see header comment); sorted, unique, at most `limit`.
std::vector<std::string> ExpandBraces(std::string_view pattern,
                                      size_t limit = kMaxBraceAlternatives);

// fnmatch of one node pattern without braces against one node.
bool FnMatch(std::string_view pattern, std::string_view text);

// Full-path match: same node count and every node matches its pattern node.
bool GlobMatch(std::string_view pattern, std::string_view path);

}  // namespace hourglass::store
