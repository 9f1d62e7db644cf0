// common/regex: the Python `re` to RE2 translation (answers checked against
// CPython 3.11), what is refused and how, and the bounds on every pattern.
#include "common/regex.h"

#include <catch2/catch.hpp>

namespace hourglass::common {
namespace {

std::string Translated(std::string_view pattern) {
  Result<std::string> t = TranslatePythonRegex(pattern);
  INFO(t.status().message());
  REQUIRE(t.ok());
  return *t;
}

std::string PythonError(std::string_view pattern) {
  auto r = CompileRegex(pattern, RegexDialect::kPython);
  REQUIRE_FALSE(r.ok());
  return r.status().message();
}

bool PythonSearch(std::string_view pattern, std::string_view text) {
  auto r = CompileRegex(pattern, RegexDialect::kPython);
  INFO(pattern << ": " << r.status().message());
  REQUIRE(r.ok());
  return re2::RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), **r);
}

TEST_CASE("Python patterns RE2 reads the same way pass through unchanged") {
  for (std::string_view p : {R"(^servers\.(\w+)\.cpu\.(\w+)$)", "(^.*$)", "(?P<last>\\w+)$",
                             "a|b*?c+", "[^a-z0-9_.-]", R"(\d\s\S\b\B\A)", "(?i)abc", "(?:x)"}) {
    CHECK(Translated(p) == p);
  }
}

TEST_CASE("Python-only syntax is translated to its RE2 equivalent") {
  CHECK(Translated(R"(a\Z)") == R"(a\z)");
  CHECK(Translated("a{,3}") == "a{0,3}");
  CHECK(Translated("a{003,0010}") == "a{3,10}");
  CHECK(Translated("a{,}") == "a{0,}");
  CHECK(Translated("a{x}{") == R"(a\{x}\{)");  // not a repetition: a literal brace
  CHECK(Translated("[]a]") == R"([\]a])");
  CHECK(Translated("[[:alpha:]]") == R"([\[:alpha:]])");
  CHECK(Translated(R"(\0\101\u00e9\U0001F600\x41)") == R"(\x{0}\x{41}\x{00e9}\x{0001F600}\x41)");
  CHECK(Translated(R"([\b\1])") == R"([\x08\x{1}])");
  CHECK(Translated("(?#comment)a(?u)b(?a:c)(?i-s:d)") == "ab(?:c)(?i-s:d)");
  CHECK(Translated(R"(\_\ \é)") == "_\\x20é");
  // Same answers as CPython.
  CHECK(PythonSearch("a{,2}b", "xaab"));
  CHECK(PythonSearch("[[:alpha:]]", "a:]x"));  // ':]' matches, as in Python
  CHECK_FALSE(PythonSearch("[[:alpha:]]", "a"));
  CHECK(PythonSearch(R"(\x41\u00e9\101)", "AéA"));
  CHECK(PythonSearch(R"(b\Z)", "ab"));
  CHECK_FALSE(PythonSearch(R"(b\Z)", "ab\n"));
  CHECK(PythonSearch(R"(a(?i:B))", "ab"));
}

TEST_CASE("what RE2 cannot do is refused, naming the construct") {
  CHECK(PythonError(R"((a)\1)").find("backreferences such as \\1 are not supported") !=
        std::string::npos);
  CHECK(PythonError(R"((a)\12)").find("backreferences such as \\12") != std::string::npos);
  CHECK(PythonError("(?P<n>a)(?P=n)").find("named backreferences") != std::string::npos);
  CHECK(PythonError("a(?=b)").find("lookahead") != std::string::npos);
  CHECK(PythonError("a(?<!b)").find("lookbehind") != std::string::npos);
  CHECK(PythonError("(?>a)").find("atomic groups") != std::string::npos);
  CHECK(PythonError("(a)?(?(1)b|c)").find("conditional") != std::string::npos);
  CHECK(PythonError("(?x) a").find("verbose") != std::string::npos);
  CHECK(PythonError("a++").find("possessive") != std::string::npos);
  CHECK(PythonError("a****************b").find("bad repetition operator: **") != std::string::npos);
  CHECK(PythonError(R"(\q)") == "bad escape \\q");
  CHECK(PythonError(R"(\N{DASH})").find("named characters") != std::string::npos);
  CHECK(PythonError(R"(\u12)") == "incomplete escape \\u12");
  CHECK(PythonError("a\\") == "bad escape (end of pattern)");
  CHECK(PythonError("(?#open").find("unterminated comment") != std::string::npos);
  CHECK(PythonError("(").find("missing )") != std::string::npos);
}

TEST_CASE("counts are checked as text: no count can overflow") {
  // Regression inputs: std::regex overflowed an int on both.
  CHECK(PythonError("a{99999999999999999999}") ==
        "repetition count 99999999999999999999 is more than 1000 (RE2's limit)");
  CHECK(PythonError(R"(\77777777777777777777)") ==
        "octal escape value \\777 outside of range 0-0o377");
  CHECK(PythonError("a{" + std::string(5000, '9') + "}").find("...") != std::string::npos);
  CHECK(PythonError("a{1,99999999999999999999999}").find("more than 1000") != std::string::npos);
  // At the bound: 1000 passes, 1001 is refused; nested counts multiply.
  CHECK(CompileRegex("a{1000}", RegexDialect::kPython).ok());
  CHECK(CompileRegex("a{0001000}", RegexDialect::kPython).ok());
  CHECK(PythonError("a{1001}").find("more than 1000") != std::string::npos);
  CHECK(PythonError("(a{1000}){1000}").find("invalid repetition size") != std::string::npos);
}

TEST_CASE("pattern length and compiled size are bounded") {
  CHECK(CompileRegex(std::string(kMaxRegexBytes, 'a'), RegexDialect::kPython).ok());
  CHECK(PythonError(std::string(kMaxRegexBytes + 1, 'a')) ==
        "pattern of 65537 bytes is longer than the 65536 accepted");
  std::string wide;  // 1,400 bytes, ~1.6 million instructions
  for (int i = 0; i < 200; ++i) wide += ".{1000}";
  CHECK(PythonError(wide) == "pattern too large: it compiles to more than 8 MiB");
  // Deep nesting: no recursion in RE2's parser, a plain error.
  CHECK(PythonError(std::string(30000, '(')).find("missing )") != std::string::npos);
  auto nested =
      CompileRegex(std::string(20000, '(') + "a" + std::string(20000, ')'), RegexDialect::kPython);
  if (nested.ok()) CHECK(re2::RE2::PartialMatch("a", **nested));
}

TEST_CASE("POSIX ERE for grep: a++ is a+ as in grep -E, backreferences and \\< refused") {
  auto plus = CompileRegex("a" + std::string(22, '+'), RegexDialect::kPosixExtended);
  REQUIRE(plus.ok());
  CHECK(re2::RE2::PartialMatch("xaay", **plus));
  CHECK_FALSE(re2::RE2::PartialMatch("xy", **plus));
  auto classes = CompileRegex(R"(^[[:digit:]]+\s\w+\b)", RegexDialect::kPosixExtended);
  REQUIRE(classes.ok());
  CHECK(re2::RE2::PartialMatch("42 word", **classes));
  auto bytes = CompileRegex("a.b", RegexDialect::kPosixExtended);  // bytes, as regcomp in "C"
  CHECK(
      re2::RE2::PartialMatch("a\xff"
                             "b",
                             **bytes));
  auto backref = CompileRegex(R"((a)\1)", RegexDialect::kPosixExtended);
  REQUIRE_FALSE(backref.ok());
  CHECK(backref.status().message().find("backreferences are not supported") != std::string::npos);
  auto word = CompileRegex(R"(\<ab\>)", RegexDialect::kPosixExtended);
  REQUIRE_FALSE(word.ok());
  CHECK(word.status().message() == "\\< (GNU word boundary) is not supported: use \\b");
  CHECK(CompileRegex(R"(\\<)", RegexDialect::kPosixExtended).ok());  // an escaped backslash
}

}  // namespace
}  // namespace hourglass::common

TEST_CASE("FirstMatch picks the first matching pattern, as searching one by one does") {
  using hourglass::common::FirstMatch;
  using hourglass::common::RegexDialect;
  const auto compile = [](std::string_view p, RegexDialect dialect) {
    return std::shared_ptr<const re2::RE2>(
        std::move(hourglass::common::CompileRegex(p, dialect).value()));
  };
  const std::vector<std::string> sources = {
      R"(\.lower$)", R"(\.upper(_\d+)?$)", R"(^stats_counts\.)", R"((?i)\.COUNT$)", R"(a.b)",
      R"(^$)"};
  std::vector<std::shared_ptr<const re2::RE2>> patterns;
  for (const auto& p : sources) {
    patterns.push_back(compile(p, RegexDialect::kPython));
  }
  const FirstMatch first(patterns);
  const auto one_by_one = [&](std::string_view text) {
    for (size_t i = 0; i < patterns.size(); ++i) {
      if (re2::RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *patterns[i])) {
        return i;
      }
    }
    return patterns.size();
  };
  for (std::string text :
       {"stats.timers.x.lower", "stats.timers.x.upper_90", "stats_counts.a.lower", "x.Count",
        "stats_counts.x.count", "axb", "", "stats.gauges.g", "lower", "x.upper_", "ü.lower"}) {
    CHECK(first.Find(text) == one_by_one(text));
  }
  CHECK(first.Find("stats_counts.a.lower") == 0);  // both match: the first wins
  CHECK(first.Find("stats.gauges.g") == patterns.size());
  // Patterns compiled with other options (POSIX, Latin-1) are searched one by one.
  patterns.push_back(compile("g$", RegexDialect::kPosixExtended));
  const FirstMatch mixed(patterns);
  CHECK(mixed.Find("stats.gauges.g") == patterns.size() - 1);
  CHECK(mixed.Find("stats.timers.x.lower") == 0);
  CHECK(FirstMatch({}).Find("anything") == 0);
}
