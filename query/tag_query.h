// seriesByTag's tag expressions ("name=cpu", "host!=a", "dc=~eu.*",
// "env!=~dev") parsed and matched as graphite-web 1.1's tag database does
// (graphite/tags/base.py, localdatabase.py): a regex is anchored at the start
// of the value, a missing tag counts as the empty value, and at least one
// expression must not match the empty value. TagIndex is the store's side:
// listing tagged series. Parsing and matching are pure; any thread.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "query/py_regex.h"

namespace hourglass::query {

// The store's tag index, as seriesByTag and the /tags endpoints need it.
class TagIndex {
 public:
  virtual ~TagIndex() = default;
  // Tagged series names in canonical form ("cpu;dc=eu;host=a", tags sorted)
  // that carry `tag` (with exactly `value` when given; "name" is the metric
  // name), in name order, at most `limit`.
  virtual common::Result<std::vector<std::string>> FindTagged(std::string_view tag,
                                                              std::optional<std::string_view> value,
                                                              size_t limit) const = 0;
};

struct TagExpression {
  enum class Op { kEq, kNotEq, kMatch, kNotMatch };
  std::string tag;
  Op op = Op::kEq;
  std::string value;             // as written
  std::optional<PyRegex> regex;  // kMatch/kNotMatch: value anchored with ^(...)
  bool matches_empty = false;    // the expression holds for a missing tag
};

// One "tag<op>value" (graphite's parse_tagspec).
common::Result<TagExpression> ParseTagExpression(std::string_view text);

// Whether a series with `tags` (as ParseTags returns them) satisfies `expr`.
bool MatchesTag(const TagExpression& expr, const std::map<std::string, std::string>& tags);

// Every series the index holds that satisfies all expressions, in name order;
// at most `limit` candidates are examined.
common::Result<std::vector<std::string>> FindSeriesByTag(const TagIndex& index,
                                                         const std::vector<std::string>& exprs,
                                                         size_t limit);

}  // namespace hourglass::query
