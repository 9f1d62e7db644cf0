#include "store/glob_matcher.h"

#include <algorithm>
#include <optional>

namespace hourglass::store {
namespace {

// Index of the '}' closing the '{' at `open`, or npos.
size_t MatchingBrace(std::string_view s, size_t open) {
  int depth = 0;
  for (size_t i = open; i < s.size(); ++i) {
    if (s[i] == '{') ++depth;
    if (s[i] == '}' && --depth == 0) return i;
  }
  return std::string_view::npos;
}

// Splits a group's content on commas outside nested groups.
std::vector<std::string_view> SplitTopLevel(std::string_view inner) {
  std::vector<std::string_view> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] == '{') ++depth;
    if (inner[i] == '}') --depth;
    if (inner[i] == ',' && depth == 0) {
      parts.push_back(inner.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(inner.substr(start));
  return parts;
}

void Dedupe(std::vector<std::string>* v, size_t limit) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
  if (v->size() > limit) v->resize(limit);
}

// Result of matching a `[...]` class at pattern[pos]: whether `c` matched,
// and where the pattern continues. nullopt when the class is not closed.
struct ClassMatch {
  bool matched;
  size_t next;
};

std::optional<ClassMatch> MatchClass(std::string_view p, size_t pos, char c) {
  size_t i = pos + 1;
  bool negate = i < p.size() && p[i] == '!';
  if (negate) ++i;
  size_t first = i;
  bool matched = false;
  while (i < p.size() && (p[i] != ']' || i == first)) {
    char lo = p[i];
    if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
      matched |= lo <= c && c <= p[i + 2];
      i += 3;
    } else {
      matched |= lo == c;
      i += 1;
    }
  }
  if (i >= p.size()) return std::nullopt;
  return ClassMatch{matched != negate, i + 1};
}

}  // namespace

bool HasGlob(std::string_view pattern) {
  return pattern.find_first_of("*?[{") != std::string_view::npos;
}

std::vector<std::string_view> SplitNodes(std::string_view path) {
  std::vector<std::string_view> nodes;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    if (dot == std::string_view::npos) break;
    nodes.push_back(path.substr(start, dot - start));
    start = dot + 1;
  }
  nodes.push_back(path.substr(start));
  return nodes;
}

std::vector<std::string> ExpandBraces(std::string_view s, size_t limit) {
  size_t open = s.find('{');
  size_t close = std::string_view::npos;
  while (open != std::string_view::npos &&
         (close = MatchingBrace(s, open)) == std::string_view::npos) {
    open = s.find('{', open + 1);
  }
  if (open == std::string_view::npos) return {std::string(s)};
  std::string_view head = s.substr(0, open);
  std::string_view inner = s.substr(open + 1, close - open - 1);
  std::vector<std::string_view> parts = SplitTopLevel(inner);
  std::vector<std::string> alts;
  for (std::string_view part : parts) {
    for (std::string& e : ExpandBraces(part, limit)) {
      alts.push_back(parts.size() > 1 ? std::move(e) : "{" + e + "}");
    }
  }
  std::vector<std::string> tails = ExpandBraces(s.substr(close + 1), limit);
  std::vector<std::string> out;
  for (const auto& alt : alts) {
    for (const auto& tail : tails) {
      if (out.size() >= limit) break;
      out.push_back(std::string(head) + alt + tail);
    }
  }
  Dedupe(&out, limit);
  return out;
}

bool FnMatch(std::string_view p, std::string_view t) {
  size_t pi = 0, ti = 0;
  size_t star_p = std::string_view::npos, star_t = 0;
  while (ti < t.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star_p = ++pi;
      star_t = ti;
      continue;
    }
    if (pi < p.size()) {
      if (p[pi] == '[') {
        if (auto m = MatchClass(p, pi, t[ti])) {
          if (m->matched) {
            pi = m->next;
            ++ti;
            continue;
          }
        } else if (t[ti] == '[') {  // unclosed: a literal '['
          ++pi;
          ++ti;
          continue;
        }
      } else if (p[pi] == '?' || p[pi] == t[ti]) {
        ++pi;
        ++ti;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    pi = star_p;
    ti = ++star_t;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

GlobMatcher::GlobMatcher(std::string_view node_pattern)
    : alternatives_(ExpandBraces(node_pattern)) {
  for (size_t i = 0; i < alternatives_.size(); ++i) {
    const std::string& alt = alternatives_[i];
    const size_t wild = std::min(alt.find_first_of("*?["), alt.size());
    if (wild != alt.size()) is_literal_ = false;
    if (i == 0) {
      literal_prefix_ = alt.substr(0, wild);
    } else {
      size_t n = 0;
      while (n < literal_prefix_.size() && n < wild && literal_prefix_[n] == alt[n]) ++n;
      literal_prefix_.resize(n);
    }
  }
}

bool GlobMatcher::Matches(std::string_view node) const {
  for (const auto& alt : alternatives_) {
    if (FnMatch(alt, node)) return true;
  }
  return false;
}

bool GlobMatch(std::string_view pattern, std::string_view path) {
  std::vector<std::string_view> p = SplitNodes(pattern);
  std::vector<std::string_view> n = SplitNodes(path);
  if (p.size() != n.size()) return false;
  for (size_t i = 0; i < p.size(); ++i) {
    if (!GlobMatcher(p[i]).Matches(n[i])) return false;
  }
  return true;
}

}  // namespace hourglass::store
