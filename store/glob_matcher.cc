#include "store/glob_matcher.h"

#include <algorithm>
#include <cstdint>
#include <optional>

namespace hourglass::store {
namespace {

using common::Status;

// Work an expansion may do, in bytes written plus kStringCost per string
// made, moved or sorted: bounds patterns such as thousands of nested groups
// that each add one alternative, whose result alone would be small.
constexpr size_t kStringCost = 16;
constexpr size_t kExpansionWork = 8 * kMaxBraceExpansionBytes;

// What each character of a pattern is to brace expansion.
enum class Role : uint8_t { kLiteral, kOpen, kSeparator, kClose };

std::string Shorten(std::string_view pattern) {
  constexpr size_t kShown = 100;
  if (pattern.size() <= kShown) return std::string(pattern);
  return std::string(pattern.substr(0, kShown)) + "...";
}

// Pairs each '}' with the latest unpaired '{' (the pairing depth counting
// from each '{' gives); unpaired braces are literal. A comma directly inside
// a pair separates its alternatives; a pair with no such comma is literal
// text whose inside is still expanded ("{a}" stays "{a}"). Two linear passes.
std::vector<Role> Roles(std::string_view s) {
  std::vector<Role> roles(s.size(), Role::kLiteral);
  std::vector<size_t> open;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '{') open.push_back(i);
    if (s[i] == '}' && !open.empty()) {
      roles[open.back()] = Role::kOpen;
      roles[i] = Role::kClose;
      open.pop_back();
    }
  }
  struct Group {
    size_t open;
    bool has_comma;
  };
  std::vector<Group> groups;
  for (size_t i = 0; i < s.size(); ++i) {
    if (roles[i] == Role::kOpen) {
      groups.push_back({i, false});
    } else if (roles[i] == Role::kClose) {
      if (!groups.back().has_comma) roles[groups.back().open] = roles[i] = Role::kLiteral;
      groups.pop_back();
    } else if (s[i] == ',' && !groups.empty()) {
      roles[i] = Role::kSeparator;
      groups.back().has_comma = true;
    }
  }
  return roles;
}

// Expands with an explicit stack of open groups: `cur` holds the expansions
// of the current alternative so far, `alts` the finished alternatives.
class Expander {
 public:
  Expander(std::string_view pattern, size_t limit) : pattern_(pattern), limit_(limit) {}

  Status Run(std::vector<std::string>* out) {
    const std::vector<Role> roles = Roles(pattern_);
    std::vector<Frame> stack(1);
    size_t literal = 0;  // start of the pending literal text
    for (size_t i = 0; i < pattern_.size(); ++i) {
      if (roles[i] == Role::kLiteral) continue;
      if (Status s = Append(stack.back(), pattern_.substr(literal, i - literal)); !s.ok()) return s;
      literal = i + 1;
      if (roles[i] == Role::kOpen) {
        stack.emplace_back();
        continue;
      }
      if (Status s = EndAlternative(stack.back()); !s.ok()) return s;
      if (roles[i] == Role::kClose) {  // deduped here, so nesting never piles up copies
        std::vector<std::string> alts = std::move(stack.back().alts);
        stack.pop_back();
        if (Status s = Dedupe(alts); !s.ok()) return s;
        if (Status s = Product(stack.back(), std::move(alts)); !s.ok()) return s;
      }
    }
    if (Status s = Append(stack.back(), pattern_.substr(literal)); !s.ok()) return s;
    std::vector<std::string>& result = stack.back().cur;
    if (Status s = Dedupe(result); !s.ok()) return s;
    size_t bytes = 0;
    for (const std::string& alt : result) bytes += alt.size();
    if (bytes > kMaxBraceExpansionBytes) return TooLarge();
    *out = std::move(result);
    return Status::Ok();
  }

 private:
  struct Frame {
    std::vector<std::string> alts;
    std::vector<std::string> cur{std::string()};
  };

  Status TooMany() const {
    return Status::Error("glob '" + Shorten(pattern_) + "' expands to more than " +
                         std::to_string(limit_) + " alternatives");
  }
  Status TooLarge() const {
    return Status::Error("glob '" + Shorten(pattern_) + "' expands to more than " +
                         std::to_string(kMaxBraceExpansionBytes) + " bytes");
  }
  Status Spend(size_t units) {
    if (units > work_left_) {
      return Status::Error("glob '" + Shorten(pattern_) +
                           "' takes too much work to expand (too many nested brace groups)");
    }
    work_left_ -= units;
    return Status::Ok();
  }

  // Sorts and removes duplicates; fails when more than limit_ remain.
  Status Dedupe(std::vector<std::string>& v) {
    if (Status s = Spend(v.size() * kStringCost); !s.ok()) return s;
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v.size() > limit_ ? TooMany() : Status::Ok();
  }

  Status Append(Frame& f, std::string_view text) {
    if (text.empty()) return Status::Ok();
    if (Status s = Spend(f.cur.size() * (text.size() + kStringCost)); !s.ok()) return s;
    for (std::string& e : f.cur) e.append(text);
    return Status::Ok();
  }

  Status EndAlternative(Frame& f) {
    if (Status s = Spend(f.cur.size() * kStringCost); !s.ok()) return s;
    for (std::string& e : f.cur) f.alts.push_back(std::move(e));
    f.cur.assign(1, std::string());
    return f.alts.size() > limit_ ? Dedupe(f.alts) : Status::Ok();
  }

  // f.cur becomes every expansion in f.cur followed by every one in alts.
  Status Product(Frame& f, std::vector<std::string> alts) {
    if (f.cur.size() * alts.size() > limit_) {
      if (Status s = Dedupe(f.cur); !s.ok()) return s;
      if (Status s = Dedupe(alts); !s.ok()) return s;
      if (f.cur.size() * alts.size() > limit_) return TooMany();
    }
    size_t bytes = 0;
    for (const std::string& e : f.cur) bytes += e.size() * alts.size();
    for (const std::string& a : alts) bytes += (a.size() + kStringCost) * f.cur.size();
    if (Status s = Spend(bytes); !s.ok()) return s;
    std::vector<std::string> out;
    out.reserve(f.cur.size() * alts.size());
    for (const std::string& e : f.cur) {
      for (const std::string& a : alts) out.push_back(e + a);
    }
    f.cur = std::move(out);
    return Status::Ok();
  }

  std::string_view pattern_;
  size_t limit_;
  size_t work_left_ = kExpansionWork;
};

// Result of matching a `[...]` class at pattern[pos]: whether `c` matched,
// and where the pattern continues. nullopt when the class is not closed.
struct ClassMatch {
  bool matched;
  size_t next;
};

// `unclosed_from`: no ']' at or after it (found by an earlier scan), so a
// class starting there is known unclosed without scanning the rest again.
std::optional<ClassMatch> MatchClass(std::string_view p, size_t pos, char c,
                                     size_t& unclosed_from) {
  size_t i = pos + 1;
  bool negate = i < p.size() && p[i] == '!';
  if (negate) ++i;
  const size_t first = i;
  const size_t end = std::min(p.size(), std::max(unclosed_from, first + 1));
  bool matched = false;
  while (i < end && (p[i] != ']' || i == first)) {
    char lo = p[i];
    if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
      matched |= lo <= c && c <= p[i + 2];
      i += 3;
    } else {
      matched |= lo == c;
      i += 1;
    }
  }
  if (i >= end) {
    unclosed_from = std::min(unclosed_from, first + 1);
    return std::nullopt;
  }
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

Status ExpandBraces(std::string_view pattern, size_t limit, std::vector<std::string>* out) {
  out->clear();
  return Expander(pattern, limit).Run(out);
}

std::vector<std::string> ExpandBraces(std::string_view pattern, size_t limit) {
  std::vector<std::string> out;
  if (!ExpandBraces(pattern, limit, &out).ok()) out.clear();
  return out;
}

bool FnMatch(std::string_view p, std::string_view t) {
  size_t pi = 0, ti = 0;
  size_t star_p = std::string_view::npos, star_t = 0;
  size_t unclosed_from = std::string_view::npos;
  while (ti < t.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star_p = ++pi;
      star_t = ti;
      continue;
    }
    if (pi < p.size()) {
      if (p[pi] == '[') {
        if (auto m = MatchClass(p, pi, t[ti], unclosed_from)) {
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

common::Result<GlobMatcher> GlobMatcher::Create(std::string_view node_pattern) {
  GlobMatcher m;
  if (Status s = m.Build(node_pattern); !s.ok()) return s;
  return m;
}

GlobMatcher::GlobMatcher(std::string_view node_pattern) { (void)Build(node_pattern); }

Status GlobMatcher::Build(std::string_view node_pattern) {
  Status s = ExpandBraces(node_pattern, kMaxBraceAlternatives, &alternatives_);
  if (s.ok()) s = Describe(node_pattern);
  if (!s.ok()) {
    alternatives_.clear();
    literals_.clear();
    wildcards_.clear();
    literal_prefix_.clear();
    is_literal_ = true;
  }
  return s;
}

Status GlobMatcher::Describe(std::string_view node_pattern) {
  size_t wildcard_bytes = 0;
  for (size_t i = 0; i < alternatives_.size(); ++i) {
    const std::string& alt = alternatives_[i];
    const size_t wild = std::min(alt.find_first_of("*?["), alt.size());
    if (wild != alt.size()) {
      is_literal_ = false;
      wildcards_.push_back(i);
      wildcard_bytes += alt.size();
    } else {
      literals_.push_back(i);  // alternatives_ is sorted, so literals_ is
    }
    if (i == 0) {
      literal_prefix_ = alt.substr(0, wild);
    } else {
      size_t n = 0;
      while (n < literal_prefix_.size() && n < wild && literal_prefix_[n] == alt[n]) ++n;
      literal_prefix_.resize(n);
    }
  }
  if (wildcard_bytes > kMaxWildcardBytes) {
    return Status::Error("glob '" + Shorten(node_pattern) + "' expands to more than " +
                         std::to_string(kMaxWildcardBytes) + " bytes of wildcard alternatives");
  }
  return Status::Ok();
}

bool GlobMatcher::Matches(std::string_view node) const {
  const auto it = std::lower_bound(
      literals_.begin(), literals_.end(), node,
      [this](size_t i, std::string_view n) { return std::string_view(alternatives_[i]) < n; });
  if (it != literals_.end() && alternatives_[*it] == node) return true;
  for (size_t i : wildcards_) {
    if (FnMatch(alternatives_[i], node)) return true;
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
