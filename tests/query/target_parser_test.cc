#include "query/target_parser.h"

#include <catch2/catch.hpp>

namespace hourglass::query {
namespace {

using Kind = Expr::Kind;

Expr Parse(std::string_view text) {
  auto r = ParseTarget(text);
  INFO(text << ": " << r.status().message());
  REQUIRE(r.ok());
  return *r;
}

TEST_CASE("path expressions keep globs, braces, ranges and tags") {
  for (std::string_view path :
       {"a.b.c", "a.{b,c}.*", "a.b[0-9]", "stats.timers.api?.mean", "a.b;k=v", "a.b;k=v;dc=eu-1",
        "servers.*.cpu-0.load_avg", "a.{b,c}d.e", "100", "a:b.c@d"}) {
    Expr e = Parse(path);
    CHECK(e.kind == Kind::kPath);
    CHECK(e.text == path);
  }
}

TEST_CASE("calls with positional and keyword arguments of every type") {
  Expr e = Parse(R"x(f(a.b, 'x', "y\"z", 1, -2.5, 1e3, true, False, None, key=3, other="s"))x");
  REQUIRE(e.kind == Kind::kCall);
  CHECK(e.text == "f");
  REQUIRE(e.args.size() == 9);
  CHECK(e.args[0].kind == Kind::kPath);
  CHECK(e.args[1].kind == Kind::kString);
  CHECK(e.args[1].text == "x");
  CHECK(e.args[2].text == R"x(y\"z)x");  // kept raw, as graphite does
  CHECK(e.args[3].kind == Kind::kInt);
  CHECK(e.args[3].int_value == 1);
  CHECK(e.args[4].kind == Kind::kFloat);
  CHECK(e.args[4].float_value == -2.5);
  CHECK(e.args[5].kind == Kind::kFloat);
  CHECK(e.args[5].float_value == 1000);
  CHECK(e.args[6].kind == Kind::kBool);
  CHECK(e.args[6].bool_value);
  CHECK(e.args[7].kind == Kind::kBool);
  CHECK_FALSE(e.args[7].bool_value);
  CHECK(e.args[8].kind == Kind::kNone);
  REQUIRE(e.kwarg_names == std::vector<std::string>{"key", "other"});
  CHECK(e.kwarg_values[0].int_value == 3);
  CHECK(e.kwarg_values[1].text == "s");
}

TEST_CASE("Grafana's aliasSub wrapper keeps the backslash") {
  Expr e = Parse(R"x(aliasSub(a.b, "(^.*$)", "\1 A"))x");
  REQUIRE(e.args.size() == 3);
  CHECK(e.args[1].text == "(^.*$)");
  CHECK(e.args[2].text == "\\1 A");
}

TEST_CASE("nested calls and pipes") {
  Expr e = Parse("alias(sumSeries(a.*, b.{c,d}), 'total')");
  REQUIRE(e.args.size() == 2);
  CHECK(e.args[0].kind == Kind::kCall);
  CHECK(e.args[0].text == "sumSeries");
  CHECK(e.args[0].args.size() == 2);
  CHECK(e.args[0].args[1].text == "b.{c,d}");

  Expr piped = Parse("a.b|aliasByNode(1) | alias('x')");
  REQUIRE(piped.kind == Kind::kCall);
  CHECK(piped.text == "alias");
  REQUIRE(piped.args.size() == 2);
  CHECK(piped.args[0].text == "aliasByNode");
  CHECK(piped.args[0].args[0].text == "a.b");
  CHECK(piped.args[0].args[1].int_value == 1);
  CHECK(Parse("constantLine(100)").args[0].kind == Kind::kInt);
  CHECK(Parse(" f ( a.b ) ").args[0].text == "a.b");
  CHECK(Parse("f()").args.empty());
  // A path that starts with digits is still a path.
  CHECK(Parse("f(1abc.d)").args[0].kind == Kind::kPath);
}

TEST_CASE("bad expressions are errors, never crashes") {
  for (std::string_view bad : {"", "f(", "f(a.b", "f(a.b,)", "f(a=1, b.c)", "a.b)", "f('x)",
                               "a.{b,c", "a.b|c.d", "f(a.b) g", "(a.b)", ",", "f(,)"}) {
    INFO(bad);
    auto r = ParseTarget(bad);
    CHECK_FALSE(r.ok());
    CHECK(r.status().message().starts_with("Invalid target"));
  }
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "f(";
  deep += "a";
  for (int i = 0; i < 200; ++i) deep += ")";
  CHECK_FALSE(ParseTarget(deep).ok());
  CHECK_FALSE(ParseTarget(std::string(kMaxTargetLength + 1, 'a')).ok());
}

namespace {

std::string Repeat(std::string_view text, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += text;
  return out;
}

// The path "a" under `n` nested calls.
std::string Nested(int n) { return Repeat("f(", n) + "a" + Repeat(")", n); }
// The path "a" under `n` piped calls: a|f()|f()... is f(f(a)).
std::string Piped(int n) { return "a" + Repeat("|f()", n); }

void CheckTooDeep(const std::string& target) {
  auto r = ParseTarget(target);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("nested too deeply"));
}

}  // namespace

TEST_CASE("nesting limit: 64 levels accepted, 65 refused, pipes included") {
  static_assert(kMaxNestingDepth == 64);
  CHECK(Parse(Nested(64)).kind == Kind::kCall);
  CheckTooDeep(Nested(65));
  Expr piped = Parse(Piped(64));
  CHECK(piped.kind == Kind::kCall);
  CheckTooDeep(Piped(65));
  // A pipe chain deep inside calls: the depths add up.
  CHECK(Parse(Repeat("f(", 32) + Piped(32) + Repeat(")", 32)).kind == Kind::kCall);
  CheckTooDeep(Repeat("f(", 32) + Piped(33) + Repeat(")", 32));
  // A pipe after a 64-deep call puts the innermost path at 65.
  CHECK(Parse(Nested(63) + "|g()").kind == Kind::kCall);
  CheckTooDeep(Nested(64) + "|g()");
  CheckTooDeep(Nested(32) + Repeat("|g()", 33));
  // 1,400 pipes in 16 KB (the regression input's shape) are refused at once.
  CheckTooDeep("constantLine(1)" + Repeat("|absolute()", 1400));
  // The path inside a piped call's own arguments counts from that call.
  CHECK(Parse("a" + Repeat("|f()", 63) + "|g(" + Nested(0) + ")").kind == Kind::kCall);
}

TEST_CASE("ExprToString prints calls back") {
  CHECK(ExprToString(Parse("f(a.b, 'x', 1, k=2.5)")) == "f(a.b,'x',1,k=2.5)");
}

}  // namespace
}  // namespace hourglass::query
