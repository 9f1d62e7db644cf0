#include "query/tag_query.h"

#include "query/series.h"

namespace hourglass::query {

using common::Result;
using common::Status;

Result<TagExpression> ParseTagExpression(std::string_view text) {
  // ^([^;!=]+)(!?=~?)([^;]*)$
  const size_t op_at = text.find_first_of("!=");
  if (op_at == 0 || op_at == std::string_view::npos || text.find(';') != std::string_view::npos) {
    return Status::Error("Invalid tagspec " + std::string(text));
  }
  TagExpression e;
  e.tag = std::string(text.substr(0, op_at));
  std::string_view rest = text.substr(op_at);
  const bool negated = rest.starts_with("!");
  if (negated) rest.remove_prefix(1);
  if (!rest.starts_with("=")) return Status::Error("Invalid tagspec " + std::string(text));
  rest.remove_prefix(1);
  const bool regex = rest.starts_with("~");
  if (regex) rest.remove_prefix(1);
  e.value = std::string(rest);
  e.op = regex ? (negated ? TagExpression::Op::kNotMatch : TagExpression::Op::kMatch)
               : (negated ? TagExpression::Op::kNotEq : TagExpression::Op::kEq);
  if (regex) {
    const std::string anchored = e.value.starts_with("^") ? e.value : "^(" + e.value + ")";
    Result<PyRegex> compiled = PyRegex::Compile(anchored);
    if (!compiled.ok()) return compiled.status();
    e.regex = std::move(*compiled);
  }
  e.matches_empty = MatchesTag(e, {});
  return e;
}

bool MatchesTag(const TagExpression& e, const std::map<std::string, std::string>& tags) {
  auto it = tags.find(e.tag);
  const std::string& value = it == tags.end() ? std::string() : it->second;
  switch (e.op) {
    case TagExpression::Op::kEq:
      return value == e.value;
    case TagExpression::Op::kNotEq:
      return value != e.value;
    case TagExpression::Op::kMatch:
      return e.regex->Search(value);
    case TagExpression::Op::kNotMatch:
      return !e.regex->Search(value);
  }
  return false;
}

Result<std::vector<std::string>> FindSeriesByTag(const TagIndex& index,
                                                 const std::vector<std::string>& texts,
                                                 size_t limit) {
  std::vector<TagExpression> exprs;
  for (const std::string& text : texts) {
    Result<TagExpression> e = ParseTagExpression(text);
    if (!e.ok()) return e.status();
    exprs.push_back(std::move(*e));
  }
  // The index lookup: an exact value if there is one, else any tag that
  // must be present.
  const TagExpression* lookup = nullptr;
  for (const TagExpression& e : exprs) {
    if (e.matches_empty) continue;
    if (lookup == nullptr || (e.op == TagExpression::Op::kEq && lookup->op != e.op)) lookup = &e;
  }
  if (lookup == nullptr) {
    return Status::Error("At least one tagspec must not match the empty string");
  }
  std::optional<std::string_view> value;
  if (lookup->op == TagExpression::Op::kEq) value = lookup->value;
  Result<std::vector<std::string>> candidates = index.FindTagged(lookup->tag, value, limit);
  if (!candidates.ok()) return candidates.status();
  std::vector<std::string> out;
  for (std::string& name : *candidates) {
    const std::map<std::string, std::string> tags = ParseTags(name);
    bool all = true;
    for (const TagExpression& e : exprs) all = all && MatchesTag(e, tags);
    if (all) out.push_back(std::move(name));
  }
  return out;
}

}  // namespace hourglass::query
