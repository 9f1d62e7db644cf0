#include "store/glob_matcher.h"

#include <catch2/catch.hpp>

using namespace hourglass;
using namespace hourglass::store;

TEST_CASE("FnMatch wildcards", "[store][glob]") {
  CHECK(FnMatch("*", ""));
  CHECK(FnMatch("*", "abc"));
  CHECK_FALSE(FnMatch("a*", ""));
  CHECK(FnMatch("a*", "a"));
  CHECK(FnMatch("*a*b", "xaxxb"));
  CHECK_FALSE(FnMatch("*a*b", "xaxxbc"));
  CHECK(FnMatch("a?c", "abc"));
  CHECK_FALSE(FnMatch("a?c", "ac"));
  CHECK(FnMatch("upper_*", "upper_90"));
  CHECK_FALSE(FnMatch("abc", "abd"));
  CHECK(FnMatch("", ""));
  CHECK_FALSE(FnMatch("", "a"));
}

TEST_CASE("FnMatch character classes as Python's fnmatch", "[store][glob]") {
  CHECK(FnMatch("[a-c]", "b"));
  CHECK_FALSE(FnMatch("[a-c]", "d"));
  CHECK(FnMatch("[!a]x", "bx"));
  CHECK_FALSE(FnMatch("[!a]x", "ax"));
  CHECK(FnMatch("[]]", "]"));    // ']' first in a class is literal
  CHECK(FnMatch("[a-]", "-"));   // trailing '-' is literal
  CHECK(FnMatch("[^a]", "^"));   // '^' is not negation in fnmatch
  CHECK(FnMatch("[ab", "[ab"));  // unclosed '[' is literal
  CHECK_FALSE(FnMatch("[ab", "a"));
  CHECK(FnMatch("web[0-9][0-9]", "web07"));
  CHECK(FnMatch("*[0-9]", "abc7"));
}

TEST_CASE("ExpandBraces", "[store][glob]") {
  using V = std::vector<std::string>;
  CHECK(ExpandBraces("{a,b}c") == V{"ac", "bc"});
  CHECK(ExpandBraces("x{a,b}{1,2}") == V{"xa1", "xa2", "xb1", "xb2"});
  CHECK(ExpandBraces("{a,{b,c}}") == V{"a", "b", "c"});
  CHECK(ExpandBraces("{,a}b") == V{"ab", "b"});
  CHECK(ExpandBraces("{a}") == V{"{a}"});    // no comma: literal, as graphite
  CHECK(ExpandBraces("{a,b") == V{"{a,b"});  // unbalanced: literal
  CHECK(ExpandBraces("{a,a}") == V{"a"});
  CHECK(ExpandBraces("{x*,y?}") == V{"x*", "y?"});
  CHECK(ExpandBraces("{{a,b}}") == V{"{a}", "{b}"});  // the outer pair has no comma
  CHECK(ExpandBraces("}{a,b}{") == V{"}a{", "}b{"});  // unpaired braces are literal
  CHECK(ExpandBraces("{x,{b}") == V{"{x,{b}"});
  CHECK(ExpandBraces("a,b") == V{"a,b"});             // a comma outside a group is literal
  CHECK(ExpandBraces("{a,b}{c,d}{e,f}", 5).empty());  // over the limit: refused, not cut
}

namespace {

// "{p0,p1,...}" with `n` alternatives.
std::string Group(std::string_view prefix, int n) {
  std::string out = "{";
  for (int i = 0; i < n; ++i) out += (i ? "," : "") + std::string(prefix) + std::to_string(i);
  return out + "}";
}

std::string Repeat(std::string_view text, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += text;
  return out;
}

}  // namespace

TEST_CASE("ExpandBraces at the alternatives limit", "[store][glob]") {
  std::vector<std::string> out;
  // 2^12 = 4,096 alternatives: all of them, none dropped.
  REQUIRE(ExpandBraces(Repeat("{a,b}", 12), kMaxBraceAlternatives, &out).ok());
  CHECK(out.size() == 4096);
  CHECK(out.front() == "aaaaaaaaaaaa");
  CHECK(out.back() == "bbbbbbbbbbbb");
  REQUIRE(ExpandBraces(Group("a", 16) + Group("b", 256), kMaxBraceAlternatives, &out).ok());
  CHECK(out.size() == 4096);
  // 17 x 241 = 4,097: refused with a message naming the limit.
  const common::Status s = ExpandBraces(Group("a", 17) + Group("b", 241), 4096, &out);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("more than 4096 alternatives"));
  CHECK(out.empty());
  // One group of 4,097, and a union of nested groups past the limit.
  CHECK_FALSE(ExpandBraces(Group("a", 4097), 4096, &out).ok());
  REQUIRE(ExpandBraces(Group("a", 4096), 4096, &out).ok());
  CHECK(out.size() == 4096);
  CHECK_FALSE(ExpandBraces("{" + Group("a", 4000) + "," + Group("b", 97) + "}", 4096, &out).ok());
  // Duplicates count once.
  REQUIRE(ExpandBraces(Repeat("{,a}", 20), 4096, &out).ok());
  CHECK(out.size() == 21);
  // GlobMatcher::Create says why; the constructor matches nothing.
  auto refused = GlobMatcher::Create(Repeat("{a,b}", 13));
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.status().message(), Catch::Contains("4096"));
  CHECK_FALSE(GlobMatcher(Repeat("{a,b}", 13)).Matches("aaaaaaaaaaaaa"));
  auto fine = GlobMatcher::Create(Repeat("{a,b}", 12));
  REQUIRE(fine.ok());
  CHECK(fine->Matches("abababababab"));
}

TEST_CASE("ExpandBraces bounds the bytes it builds", "[store][glob]") {
  std::vector<std::string> out;
  // 4,096 alternatives of 256 bytes fit; of 300 bytes they do not.
  REQUIRE(ExpandBraces(Repeat("{a,b}", 12) + std::string(244, 'x'), 4096, &out).ok());
  const common::Status s = ExpandBraces(Repeat("{a,b}", 12) + std::string(288, 'x'), 4096, &out);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("1048576 bytes"));
}

TEST_CASE("GlobMatcher bounds the bytes of its wildcard alternatives", "[store][glob]") {
  // 4,096 wildcard alternatives of 32 bytes (128 KiB) fit; of 33 bytes they
  // are refused: each is matched against every name.
  auto fine = GlobMatcher::Create(Repeat("{a,b}", 12) + "*" + std::string(19, 'x'));
  REQUIRE(fine.ok());
  CHECK(fine->alternatives().size() == 4096);
  CHECK(fine->Matches("abababababab" + std::string(30, 'x')));
  auto refused = GlobMatcher::Create(Repeat("{a,b}", 12) + "*" + std::string(20, 'x'));
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.status().message(),
             Catch::Contains("more than 131072 bytes of wildcard alternatives"));
  CHECK_FALSE(GlobMatcher(Repeat("{a,b}", 12) + "*" + std::string(20, 'x'))
                  .Matches("abababababab" + std::string(30, 'x')));
  // Literal alternatives are looked up, not matched one by one: 4,096 of 256
  // bytes are not bounded by this.
  auto literal = GlobMatcher::Create(Repeat("{a,b}", 12) + std::string(244, 'x'));
  REQUIRE(literal.ok());
  CHECK(literal->Matches("bbbbbbbbbbbb" + std::string(244, 'x')));
  CHECK_FALSE(literal->Matches("bbbbbbbbbbbb" + std::string(243, 'x')));
}

TEST_CASE("GlobMatcher on the slow-match fuzz finding", "[store][glob]") {
  // 512 literal alternatives of about 500 bytes: matching each against every
  // alternative cost alternatives x alternatives x length (over 10 s under
  // ASan); literal alternatives are now looked up.
  const std::string pattern = std::string("{{\xff\x0e") + std::string(115, '{') + "b}" +
                              Repeat("{a,b}", 9) + std::string(300, '\xd1') + "}";
  const GlobMatcher matcher(pattern);
  REQUIRE(matcher.is_literal());
  REQUIRE(matcher.alternatives().size() == 512);
  for (const std::string& alt : matcher.alternatives()) CHECK(matcher.Matches(alt));
  CHECK_FALSE(matcher.Matches(matcher.alternatives().front() + "x"));
  CHECK_FALSE(matcher.Matches(""));
}

TEST_CASE("ExpandBraces handles deep nesting without recursion", "[store][glob]") {
  // 30,000 pairs around "a,b": only the innermost has a comma.
  const std::string deep = std::string(30000, '{') + "a,b" + std::string(30000, '}');
  std::vector<std::string> out;
  REQUIRE(ExpandBraces(deep, kMaxBraceAlternatives, &out).ok());
  REQUIRE(out.size() == 2);
  CHECK(out[0] == std::string(29999, '{') + "a" + std::string(29999, '}'));
  CHECK(out[1] == std::string(29999, '{') + "b" + std::string(29999, '}'));
  // 20,000 nested groups that each hold a comma.
  const std::string commas = Repeat("{a,", 20000) + "b" + std::string(20000, '}');
  REQUIRE(ExpandBraces(commas, kMaxBraceAlternatives, &out).ok());
  CHECK(out == std::vector<std::string>{"a", "b"});
  CHECK(GlobMatch(deep + ".x", std::string(29999, '{') + "b" + std::string(29999, '}') + ".x"));
}

TEST_CASE("Unbalanced braces and brackets stay linear", "[store][glob]") {
  // Quadratic before: each unpaired '{' and unclosed '[' scanned to the end.
  const std::string braces(100000, '{');
  CHECK(ExpandBraces(braces) == std::vector<std::string>{braces});
  CHECK(ExpandBraces(braces + "a,b}") ==
        std::vector<std::string>{std::string(99999, '{') + "a", std::string(99999, '{') + "b"});
  const std::string brackets = Repeat("*[", 50000);
  CHECK_FALSE(FnMatch(brackets, std::string(200, 'x')));
  CHECK(FnMatch(brackets, Repeat("[", 50000)));  // unclosed '[' is literal
  CHECK(FnMatch("*[a-c]*[", "xxbyy["));
  CHECK_FALSE(FnMatch("*[a-c]*[", "xxbyy"));
  GlobMatcher matcher(brackets);
  CHECK_FALSE(matcher.is_literal());
  CHECK_FALSE(matcher.Matches("abc"));
}

TEST_CASE("GlobMatcher literal detection and matching", "[store][glob]") {
  GlobMatcher literal("{api,web}");
  CHECK(literal.is_literal());
  CHECK(literal.alternatives() == std::vector<std::string>{"api", "web"});
  CHECK(literal.Matches("web"));
  CHECK_FALSE(literal.Matches("db"));
  GlobMatcher glob("{api*,db}");
  CHECK_FALSE(glob.is_literal());
  CHECK(glob.Matches("api2"));
  CHECK(glob.Matches("db"));
  CHECK_FALSE(glob.Matches("db2"));
  // What every match starts with, for an index seek.
  CHECK(glob.literal_prefix().empty());
  CHECK(GlobMatcher("s00*").literal_prefix() == "s00");
  CHECK(GlobMatcher("{srv1?,srv2[0-9]}").literal_prefix() == "srv");
  CHECK(GlobMatcher("api").literal_prefix() == "api");
  CHECK(GlobMatcher("*x").literal_prefix().empty());
  CHECK(HasGlob("a{b"));
  CHECK_FALSE(HasGlob("a.b_c-d"));
}

TEST_CASE("GlobMatch never crosses a dot", "[store][glob]") {
  CHECK(GlobMatch("a.*", "a.b"));
  CHECK_FALSE(GlobMatch("a.*", "a.b.c"));
  CHECK_FALSE(GlobMatch("*", "a.b"));
  CHECK(GlobMatch("*.*.c", "a.b.c"));
  CHECK(GlobMatch("stats.{timers,gauges}.*", "stats.gauges.q"));
  CHECK_FALSE(GlobMatch("stats.{timers,gauges}.*", "stats.sets.q"));
  CHECK(GlobMatch("stats.timers.api.upper_[0-9]*", "stats.timers.api.upper_90"));
  CHECK(GlobMatch("a..b", "a..b"));
  CHECK(GlobMatch("a.*.b", "a..b"));
  // Like graphite-web, a brace group holding a dot is split at the dot.
  CHECK_FALSE(GlobMatch("{a.b,c}", "c"));
  CHECK(SplitNodes("a..b") == std::vector<std::string_view>{"a", "", "b"});
}
