#include "ingest/carbon/carbon_parser.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

namespace hourglass::ingest {
namespace {

constexpr int64_t kNow = 1700000000;

CarbonLineStatus Parse(std::string_view text, CarbonLine& out) {
  return ParseCarbonLine(text, kNow, out);
}

std::string Canonical(std::string_view name) {
  auto r = CanonicalCarbonName(name);
  return r.ok() ? *r : "ERROR: " + r.status().message();
}

TEST_CASE("carbon line: name value timestamp, split on any whitespace") {
  CarbonLine line;
  REQUIRE(Parse("servers.www01.cpu 42.5 1208815315", line) == CarbonLineStatus::kPoint);
  CHECK(line.name == "servers.www01.cpu");
  CHECK(line.value == 42.5);
  CHECK(line.timestamp == 1208815315);
  REQUIRE(Parse("  a.b\t\t7   1600000000.9 \r", line) == CarbonLineStatus::kPoint);
  CHECK(line.name == "a.b");
  CHECK(line.value == 7);
  CHECK(line.timestamp == 1600000000);  // int() truncates, as whisper does
}

TEST_CASE("carbon line: -1 as timestamp means now") {
  CarbonLine line;
  REQUIRE(Parse("a 1 -1", line) == CarbonLineStatus::kPoint);
  CHECK(line.timestamp == kNow);
  REQUIRE(Parse("a 1 -1.7", line) == CarbonLineStatus::kPoint);  // int(-1.7) == -1
  CHECK(line.timestamp == kNow);
  CHECK(Parse("a 1 -2", line) == CarbonLineStatus::kBadTimestamp);
}

TEST_CASE("carbon line: field count errors and blank lines") {
  CarbonLine line;
  CHECK(Parse("", line) == CarbonLineStatus::kBlank);
  CHECK(Parse(" \r", line) == CarbonLineStatus::kBlank);
  CHECK(Parse("a.b 1", line) == CarbonLineStatus::kBadFields);
  CHECK(Parse("a.b", line) == CarbonLineStatus::kBadFields);
  CHECK(Parse("a.b 1 2 3", line) == CarbonLineStatus::kBadFields);
  CHECK(Parse("a b c", line) == CarbonLineStatus::kBadTimestamp);
  CHECK(Parse("a b 1", line) == CarbonLineStatus::kBadValue);
}

TEST_CASE("carbon line: values as Python's float() reads them") {
  double v = 0;
  CHECK((ParsePythonFloat("1e3", v) && v == 1000));
  CHECK((ParsePythonFloat("+2.5", v) && v == 2.5));
  CHECK((ParsePythonFloat("-.5", v) && v == -0.5));
  CHECK((ParsePythonFloat("5.", v) && v == 5));
  CHECK((ParsePythonFloat("1_000", v) && v == 1000));
  CHECK((ParsePythonFloat("Infinity", v) && std::isinf(v) && v > 0));
  CHECK((ParsePythonFloat("-inf", v) && std::isinf(v) && v < 0));
  CHECK((ParsePythonFloat("NaN", v) && std::isnan(v)));
  CHECK((ParsePythonFloat("1e999", v) && std::isinf(v)));
  for (const char* bad : {"", "-", "0x10", "1,5", "1e", "_1", "1_", "1__0", "nan(1)", "1.2.3",
                          "++1", "infinit", "one"}) {
    INFO(bad);
    CHECK_FALSE(ParsePythonFloat(bad, v));
  }
}

TEST_CASE("carbon line: NaN values are dropped, not counted as bad") {
  CarbonLine line;
  CHECK(Parse("a nan 1600000000", line) == CarbonLineStatus::kNanValue);
  REQUIRE(Parse("a inf 1600000000", line) == CarbonLineStatus::kPoint);
  CHECK(std::isinf(line.value));
  CHECK(Parse("a 1 nan", line) == CarbonLineStatus::kBadTimestamp);
  CHECK(Parse("a 1 inf", line) == CarbonLineStatus::kBadTimestamp);
  CHECK(Parse("a 1 1e12", line) == CarbonLineStatus::kBadTimestamp);
}

TEST_CASE("carbon names: tags canonicalized as TaggedSeries.parse does") {
  CHECK(Canonical("cpu;host=a;dc=eu") == "cpu;dc=eu;host=a");
  CHECK(Canonical("cpu;dc=eu;dc=us") == "cpu;dc=us");    // the last one wins
  CHECK(Canonical("cpu;name=other;x=1") == "cpu;x=1");   // name is the metric
  CHECK(Canonical("~cpu;x=1") == "cpu;x=1");             // leading ~ dropped
  CHECK(Canonical("cpu;a=1;a.b=2") == "cpu;a.b=2;a=1");  // sorted as ";tag=value" strings
  CHECK(Canonical("a.b.c;x=v=w") == "a.b.c;x=v=w");      // '=' allowed in values
  CHECK(Canonical("cpu;x=1").starts_with("cpu;x=1"));
  for (const char* bad : {";x=1", "cpu;x", "cpu;=1", "cpu;x=", "cpu;x!=1", "cpu;x=~1", "cpu;",
                          "~;x=1", "cpu;x^y=1"}) {
    INFO(bad);
    CHECK_FALSE(CanonicalCarbonName(bad).ok());
  }
}

TEST_CASE("carbon names: OpenMetrics form") {
  CHECK(Canonical(R"(cpu{host="a",dc="eu"})") == "cpu;dc=eu;host=a");
  CHECK(Canonical(R"(cpu{q="say \"hi\""})") == "cpu;q=say \"hi\"");
  CHECK(Canonical(R"(cpu{a="1":,b="2"})") == "cpu;a=1;b=2");  // carbon's regex allows ':,'
  CHECK_FALSE(CanonicalCarbonName(R"({a="1"})").ok());
  CHECK_FALSE(CanonicalCarbonName(R"(cpu{a=""})").ok());
  CHECK_FALSE(CanonicalCarbonName(R"(cpu{a="1" b="2"})").ok());
}

TEST_CASE("carbon names: untagged names as whisper stores them") {
  CHECK(Canonical("a.b.c") == "a.b.c");
  CHECK(Canonical("a..b.") == "a.b");
  CHECK(Canonical(".a") == "a");
  CHECK(Canonical("~a.b") == "a.b");
  CHECK_FALSE(CanonicalCarbonName("..").ok());
  CHECK_FALSE(CanonicalCarbonName("~").ok());
  CHECK_FALSE(CanonicalCarbonName("a\x01"
                                  "b")
                  .ok());
  CHECK_FALSE(CanonicalCarbonName("a\xff").ok());
  CHECK(Canonical("caf\xc3\xa9.x") == "caf\xc3\xa9.x");
  CarbonLine line;
  CHECK(Parse("a\x7f"
              "b 1 2",
              line) == CarbonLineStatus::kBadName);
  REQUIRE(Parse("x;b=2;a=1 3 1600000000", line) == CarbonLineStatus::kPoint);
  CHECK(line.name == "x;a=1;b=2");
}

TEST_CASE("carbon names: a '~' after empty nodes is dropped like a leading one (fuzz finding)") {
  // ".~a" used to be stored as "~a", a name that itself canonicalizes to "a";
  // ".~" was stored as "~", a name carbon refuses.
  CHECK(Canonical(".~a") == "a");
  CHECK(Canonical("..~~a.b") == "a.b");
  CHECK(Canonical("~.a") == "a");
  CHECK(Canonical("a.~b") == "a.~b");  // only the start of the name
  CHECK_FALSE(CanonicalCarbonName(".~").ok());
  CHECK_FALSE(CanonicalCarbonName(".~.").ok());
  CarbonLine line;
  CHECK(Parse(".~ 1 1600000000", line) == CarbonLineStatus::kBadName);
  REQUIRE(Parse(".~x 1 1600000000", line) == CarbonLineStatus::kPoint);
  CHECK(line.name == "x");
  for (const char* name : {".~a", "a.~b", ".~]c^^=9s&~c^", "~.a", "a.b~"}) {
    auto once = CanonicalCarbonName(name);
    REQUIRE(once.ok());
    CHECK(Canonical(*once) == *once);  // canonical names are fixed points
  }
}

TEST_CASE("carbon names: canonical names are fixed points (fuzz finding)") {
  // 'c;a<"1"pu{aB"1" b="2"}' used to be stored as 'c;a<"1"pu;aB"1" b=2', a
  // name carbon's ';' form then refuses: a metric with ';' is refused.
  CHECK_FALSE(CanonicalCarbonName(R"(c;a<"1"pu{aB"1" b="2"})").ok());
  CHECK_FALSE(CanonicalCarbonName(R"(c;d{b="2"})").ok());
  // A result that would be read back as the OpenMetrics form is refused.
  CHECK_FALSE(CanonicalCarbonName(R"(a{;z=x"};b=1)").ok());
  CHECK_FALSE(CanonicalCarbonName(R"(a{"}.)").ok());
  CHECK_FALSE(CanonicalCarbonName(R"(a{b="1"};name=y)").ok());
  // A series with no tag but "name" is an untagged name.
  CHECK(Canonical("a..b;name=x") == "a.b");
  CHECK(Canonical(R"(.~a.{name="x"})") == "a");
  // Valid names keep carbon's meaning.
  CHECK(Canonical(R"(c.d{b="2"})") == "c.d;b=2");
  CHECK(Canonical(R"(a{b="x\"}y"})") == "a;b=x\"}y");
  CarbonLine line;
  CHECK(Parse(R"(c;a{b="2"} 1 1600000000)", line) == CarbonLineStatus::kBadName);
  for (const char* name : {"a..b;name=x", R"(.~a.{name="x"})", R"(c.d{b="2"})", R"(a{b="x\"}y"})",
                           R"(a{b="{\"}"})", "a{;b=x\"};z=1", ".a;b=1"}) {
    auto once = CanonicalCarbonName(name);
    if (!once.ok()) continue;
    INFO(name << " -> " << *once);
    CHECK(Canonical(*once) == *once);
  }
}

std::vector<std::string> Feed(CarbonLineSplitter& splitter, std::string_view data,
                              size_t* dropped = nullptr) {
  std::vector<std::string> lines;
  const size_t n = splitter.Feed(data, [&](std::string_view l) { lines.emplace_back(l); });
  if (dropped) *dropped = n;
  return lines;
}

TEST_CASE("carbon splitter: lines across reads, overlong lines dropped") {
  CarbonLineSplitter splitter(10);
  CHECK(Feed(splitter, "a 1 2\nb 3") == std::vector<std::string>{"a 1 2"});
  CHECK(Feed(splitter, " 4\n\nc") == std::vector<std::string>{"b 3 4", ""});
  size_t dropped = 0;
  CHECK(Feed(splitter, "ccccccccccccc", &dropped).empty());
  CHECK(dropped == 1);
  CHECK(Feed(splitter, "cccc\nd 1 2\n", &dropped) == std::vector<std::string>{"d 1 2"});
  CHECK(dropped == 0);
  CHECK(Feed(splitter, "0123456789\n01234567890\ne\n", &dropped) ==
        std::vector<std::string>{"0123456789", "e"});
  CHECK(dropped == 1);
  Feed(splitter, "tail 1 2");
  std::vector<std::string> rest;
  splitter.Finish([&](std::string_view l) { rest.emplace_back(l); });
  CHECK(rest == std::vector<std::string>{"tail 1 2"});
}

}  // namespace
}  // namespace hourglass::ingest
