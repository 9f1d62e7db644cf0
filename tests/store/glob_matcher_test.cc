#include "store/glob_matcher.h"

#include <catch2/catch.hpp>

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
  CHECK(ExpandBraces("{a,b}{c,d}{e,f}", 5).size() == 5);  // bounded
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
