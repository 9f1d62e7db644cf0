#include "query/py_regex.h"

#include <fmt/format.h>

namespace hourglass::query {

using common::Result;
using common::Status;

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsOctal(char c) { return c >= '0' && c <= '7'; }

// A code point below 0x100 (a template's octal escape) in UTF-8.
void AppendLatin1(unsigned value, std::string* out) {
  if (value < 0x80) {
    out->push_back(static_cast<char>(value));
  } else {
    out->push_back(static_cast<char>(0xC0 | (value >> 6)));
    out->push_back(static_cast<char>(0x80 | (value & 0x3F)));
  }
}

// Bytes of the UTF-8 character starting at `at` (1 for a stray byte).
size_t CharLength(std::string_view text, size_t at) {
  const auto lead = static_cast<unsigned char>(text[at]);
  const size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  size_t n = 1;
  while (n < want && at + n < text.size() &&
         (static_cast<unsigned char>(text[at + n]) & 0xC0) == 0x80) {
    ++n;
  }
  return n;
}

std::string Shown(std::string_view pattern) {
  constexpr size_t kShown = 200;
  if (pattern.size() <= kShown) return std::string(pattern);
  return fmt::format("{}... ({} bytes)", pattern.substr(0, kShown), pattern.size());
}

Status TooMuchWork(std::string_view text) {
  return Status::Error(fmt::format(
      "regular expression too costly for a {}-byte name (more than {} text bytes x pattern "
      "instructions)",
      text.size(), common::kMaxRegexWork));
}

}  // namespace

Result<PyRegex> PyRegex::Compile(std::string_view pattern) {
  auto compiled = common::CompileRegex(pattern, common::RegexDialect::kPython);
  if (!compiled.ok()) {
    return Status::Error("invalid regular expression '" + Shown(pattern) +
                         "': " + compiled.status().message());
  }
  PyRegex out;
  out.regex_ = std::move(*compiled);
  return out;
}

Result<bool> PyRegex::TrySearch(std::string_view text) const {
  if (common::RegexWork(*regex_, text.size()) > common::kMaxRegexWork) return TooMuchWork(text);
  return re2::RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *regex_);
}

bool PyRegex::Search(std::string_view text) const {
  Result<bool> found = TrySearch(text);
  return found.ok() && *found;
}

Result<int> PyRegex::GroupNamed(std::string_view name) const {
  const int groups = regex_->NumberOfCapturingGroups();
  if (!name.empty() && name.find_first_not_of("0123456789") == std::string_view::npos) {
    const size_t first = name.find_first_not_of('0');
    const std::string_view digits = first == std::string_view::npos ? "0" : name.substr(first);
    if (digits.size() > 9) return Status::Error("invalid group reference " + std::string(name));
    int g = 0;
    for (char c : digits) g = g * 10 + (c - '0');  // at most 9 digits: no overflow
    if (g > groups) return Status::Error("invalid group reference " + std::string(name));
    return g;
  }
  const auto& names = regex_->NamedCapturingGroups();
  if (auto it = names.find(std::string(name)); it != names.end()) return it->second;
  return Status::Error("unknown group name '" + std::string(name) + "'");
}

// Python's re._parser.parse_template: \g<name>, \g<N>, \N, \NN, octal \0NN
// and \NNN, the escapes \a \b \f \n \r \t \v \\; other ASCII letters are bad
// escapes and other characters keep their backslash.
Result<std::vector<PyRegex::Piece>> PyRegex::ParseReplacement(std::string_view repl) const {
  std::vector<Piece> pieces(1);
  const int groups = regex_->NumberOfCapturingGroups();
  auto add_group = [&](int g) {
    pieces.push_back({{}, g});
    pieces.push_back({});
  };
  for (size_t i = 0; i < repl.size(); ++i) {
    if (repl[i] != '\\') {
      pieces.back().literal.push_back(repl[i]);
      continue;
    }
    if (i + 1 >= repl.size()) return Status::Error("bad escape (end of pattern)");
    const char c = repl[++i];
    const std::string_view rest = repl.substr(i);  // starts at c
    if (c == 'g') {
      if (rest.size() < 2 || rest[1] != '<') return Status::Error("missing <");
      const size_t close = rest.find('>');
      if (close == std::string_view::npos) return Status::Error("missing >, unterminated name");
      Result<int> g = GroupNamed(rest.substr(2, close - 2));
      if (!g.ok()) return g.status();
      add_group(*g);
      i += close;
    } else if (c == '0') {
      unsigned value = 0;
      size_t n = 1;
      while (n < 3 && n < rest.size() && IsOctal(rest[n])) value = value * 8 + (rest[n++] - '0');
      AppendLatin1(value, &pieces.back().literal);
      i += n - 1;
    } else if (IsDigit(c)) {
      if (rest.size() >= 3 && IsOctal(c) && IsOctal(rest[1]) && IsOctal(rest[2])) {
        const unsigned value = (c - '0') * 64 + (rest[1] - '0') * 8 + (rest[2] - '0');
        if (value > 0377) {
          return Status::Error("octal escape value \\" + std::string(rest.substr(0, 3)) +
                               " outside of range 0-0o377");
        }
        AppendLatin1(value, &pieces.back().literal);
        i += 2;
        continue;
      }
      int g = c - '0';
      if (rest.size() >= 2 && IsDigit(rest[1])) g = g * 10 + (rest[1] - '0'), ++i;
      if (g > groups) return Status::Error("invalid group reference " + std::to_string(g));
      add_group(g);
    } else {
      static constexpr std::string_view kFrom = "abfnrtv\\", kTo = "\a\b\f\n\r\t\v\\";
      if (const size_t k = kFrom.find(c); k != std::string_view::npos) {
        pieces.back().literal.push_back(kTo[k]);
      } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
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
  const re2::StringPiece subject(text.data(), text.size());
  std::vector<re2::StringPiece> m(regex_->NumberOfCapturingGroups() + 1);
  std::string out;
  size_t work = 0;
  size_t pos = 0;     // where the next search starts
  size_t copied = 0;  // text before this is in `out`
  while (pos <= text.size()) {
    work += common::RegexWork(*regex_, text.size() - pos);
    if (work > common::kMaxRegexWork) return TooMuchWork(text);
    if (!regex_->Match(subject, pos, text.size(), re2::RE2::UNANCHORED, m.data(),
                       static_cast<int>(m.size()))) {
      break;
    }
    const size_t start = m[0].data() - text.data();
    const size_t end = start + m[0].size();
    out.append(text.substr(copied, start - copied));
    for (const Piece& p : *pieces) {
      if (p.group < 0) {
        out += p.literal;
      } else if (m[p.group].data() != nullptr) {  // an unmatched group is ""
        out.append(m[p.group].data(), m[p.group].size());
      }
    }
    if (out.size() > kMaxSubResultBytes) {
      return Status::Error(fmt::format("re.sub result longer than {} bytes", kMaxSubResultBytes));
    }
    copied = end;
    // After an empty match the next one starts a character later; after a
    // non-empty one an empty match may follow at once (Python 3.7+).
    if (end > start) {
      pos = end;
    } else if (end < text.size()) {
      pos = end + CharLength(text, end);
    } else {
      break;
    }
  }
  out.append(text.substr(copied));
  if (out.size() > kMaxSubResultBytes) {
    return Status::Error(fmt::format("re.sub result longer than {} bytes", kMaxSubResultBytes));
  }
  return out;
}

}  // namespace hourglass::query
