#include "query/py_regex.h"

#include <cctype>

namespace hourglass::query {

using common::Result;
using common::Status;

Result<PyRegex> PyRegex::Compile(std::string_view pattern) {
  PyRegex out;
  std::string translated;
  translated.reserve(pattern.size());
  int group = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      translated.append(pattern.substr(i, 2));
      ++i;
      continue;
    }
    if (c == '(' && pattern.substr(i, 4) == "(?P<") {
      const size_t close = pattern.find('>', i);
      if (close == std::string_view::npos) return Status::Error("bad named group in regex");
      out.names_.emplace(std::string(pattern.substr(i + 4, close - i - 4)), ++group);
      translated.push_back('(');
      i = close;
      continue;
    }
    if (c == '(' && pattern.substr(i, 4) == "(?P=") {
      const size_t close = pattern.find(')', i);
      if (close == std::string_view::npos) return Status::Error("bad group reference in regex");
      auto it = out.names_.find(pattern.substr(i + 4, close - i - 4));
      if (it == out.names_.end()) return Status::Error("unknown group name in regex");
      translated += "\\" + std::to_string(it->second);
      i = close;
      continue;
    }
    if (c == '(' && (i + 1 >= pattern.size() || pattern[i + 1] != '?')) ++group;
    translated.push_back(c);
  }
  try {
    out.regex_ = std::regex(translated, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return Status::Error("invalid regular expression '" + std::string(pattern) + "': " + e.what());
  }
  out.groups_ = out.regex_.mark_count();
  return out;
}

bool PyRegex::Search(std::string_view text) const {
  try {
    return std::regex_search(text.begin(), text.end(), regex_);
  } catch (const std::regex_error&) {
    return false;
  }
}

Result<std::vector<PyRegex::Piece>> PyRegex::ParseReplacement(std::string_view repl) const {
  std::vector<Piece> pieces(1);
  auto add_group = [&](int g) -> Status {
    if (g < 0 || static_cast<size_t>(g) > groups_) return Status::Error("invalid group reference");
    pieces.push_back({{}, g});
    pieces.push_back({});
    return Status::Ok();
  };
  for (size_t i = 0; i < repl.size(); ++i) {
    if (repl[i] != '\\' || i + 1 >= repl.size()) {
      pieces.back().literal.push_back(repl[i]);
      continue;
    }
    const char c = repl[++i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      int g = c - '0';
      if (i + 1 < repl.size() && std::isdigit(static_cast<unsigned char>(repl[i + 1]))) {
        g = g * 10 + (repl[++i] - '0');
      }
      if (Status s = add_group(g); !s.ok()) return s;
    } else if (c == 'g' && i + 1 < repl.size() && repl[i + 1] == '<') {
      const size_t close = repl.find('>', i);
      if (close == std::string_view::npos) return Status::Error("missing >, unterminated name");
      const std::string_view name = repl.substr(i + 2, close - i - 2);
      int g = -1;
      if (auto it = names_.find(name); it != names_.end()) {
        g = it->second;
      } else if (!name.empty() && name.find_first_not_of("0123456789") == std::string_view::npos &&
                 name.size() < 4) {
        g = std::stoi(std::string(name));
      } else {
        return Status::Error("unknown group name '" + std::string(name) + "'");
      }
      if (Status s = add_group(g); !s.ok()) return s;
      i = close;
    } else {
      static constexpr std::string_view kFrom = "ntrafv\\", kTo = "\n\t\r\a\f\v\\";
      if (const size_t k = kFrom.find(c); k != std::string_view::npos) {
        pieces.back().literal.push_back(kTo[k]);
      } else if (std::isalpha(static_cast<unsigned char>(c))) {
        return Status::Error(std::string("bad escape \\") + c);
      } else {
        pieces.back().literal.push_back('\\');
        pieces.back().literal.push_back(c);
      }
    }
  }
  return pieces;
}

Result<std::string> PyRegex::Sub(std::string_view replacement, std::string_view text) const {
  Result<std::vector<Piece>> pieces = ParseReplacement(replacement);
  if (!pieces.ok()) return pieces.status();
  std::string out;
  try {
    using It = std::regex_iterator<std::string_view::const_iterator>;
    auto last = text.begin();
    for (It it(text.begin(), text.end(), regex_), end; it != end; ++it) {
      const auto& m = *it;
      out.append(last, m[0].first);
      for (const Piece& p : *pieces) {
        if (p.group < 0) {
          out += p.literal;
        } else if (m[p.group].matched) {
          out.append(m[p.group].first, m[p.group].second);
        }
      }
      last = m[0].second;
    }
    out.append(last, text.end());
  } catch (const std::regex_error& e) {
    return Status::Error(std::string("regular expression failed: ") + e.what());
  }
  return out;
}

}  // namespace hourglass::query
