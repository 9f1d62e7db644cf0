// PyRegex on RE2: re.search and re.sub as CPython 3.11 answers them, the
// regression inputs of issue 9 (each a prompt answer or a clear error), and
// the work bounds.
#include "query/py_regex.h"

#include <catch2/catch.hpp>

namespace hourglass::query {
namespace {

PyRegex Re(std::string_view pattern) {
  auto re = PyRegex::Compile(pattern);
  INFO(re.status().message());
  REQUIRE(re.ok());
  return std::move(*re);
}

std::string Sub(std::string_view pattern, std::string_view repl, std::string_view text) {
  auto out = Re(pattern).Sub(repl, text);
  INFO(out.status().message());
  REQUIRE(out.ok());
  return *out;
}

std::string SubError(std::string_view pattern, std::string_view repl, std::string_view text) {
  auto out = Re(pattern).Sub(repl, text);
  REQUIRE_FALSE(out.ok());
  return out.status().message();
}

std::string CompileError(std::string_view pattern) {
  auto re = PyRegex::Compile(pattern);
  REQUIRE_FALSE(re.ok());
  return re.status().message();
}

TEST_CASE("re.sub: empty matches as Python 3.7+, groups, templates") {
  CHECK(Sub("x*", "-", "abxd") == "-a-b--d-");
  CHECK(Sub(".*", "X", "abc") == "XX");
  CHECK(Sub("(a)|b", R"([\1])", "ab") == "[a][]");  // an unmatched group is ""
  CHECK(Sub("a", R"(\0\101\g<0>)", "a") == std::string("\0Aa", 3));
  CHECK(Sub("(?P<x>b)", R"(\g<x>\g<1>)", "abc") == "abbc");
  CHECK(Sub("b", R"(\n\t\\\.)", "abc") == "a\n\t\\\\.c");
  CHECK(Sub("", "-", "é") == "-é-");  // a character at a time, not a byte
  CHECK(Sub("^(.*)$", R"(\1 A)", "a.b") == "a.b A");
  CHECK(SubError("(b)", R"(\2)", "b") == "invalid group reference 2");
  CHECK(SubError("(b)", R"(\g<99999999999999999999>)", "b").find("invalid group reference") !=
        std::string::npos);
  CHECK(SubError("(b)", R"(\g<nope>)", "b") == "unknown group name 'nope'");
  CHECK(SubError("b", R"(\q)", "b") == "bad escape \\q");
  CHECK(SubError("b", R"(\777)", "b") == "octal escape value \\777 outside of range 0-0o377");
}

TEST_CASE("re.search semantics: anywhere in the text, ^ and \\b see the whole text") {
  CHECK(Re("user$").Search("servers.web1.cpu.user"));
  CHECK_FALSE(Re("^web").Search("servers.web1"));
  CHECK(Re(R"(\bweb)").Search("servers.web1"));
  CHECK(Sub("^a", "x", "aa") == "xa");
}

TEST_CASE("regression inputs: each compiles to a clear error or answers at once") {
  // /work/shared/repro/pyregex: an int overflow in std::regex.
  CHECK(CompileError(R"(\77777777777777777777)").find("octal escape value") != std::string::npos);
  CHECK(CompileError("a{99999999999999999999}").find("more than 1000") != std::string::npos);
  // render/regex_*.txt and seriesbytag_stars.txt: their patterns and subjects.
  CHECK(CompileError("a****************b").find("bad repetition operator") != std::string::npos);
  CHECK(CompileError("^(a****************b)").find("bad repetition operator") != std::string::npos);
  CHECK_FALSE(Re("(a*)*b").Search(std::string(18, 'a')));
  CHECK(Sub("^(.*)$", R"(\1 A)", std::string(16000, 'a')) == std::string(16000, 'a') + " A");
  std::string abab;
  for (int i = 0; i < 8000; ++i) abab += "ab";
  CHECK(Sub("(a|b)*c", "x", abab) == abab);
  // Issue 9's stack overflow and exponential cases.
  std::string long_abab;
  for (int i = 0; i < 7500; ++i) long_abab += "ab";
  CHECK(Re("(a|b)*$").Search(long_abab));
  CHECK(Sub("(a+)+$", "b", std::string(5000, 'a')) == "b");
  CHECK(Sub("(a+)+$", "b", std::string(5000, 'a') + "c") == std::string(5000, 'a') + "c");
}

TEST_CASE("work bounds: a long text with a huge pattern or a result too long is refused") {
  // ~6,000 instructions: fine on a short name, refused on a 1 MiB one.
  const PyRegex big = Re(R"((?:[a-c]{0,100}\w{0,100}){10}z)");
  CHECK_FALSE(*big.TrySearch("abc"));
  const std::string huge(1 << 20, 'a');
  auto refused = big.TrySearch(huge);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message().find("too costly for a 1048576-byte name") != std::string::npos);
  CHECK_FALSE(big.Search(huge));
  CHECK(big.Sub("x", huge).status().message().find("too costly") != std::string::npos);
  // Quadratic re.sub (each search scans to the end) is cut off, not run.
  CHECK(SubError(R"(\w*z|a)", "b", std::string(1 << 16, 'a')).find("too costly") !=
        std::string::npos);
  // Result size: at the bound passes, one byte more is refused.
  const size_t limit = PyRegex::kMaxSubResultBytes;
  CHECK(Sub("^", std::string(limit - 1, 'x'), "a").size() == limit);
  CHECK(SubError("^", std::string(limit, 'x'), "a").find("longer than") != std::string::npos);
}

}  // namespace
}  // namespace hourglass::query
