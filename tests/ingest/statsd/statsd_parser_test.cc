#include "ingest/statsd/statsd_parser.h"

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

namespace hourglass::ingest {
namespace {

using aggregator::MetricType;

struct Parsed {
  std::string key;
  MetricType type;
  double value;
  double rate;
  bool delta;
  std::string member;
};

struct Result {
  ParseCounts counts;
  std::vector<Parsed> samples;
};

Result Parse(std::string_view datagram) {
  Result r;
  std::string scratch;
  r.counts = ParseDatagram(datagram, scratch, [&](const aggregator::Sample& s) {
    r.samples.push_back({std::string(s.key), s.type, s.value, s.sample_rate, s.gauge_delta,
                         std::string(s.set_member)});
  });
  return r;
}

// Expects exactly one bad line and no sample.
void ExpectBad(std::string_view datagram) {
  INFO("datagram: " << datagram);
  const Result r = Parse(datagram);
  CHECK(r.counts.bad_lines == 1);
  CHECK(r.samples.empty());
}

TEST_CASE("parser: every type", "[statsd_parser]") {
  const Result r = Parse("a:1|c\nb:2.5|g\nc:320|ms\nd:7|h\ne:8|d\nf:alice|s");
  REQUIRE(r.samples.size() == 6);
  CHECK(r.counts.metrics == 6);
  CHECK(r.counts.bad_lines == 0);
  CHECK(r.counts.samples == 6);
  CHECK(r.samples[0].type == MetricType::kCounter);
  CHECK(r.samples[0].value == 1);
  CHECK(r.samples[1].type == MetricType::kGauge);
  CHECK(r.samples[1].value == 2.5);
  CHECK_FALSE(r.samples[1].delta);
  CHECK(r.samples[2].type == MetricType::kTimer);
  CHECK(r.samples[2].value == 320);
  CHECK(r.samples[3].type == MetricType::kTimer);
  CHECK(r.samples[4].type == MetricType::kTimer);
  CHECK(r.samples[5].type == MetricType::kSet);
  CHECK(r.samples[5].member == "alice");
  CHECK(r.samples[5].key == "f");
}

TEST_CASE("parser: gauge deltas and signs", "[statsd_parser]") {
  const Result r = Parse("g:+5|g\ng:-3|g\ng:4|g\nc:+2|c\nc:-2|c");
  REQUIRE(r.samples.size() == 5);
  CHECK(r.samples[0].delta);
  CHECK(r.samples[0].value == 5);
  CHECK(r.samples[1].delta);
  CHECK(r.samples[1].value == -3);
  CHECK_FALSE(r.samples[2].delta);
  CHECK(r.samples[3].value == 2);
  CHECK(r.samples[4].value == -2);
  CHECK_FALSE(r.samples[3].delta);
}

TEST_CASE("parser: sample rates", "[statsd_parser]") {
  const Result r = Parse("a:1|c|@0.1\nb:5|ms|@0.5\ng:3|g|@0.5\ns:x|s|@0.5");
  REQUIRE(r.samples.size() == 4);
  CHECK(r.samples[0].rate == 0.1);
  CHECK(r.samples[1].rate == 0.5);
  CHECK(r.samples[2].rate == 0.5);  // validated; the aggregator ignores it for gauges
  CHECK(r.counts.bad_lines == 0);
  ExpectBad("a:1|c|@x");
  ExpectBad("a:1|c|@");
  ExpectBad("a:1|c|@-0.5");
  ExpectBad("a:1|c|@0");
  ExpectBad("a:1|c|@1.2.3");
  ExpectBad("a:1|c|@0.5e1");
  ExpectBad("a:1|c|0.5");
  ExpectBad("a:1|c|");
  ExpectBad("s:x|s|@bad");  // etsy checks the rate for every type
}

TEST_CASE("parser: several values per line and lines per datagram", "[statsd_parser]") {
  const Result r = Parse("key:1|c:2|ms:3|g\r\n\nother:4|c\n\n");
  REQUIRE(r.samples.size() == 4);
  CHECK(r.counts.metrics == 2);  // empty lines are neither metrics nor bad
  CHECK(r.counts.bad_lines == 0);
  CHECK(r.samples[0].key == "key");
  CHECK(r.samples[1].type == MetricType::kTimer);
  CHECK(r.samples[1].value == 2);
  CHECK(r.samples[2].type == MetricType::kGauge);
  CHECK(r.samples[3].key == "other");

  const Result mixed = Parse("key:1|c:oops:2|x:3|ms");
  CHECK(mixed.samples.size() == 2);
  CHECK(mixed.counts.bad_lines == 2);
  CHECK(mixed.counts.metrics == 1);
}

TEST_CASE("parser: key sanitizing like etsy", "[statsd_parser]") {
  CHECK(Parse("my  key\there:1|c").samples.at(0).key == "my_key_here");
  CHECK(Parse("a/b/c:1|c").samples.at(0).key == "a-b-c");
  CHECK(Parse("a$b%c(d)e*f!:1|c").samples.at(0).key == "abcdef");
  CHECK(Parse("ok-_.9Z:1|c").samples.at(0).key == "ok-_.9Z");
  CHECK(Parse("caf\xc3\xa9 \x01x:1|c").samples.at(0).key == "caf_x");
  CHECK(Parse(" / :1|c").samples.at(0).key == "_-_");
}

TEST_CASE("parser: DogStatsD tags become canonical Graphite tags", "[statsd_parser]") {
  const Result r = Parse("api.hits:1|c|#host:a,env:prod");
  REQUIRE(r.samples.size() == 1);
  CHECK(r.samples[0].key == "api.hits;env=prod;host=a");

  CHECK(Parse("t:1|ms|@0.5|#b:2,a:1").samples.at(0).key == "t;a=1;b=2");
  CHECK(Parse("t:1|ms|#b:2|@0.5").samples.at(0).rate == 0.5);
  // Bare flags and empty values are dropped; duplicates keep the first.
  CHECK(Parse("t:1|c|#flag,env:,x:1,x:2").samples.at(0).key == "t;x=1");
  CHECK(Parse("t:1|c|#flag").samples.at(0).key == "t");
  // Graphite's order: ";name=value" strings, as carbon writes the same series
  // ('-' sorts before '=', so "a-b" comes before "a").
  CHECK(Parse("t:1|c|#a:2,a-b:1,ab:3").samples.at(0).key == "t;a-b=1;a=2;ab=3");
  // Sanitizing as etsy 0.9: ':' -> '=' and ';' -> '_' first, then like a
  // key with '=' kept; the first '=' separates name and value.
  CHECK(Parse("t:1|c|#na me:ht tp://x;y=z").samples.at(0).key == "t;na_me=ht_tp=--x_y=z");
  CHECK(Parse("t:1|c|#url:http://x").samples.at(0).key == "t;url=http=--x");
  CHECK(Parse("t:1|c|#a=b:c").samples.at(0).key == "t;a=b=c");
  CHECK(Parse("t:1|c|#:v,=w,k=").samples.at(0).key == "t");
  // The key itself is sanitized too.
  CHECK(Parse("a b:1|c|#k:v").samples.at(0).key == "a_b;k=v");
  // DogStatsD container id and timestamp fields are ignored.
  const Result dd = Parse("x:2|c|#k:v|c:abc123|T1656581400");
  REQUIRE(dd.samples.size() == 1);
  CHECK(dd.samples[0].key == "x;k=v");
  CHECK(dd.counts.bad_lines == 0);
}

TEST_CASE("parser: the tags of a line belong to every value in it, as in etsy 0.9",
          "[statsd_parser]") {
  const Result r = Parse("t:1|ms:2|ms|#env:prod,host:a");
  REQUIRE(r.samples.size() == 2);
  CHECK(r.samples[0].key == "t;env=prod;host=a");
  CHECK(r.samples[0].value == 1);
  CHECK(r.samples[1].key == "t;env=prod;host=a");
  CHECK(r.samples[1].value == 2);
  CHECK(r.counts.bad_lines == 0);
  // A key too long with its tags makes every value of the line bad.
  const Result lng = Parse("t:1|c:2|c|#k:" + std::string(kMaxKeyLength, 'v'));
  CHECK(lng.samples.empty());
  CHECK(lng.counts.bad_lines == 2);
}

TEST_CASE("parser: a negative timer is a bad line (etsy's is_valid_packet)", "[statsd_parser]") {
  ExpectBad("x:-5|ms");
  ExpectBad("x:-0.001|ms|@0.5");
  CHECK(Parse("x:0|ms").samples.size() == 1);
  CHECK(Parse("x:-0|ms").samples.size() == 1);  // Number("-0") >= 0 in JavaScript
  const Result mixed = Parse("x:1|ms:-1|ms:2|ms");
  CHECK(mixed.samples.size() == 2);
  CHECK(mixed.counts.bad_lines == 1);
  // Other types keep their negative values.
  CHECK(Parse("x:-5|c").samples.at(0).value == -5);
  CHECK(Parse("x:-5|h").samples.at(0).value == -5);
  CHECK(Parse("x:-5|g").samples.at(0).delta);
}

// "0." followed by `zeros` zeros and `digits`.
std::string Decimal(int zeros, std::string_view digits) {
  return "0." + std::string(static_cast<size_t>(zeros), '0') + std::string(digits);
}

TEST_CASE("parser: a rate or value that would make a counter or timer inf is a bad line",
          "[statsd_parser]") {
  // 1 / 1e-310 is inf (the issue's subnormal rate).
  const std::string tiny = "@" + Decimal(309, "1");
  ExpectBad("a:1|c|" + tiny);
  ExpectBad("t:1|ms|" + tiny);
  ExpectBad("a:0|c|" + tiny);  // 0 * inf is NaN
  // Gauges and sets do not use the rate: kept.
  CHECK(Parse("g:1|g|" + tiny).samples.size() == 1);
  CHECK(Parse("s:x|s|" + tiny).samples.size() == 1);
  // At the bound: 1 / DBL_MAX is 5.5627e-309.
  CHECK(Parse("a:1|c|@" + Decimal(308, "557")).samples.size() == 1);
  CHECK(Parse("t:1|ms|@" + Decimal(308, "557")).samples.size() == 1);
  ExpectBad("a:1|c|@" + Decimal(308, "556"));
  ExpectBad("t:1|ms|@" + Decimal(308, "556"));
  // value * (1 / rate): finite up to DBL_MAX.
  CHECK(Parse("a:8.98e307|c|@0.5").samples.size() == 1);
  ExpectBad("a:8.99e307|c|@0.5");
  CHECK(Parse("a:1.7e308|c").samples.size() == 1);
}

TEST_CASE("parser: sets", "[statsd_parser]") {
  const Result r = Parse("s:|s\ns: a b |s");
  REQUIRE(r.samples.size() == 2);
  CHECK(r.samples[0].member == "0");  // etsy inserts '0' for an empty member
  CHECK(r.samples[1].member == " a b ");
}

TEST_CASE("parser: malformed lines are counted and skipped", "[statsd_parser]") {
  ExpectBad("nocolon");
  ExpectBad("key:1");    // missing type
  ExpectBad("key:1|");   // empty type
  ExpectBad("key:1|x");  // unknown type
  ExpectBad("key:1|cc");
  ExpectBad("key:|c");  // empty value
  ExpectBad("key: |ms");
  ExpectBad(":1|c");     // empty key
  ExpectBad("$%^:1|c");  // key empty after sanitizing
  ExpectBad("key:abc|c");
  ExpectBad("key:1x|g");
  ExpectBad("key:0x10|c");
  ExpectBad("key:NaN|c");
  ExpectBad("key:inf|ms");
  ExpectBad("key:-Infinity|g");
  ExpectBad("key:1e999|c");
  ExpectBad("key:+-1|g");
  ExpectBad("key:1|c|@0.5|@0.5");
  ExpectBad("key:1|c|junk");
  ExpectBad("key:");
  ExpectBad(std::string(5000, 'k') + ":1|c");  // key too long
  const Result r = Parse("bad\ngood:1|c\n:1|c\nalso:2|c");
  CHECK(r.samples.size() == 2);
  CHECK(r.counts.bad_lines == 2);
  CHECK(r.counts.metrics == 4);
}

TEST_CASE("parser: numbers like JavaScript's Number()", "[statsd_parser]") {
  const Result r = Parse("a:1e3|c\na:.5|ms\na: 7 |g\na:5.|c");
  REQUIRE(r.samples.size() == 4);
  CHECK(r.samples[0].value == 1000);
  CHECK(r.samples[1].value == 0.5);
  CHECK(r.samples[2].value == 7);
  CHECK(r.samples[3].value == 5);
}

TEST_CASE("parser: huge lines and random bytes never crash", "[statsd_parser]") {
  std::string huge = "k:";
  for (int i = 0; i < 20000; ++i) huge += "1|c:";
  huge += "1|c";
  const Result r = Parse(huge);
  CHECK(r.samples.size() == 20001);
  CHECK(r.counts.bad_lines == 0);

  std::string tags = "k:1|c|#";
  for (int i = 0; i < 1000; ++i) tags += "t" + std::to_string(i) + ":v,";
  const Result t = Parse(tags);
  CHECK(t.samples.size() + t.counts.bad_lines == 1);

  std::mt19937 rng(42);
  const std::string alphabet = "ab:|@#,.\n\r -+0123456789cgmsdh;=\x01\xff/";
  std::string scratch;
  for (int round = 0; round < 20000; ++round) {
    std::string d(rng() % 64, ' ');
    for (char& c : d) {
      c = (rng() % 4 == 0) ? static_cast<char>(rng()) : alphabet[rng() % alphabet.size()];
    }
    size_t seen = 0;
    const ParseCounts counts = ParseDatagram(d, scratch, [&](const aggregator::Sample& s) {
      ++seen;
      REQUIRE(!s.key.empty());
      REQUIRE(s.key.size() <= kMaxKeyLength);
      REQUIRE(std::isfinite(s.value));
      REQUIRE(s.sample_rate > 0);
    });
    REQUIRE(counts.samples == seen);
  }
}

}  // namespace
}  // namespace hourglass::ingest
