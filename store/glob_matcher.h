// GlobMatcher: Graphite's path globs with graphite-web's semantics. A pattern
// is split on every '.', and each node is matched on its own, so a glob never
// crosses a dot. Per node: `*`, `?`, `[a-z]`, `[!a]` as Python's fnmatch,
// `{a,b}` alternatives (nestable, may hold globs; a group without a comma is
// literal text). Expansion and matching run in time linear in the pattern
// (times the name for matching), with no recursion. Pure functions and
// immutable objects: any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hourglass::store {

// Parser safety bounds (not config keys). A node pattern expanding to more
// brace alternatives than this is refused, never silently cut short.
inline constexpr size_t kMaxBraceAlternatives = 4096;
// Longest glob pattern (a whole dotted path) the name index accepts.
inline constexpr size_t kMaxGlobLength = 16 * 1024;
// Bytes one node's alternatives may add up to (4,096 names of 256 bytes:
// whisper's node names are file names of at most 255 bytes).
inline constexpr size_t kMaxBraceExpansionBytes = 1024 * 1024;
// Bytes a node's wildcard alternatives may add up to: each is matched with
// FnMatch against every name (literal ones are looked up), so this bounds
// the cost of matching one name (4,096 alternatives of 32 bytes).
inline constexpr size_t kMaxWildcardBytes = 128 * 1024;

class GlobMatcher {
 public:
  // Fails with a one-line message (for a 400) when the node expands to more
  // than kMaxBraceAlternatives alternatives or kMaxBraceExpansionBytes, or
  // its wildcard alternatives to more than kMaxWildcardBytes.
  static common::Result<GlobMatcher> Create(std::string_view node_pattern);
  // Never fails: unbalanced `[` or `{` are matched literally, as graphite
  // does; a node Create() would refuse has no alternatives and matches nothing.
  explicit GlobMatcher(std::string_view node_pattern);

  // A binary search among the literal alternatives, then FnMatch with each
  // wildcard one.
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
  GlobMatcher() = default;
  // Expands the node and sets every member; on failure the matcher has no
  // alternatives.
  common::Status Build(std::string_view node_pattern);
  // Sets is_literal_, literal_prefix_, literals_ and wildcards_ from
  // alternatives_; fails past kMaxWildcardBytes.
  common::Status Describe(std::string_view node_pattern);

  std::vector<std::string> alternatives_;
  // Indexes into alternatives_ (so copies stay valid); literals_ in sorted order.
  std::vector<size_t> literals_;
  std::vector<size_t> wildcards_;
  std::string literal_prefix_;
  bool is_literal_ = true;
};

// graphite-web's is_pattern: the text holds `*`, `?`, `[` or `{`.
bool HasGlob(std::string_view pattern);

// Splits a dotted path on every '.' ("a..b" has an empty middle node).
std::vector<std::string_view> SplitNodes(std::string_view path);

// Expands `{...}` groups (see header comment) into `out`, sorted and unique.
// Fails, naming the limit, when there would be more than `limit` of them or
// more than kMaxBraceExpansionBytes; `out` is then empty. Groups multiply
// by their distinct alternatives, so groups whose concatenations coincide
// ("{,a}{,a}" has 3, not 4) may be refused a little before `limit`.
common::Status ExpandBraces(std::string_view pattern, size_t limit, std::vector<std::string>* out);

// As above; empty when the pattern cannot be expanded within `limit`.
std::vector<std::string> ExpandBraces(std::string_view pattern,
                                      size_t limit = kMaxBraceAlternatives);

// fnmatch of one node pattern without braces against one node.
bool FnMatch(std::string_view pattern, std::string_view text);

// Full-path match: same node count and every node matches its pattern node
// (a node that cannot be expanded matches nothing).
bool GlobMatch(std::string_view pattern, std::string_view path);

}  // namespace hourglass::store
