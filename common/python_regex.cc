// TranslatePythonRegex: Python `re` syntax to RE2 syntax (see regex.h). One
// pass over the pattern, outside or inside a [class]. Numbers (repetition
// counts, octal escapes) are copied or checked as text, never converted to a
// machine integer, so no count can overflow.
#include <cctype>
#include <string>

#include <fmt/format.h>

#include "common/regex.h"

namespace hourglass::common {
namespace {

bool IsOctal(char c) { return c >= '0' && c <= '7'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Largest repetition count RE2 takes; Python's limit is far higher, so a
// larger count is an error here rather than a literal '{' in RE2.
constexpr std::string_view kMaxRepeat = "1000";

class PythonTranslator {
 public:
  explicit PythonTranslator(std::string_view p) : p_(p) { out_.reserve(p.size() + 16); }

  Result<std::string> Run() {
    while (i_ < p_.size()) {
      Status s = Step();
      if (!s.ok()) return s;
    }
    return std::move(out_);
  }

 private:
  Status Step() {
    const char c = p_[i_];
    if (c == '\\') return Escape();
    if (in_class_) {
      if (c == ']') in_class_ = false;
      out_ += c == '[' ? "\\[" : std::string(1, c);  // [[:alpha:]] is no POSIX class in Python
      ++i_;
      return Status::Ok();
    }
    if (c == '[') return OpenClass();
    if (c == '(' && p_.substr(i_, 2) == "(?") return Extension();
    if (c == '{') return Repeat();
    out_ += c;
    ++i_;
    return Status::Ok();
  }

  Status OpenClass() {
    out_ += '[';
    ++i_;
    if (i_ < p_.size() && p_[i_] == '^') out_ += p_[i_++];
    if (i_ < p_.size() && p_[i_] == ']') {  // a leading ']' is literal
      out_ += "\\]";
      ++i_;
    }
    in_class_ = true;
    return Status::Ok();
  }

  // `(?...`: what Python has and RE2 has not is refused by name.
  Status Extension() {
    const std::string_view rest = p_.substr(i_ + 2);
    auto refuse = [](std::string_view what) {
      return Status::Error(fmt::format("{} are not supported (RE2 matches in linear time)", what));
    };
    if (rest.starts_with("P<")) return Copy(4);
    if (rest.starts_with("P=")) return refuse("named backreferences (?P=name)");
    if (rest.starts_with("=") || rest.starts_with("!")) {
      return refuse("lookahead assertions (?=...) and (?!...)");
    }
    if (rest.starts_with("<=") || rest.starts_with("<!")) {
      return refuse("lookbehind assertions (?<=...) and (?<!...)");
    }
    if (rest.starts_with(">")) return refuse("atomic groups (?>...)");
    if (rest.starts_with("(")) return refuse("conditional groups (?(id)yes|no)");
    if (rest.starts_with("#")) {
      const size_t close = rest.find(')');
      if (close == std::string_view::npos) return Status::Error("missing ), unterminated comment");
      i_ += 2 + close + 1;
      return Status::Ok();
    }
    return Flags(rest);
  }

  // (?aiLmsux-imsx) and (?flags:...): i m s kept; a and u dropped (RE2's
  // classes are ASCII, its strings UTF-8); L and x refused.
  Status Flags(std::string_view rest) {
    size_t j = 0;
    std::string kept;
    while (j < rest.size() &&
           std::string_view("aiLmsux-").find(rest[j]) != std::string_view::npos) {
      const char f = rest[j++];
      if (f == 'x') return Status::Error("verbose patterns (?x) are not supported");
      if (f == 'L') return Status::Error("locale patterns (?L) are not supported");
      if (f != 'a' && f != 'u') kept += f;
    }
    if (j == rest.size() || (rest[j] != ')' && rest[j] != ':')) return Copy(2);  // RE2 judges
    while (!kept.empty() && kept.back() == '-') kept.pop_back();
    const bool scoped = rest[j] == ':';
    if (!kept.empty()) {
      out_ += "(?" + kept + rest[j];
    } else if (scoped) {
      out_ += "(?:";
    }
    i_ += 2 + j + 1;
    return Status::Ok();
  }

  // {m}, {m,}, {,n}, {m,n} with Python's meaning ({,n} is {0,n}; leading
  // zeros allowed); anything else is a literal '{'.
  Status Repeat() {
    size_t j = i_ + 1;
    const size_t lo_at = j;
    while (j < p_.size() && IsDigit(p_[j])) ++j;
    const std::string_view lo = p_.substr(lo_at, j - lo_at);
    bool comma = false;
    std::string_view hi;
    if (j < p_.size() && p_[j] == ',') {
      comma = true;
      const size_t hi_at = ++j;
      while (j < p_.size() && IsDigit(p_[j])) ++j;
      hi = p_.substr(hi_at, j - hi_at);
    }
    if (j >= p_.size() || p_[j] != '}' || (lo.empty() && !comma)) {
      out_ += "\\{";
      ++i_;
      return Status::Ok();
    }
    std::string lo_text, hi_text;
    if (Status s = Count(lo, &lo_text); !s.ok()) return s;
    if (Status s = Count(hi, &hi_text); !s.ok()) return s;
    out_ += "{" + lo_text + (comma ? "," + (hi.empty() ? std::string() : hi_text) : "") + "}";
    i_ = j + 1;
    return Status::Ok();
  }

  static Status Count(std::string_view digits, std::string* out) {
    const size_t first = digits.find_first_not_of('0');
    const std::string_view n = first == std::string_view::npos ? "0" : digits.substr(first);
    if (n.size() > kMaxRepeat.size() || (n.size() == kMaxRepeat.size() && n > kMaxRepeat)) {
      const std::string_view shown = n.substr(0, 24);
      return Status::Error(fmt::format("repetition count {}{} is more than {} (RE2's limit)", shown,
                                       shown.size() < n.size() ? "..." : "", kMaxRepeat));
    }
    *out = std::string(n);
    return Status::Ok();
  }

  Status Escape() {
    if (i_ + 1 >= p_.size()) return Status::Error("bad escape (end of pattern)");
    const char c = p_[i_ + 1];
    if (IsDigit(c)) return DigitEscape();
    switch (c) {
      case 'Z':
        if (in_class_) break;
        out_ += "\\z";
        i_ += 2;
        return Status::Ok();
      case 'b':
        if (!in_class_) break;
        out_ += "\\x08";  // backspace inside a class
        i_ += 2;
        return Status::Ok();
      case 'x':
        return HexEscape(2, false);
      case 'u':
        return HexEscape(4, true);
      case 'U':
        return HexEscape(8, true);
      case 'N':
        return Status::Error("named characters \\N{...} are not supported");
      default:
        break;
    }
    if (IsAsciiLetter(c)) {
      const std::string_view known = in_class_ ? "afnrtvdDsSwW" : "abBdDfnrsStvwWA";
      if (known.find(c) == std::string_view::npos) {
        return Status::Error(fmt::format("bad escape \\{}", c));
      }
      return Copy(2);
    }
    if (static_cast<unsigned char>(c) >= 0x80 || c == '_') {  // not special: the character
      ++i_;
      return Status::Ok();
    }
    if (std::ispunct(static_cast<unsigned char>(c))) return Copy(2);
    out_ += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));  // space, control
    i_ += 2;
    return Status::Ok();
  }

  // \0, \00, \012 and three-digit \123 are octal; \1..\99 are backreferences.
  Status DigitEscape() {
    const std::string_view rest = p_.substr(i_ + 1);
    const bool three_octal =
        rest.size() >= 3 && IsOctal(rest[0]) && IsOctal(rest[1]) && IsOctal(rest[2]);
    size_t digits = 0;
    if (rest[0] == '0' || (in_class_ && IsOctal(rest[0]))) {
      while (digits < 3 && digits < rest.size() && IsOctal(rest[digits])) ++digits;
    } else if (three_octal) {
      digits = 3;
    } else if (!in_class_) {
      const size_t n = rest.size() > 1 && IsDigit(rest[1]) ? 2 : 1;
      return Status::Error(
          fmt::format("backreferences such as \\{} are not supported (RE2 matches in linear time)",
                      rest.substr(0, n)));
    } else {
      return Status::Error(fmt::format("bad escape \\{}", rest[0]));
    }
    int value = 0;  // at most three octal digits: at most 0o777
    for (size_t k = 0; k < digits; ++k) value = value * 8 + (rest[k] - '0');
    if (value > 0377) {
      return Status::Error(
          fmt::format("octal escape value \\{} outside of range 0-0o377", rest.substr(0, digits)));
    }
    out_ += fmt::format("\\x{{{:x}}}", value);
    i_ += 1 + digits;
    return Status::Ok();
  }

  // \xhh, \uhhhh, \Uhhhhhhhh: exactly that many hex digits, as Python wants.
  Status HexEscape(size_t digits, bool braces) {
    const std::string_view hex = p_.substr(i_ + 2, digits);
    bool ok = hex.size() == digits;
    for (char h : hex) ok = ok && IsHex(h);
    if (!ok) return Status::Error(fmt::format("incomplete escape \\{}{}", p_[i_ + 1], hex));
    out_ += braces ? "\\x{" + std::string(hex) + "}" : "\\x" + std::string(hex);
    i_ += 2 + digits;
    return Status::Ok();
  }

  Status Copy(size_t n) {
    out_ += p_.substr(i_, n);
    i_ += n;
    return Status::Ok();
  }

  std::string_view p_;
  size_t i_ = 0;
  bool in_class_ = false;
  std::string out_;
};

}  // namespace

Result<std::string> TranslatePythonRegex(std::string_view pattern) {
  return PythonTranslator(pattern).Run();
}

}  // namespace hourglass::common
