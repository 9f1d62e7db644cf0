#include "query/render_format.h"

#include <cmath>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "query/series.h"

namespace hourglass::query {
namespace {

// Ten values 0..9 at 100, 110, ..., 190 (end 200), as a whisper read returns.
Series TenValues(std::string name = "a.b") {
  std::vector<double> values;
  for (int i = 0; i < 10; ++i) values.push_back(i);
  return MakeSeries(std::move(name), 100, 200, 10, std::move(values));
}

TEST_CASE("maxDataPoints consolidates like graphite-web 1.1 renderViewJson") {
  SeriesList list{TenValues()};
  ApplyMaxDataPoints(list, 3);
  // valuesPerPoint = ceil(10/3) = 4, secondsPerPoint 40, nudge = 40 + 0 - 20 = 20:
  // start moves to 120 and one leading value is dropped.
  CHECK(list[0].start == 120);
  CHECK(list[0].values_per_point == 4);
  CHECK(ConsolidatedValues(list[0]) == std::vector<double>{2.5, 6.5, 9});  // partial last bucket
  CHECK(FormatJson(list, false) ==
        R"([{"target":"a.b","tags":{"name":"a.b"},"datapoints":[[2.5,120],[6.5,160],[9,200]]}])");
}

TEST_CASE("maxDataPoints: nulls, consolidateBy functions, xFilesFactor") {
  Series s = TenValues();
  s.values[5] = NAN;
  SeriesList list{s};
  ApplyMaxDataPoints(list, 3);
  CHECK(ConsolidatedValues(list[0]) == std::vector<double>{2.5, 7, 9});
  const std::pair<std::string, std::vector<double>> cases[] = {
      {"sum", {10, 21, 9}}, {"max", {4, 8, 9}},  {"min", {1, 6, 9}},
      {"first", {1, 6, 9}}, {"last", {4, 8, 9}}, {"avg_zero", {2.5, 5.25, 9}}};
  for (const auto& [func, expected] : cases) {
    Series c = list[0];
    REQUIRE(ParseConsolidationFunc(func, c.consolidation));
    INFO(func);
    CHECK(ConsolidatedValues(c) == expected);
  }
  Series strict = list[0];
  strict.x_files_factor = 1.0;  // a bucket with any null is null
  const auto values = ConsolidatedValues(strict);
  CHECK(values[0] == 2.5);
  CHECK(std::isnan(values[1]));
  CHECK(std::isnan(values[2]));  // 1 of 4 in the partial bucket
}

TEST_CASE("maxDataPoints=1 and maxDataPoints above the point count") {
  SeriesList one{TenValues()};
  ApplyMaxDataPoints(one, 1);
  CHECK(FormatJson(one, false) ==
        R"([{"target":"a.b","tags":{"name":"a.b"},"datapoints":[[4.5,100]]}])");
  SeriesList many{TenValues()};
  ApplyMaxDataPoints(many, 10);
  CHECK(many[0].values_per_point == 1);
  CHECK(many[0].values.size() == 10);
}

TEST_CASE("JSON: nulls, infinities, noNullPoints, tags, escaping") {
  // Infinities as graphite-web writes them (1e9999), kept by noNullPoints.
  Series s = MakeSeries("a.b;dc=eu;host=x\"1", 0, 40, 10, {1.5, NAN, INFINITY, -INFINITY});
  CHECK(FormatJson({s}, false) ==
        R"([{"target":"a.b;dc=eu;host=x\"1","tags":{"dc":"eu","host":"x\"1","name":"a.b"},)"
        R"("datapoints":[[1.5,0],[null,10],[1e9999,20],[-1e9999,30]]}])");
  CHECK(FormatJson({s}, true) ==
        R"([{"target":"a.b;dc=eu;host=x\"1","tags":{"dc":"eu","host":"x\"1","name":"a.b"},)"
        R"("datapoints":[[1.5,0],[1e9999,20],[-1e9999,30]]}])");
  CHECK(FormatJson({MakeSeries("i", 0, 10, 10, {INFINITY})}, true) ==
        R"([{"target":"i","tags":{"name":"i"},"datapoints":[[1e9999,0]]}])");
  Series empty = MakeSeries("e", 0, 20, 10, {NAN, NAN});
  CHECK(FormatJson({empty}, true) == "[]");
  CHECK(FormatJson({}, false) == "[]");
  CHECK(MakeSeries("sumSeries(a;b=c)", 0, 1, 1, {}).tags.at("name") == "sumSeries(a;b=c)");
}

TEST_CASE("JSON: a name with a quote, control characters or bad UTF-8 stays valid JSON") {
  const std::string name = std::string(
      "a\"b\\c\nd\x01"
      "e\x7f\xff\xF0\x9F\x98\x80;t=\x1f");
  Series s = MakeSeries(name, 0, 20, 10, {1, 2});
  const std::string out = FormatJson({s}, false);
  CHECK(out.find('\n') == std::string::npos);
  CHECK(out.find('\x01') == std::string::npos);
  CHECK(out.find("\\u0001") != std::string::npos);
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(out, ec);  // rejects bad UTF-8 and raw controls
  REQUIRE_FALSE(ec);
  const auto& series = v.as_array().at(0).as_object();
  // The bad byte 0xff reads back as U+FFFD; everything else as sent.
  CHECK(series.at("target").as_string() ==
        "a\"b\\c\nd\x01"
        "e\x7f\xEF\xBF\xBD\xF0\x9F\x98\x80;t=\x1f");
  CHECK(series.at("tags").as_object().at("t").as_string() == "\x1f");
  CHECK(series.at("datapoints").as_array().size() == 2);
}

TEST_CASE("CSV and raw like graphite-web") {
  Series s = MakeSeries("a.b", 1388534400, 1388534420, 10, {1, NAN});
  CHECK(FormatCsv({s}) == "a.b,2014-01-01 00:00:00,1.0\r\na.b,2014-01-01 00:00:10,\r\n");
  CHECK(FormatRaw({s}) == "a.b,1388534400,1388534420,10|1.0,None\n");
  Series quoted = MakeSeries("x,y", 0, 10, 10, {0.25});
  CHECK(FormatCsv({quoted}) == "\"x,y\",1970-01-01 00:00:00,0.25\r\n");
}

TEST_CASE("Python float repr") {
  CHECK(PyFloatRepr(1) == "1.0");
  CHECK(PyFloatRepr(0.1) == "0.1");
  CHECK(PyFloatRepr(-2.5) == "-2.5");
  CHECK(PyFloatRepr(1e16) == "1e+16");
  CHECK(PyFloatRepr(NAN) == "nan");
  CHECK(PyFloatRepr(INFINITY) == "inf");
}

// Values with nulls, infinities and a consolidated series, in every format.
SeriesList Mixed() {
  SeriesList list;
  for (int i = 0; i < 5; ++i) {
    std::vector<double> values;
    for (int k = 0; k < 40 + i; ++k) values.push_back(k % 7 == 3 ? NAN : k * 0.5 + i);
    values[1] = INFINITY;
    list.push_back(MakeSeries("s." + std::to_string(i) + ";k=v\"", 100, 100 + 10 * (40 + i), 10,
                              std::move(values)));
  }
  list.push_back(MakeSeries("empty", 0, 20, 10, {NAN, NAN}));
  list[2].values_per_point = 3;
  return list;
}

std::string InParts(const SeriesList& list, RenderFormat format, size_t limit, bool nnp = false,
                    std::string_view jsonp = {}) {
  RenderWriter writer(list, format, nnp, jsonp);
  std::string body, part;
  bool more = true;
  while (more) {
    part.clear();
    more = writer.Next(part, limit);
    CHECK(part.size() < limit + 100);  // stops at the first point boundary past the limit
    body += part;
  }
  std::string after;
  CHECK_FALSE(writer.Next(after, limit));
  CHECK(after.empty());
  return body;
}

TEST_CASE("RenderWriter in parts writes what the whole formats write") {
  const SeriesList list = Mixed();
  for (size_t limit : {size_t{1}, size_t{7}, size_t{100}, size_t{4096}}) {
    INFO(limit);
    CHECK(InParts(list, RenderFormat::kJson, limit) == FormatJson(list, false));
    CHECK(InParts(list, RenderFormat::kJson, limit, true) == FormatJson(list, true));
    CHECK(InParts(list, RenderFormat::kJson, limit, false, "cb") ==
          "cb(" + FormatJson(list, false) + ")");
    CHECK(InParts(list, RenderFormat::kCsv, limit) == FormatCsv(list));
    CHECK(InParts(list, RenderFormat::kRaw, limit) == FormatRaw(list));
  }
  CHECK(InParts({}, RenderFormat::kJson, 1) == "[]");
  CHECK(InParts({}, RenderFormat::kCsv, 1).empty());
}

TEST_CASE("RenderStream writes the whole answer, releasing series as it goes") {
  RenderStream stream(Mixed(), RenderFormat::kJson, false, {});
  std::string body, part;
  while (stream.Next(part, part.size() + 64)) {
  }
  CHECK(part == FormatJson(Mixed(), false));
}

}  // namespace
}  // namespace hourglass::query
