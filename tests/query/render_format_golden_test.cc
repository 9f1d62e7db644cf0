// Whole /render answers against graphite-web 1.1.8's own renderers
// (golden/formats.json, written by render/views.py's renderViewCsv,
// renderViewRaw and renderViewJson in golden/make_golden.py) over the same
// points: csv and raw byte for byte (number spelling, None, quoting, CRLF),
// json value for value with maxDataPoints, consolidateBy, xFilesFactor,
// noNullPoints and jsonp.
#include <cmath>
#include <string>

#include <fmt/format.h>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "golden_data.h"
#include "query/api_router.h"
#include "test_store.h"

namespace hourglass::query {
namespace {

namespace json = boost::json;

std::string Encode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '.' || c == '*' || c == '_' || c == '-') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string RenderPath(const json::object& c) {
  std::string path = "/render?from=" + std::to_string(c.at("from").to_number<int64_t>()) +
                     "&until=" + std::to_string(c.at("until").to_number<int64_t>());
  for (const json::value& t : c.at("targets").as_array())
    path += "&target=" + Encode(json::value_to<std::string>(t));
  for (const auto& [key, value] : c.at("params").as_object())
    path += "&" + std::string(key) + "=" + Encode(json::value_to<std::string>(value));
  return path;
}

// graphite-web spells infinities 1e9999 (not JSON a parser takes as a
// double); strings here so they compare exactly. jsonp's wrapper is kept.
json::value ParseJsonBody(std::string body, std::string& wrapper) {
  wrapper.clear();
  if (!body.empty() && body[0] != '[') {
    const size_t open = body.find('(');
    REQUIRE(open != std::string::npos);
    REQUIRE(body.back() == ')');
    wrapper = body.substr(0, open);
    body = body.substr(open + 1, body.size() - open - 2);
  }
  for (size_t at = 0; (at = body.find("1e9999", at)) != std::string::npos;) {
    const bool negative = at > 0 && body[at - 1] == '-';
    const size_t from = negative ? at - 1 : at;
    body.replace(from, (negative ? 7 : 6), negative ? "\"-inf\"" : "\"inf\"");
    at = from + 5;
  }
  return json::parse(body);
}

bool SameJsonValue(const json::value& got, const json::value& want) {
  if (want.is_null() || want.is_string()) return got == want;
  if (!got.is_number()) return false;
  const double g = got.to_number<double>(), w = want.to_number<double>();
  return g == w || std::fabs(g - w) <= 1e-9 * std::max(std::fabs(g), std::fabs(w));
}

void CheckJson(const std::string& got_body, const std::string& want_body) {
  std::string got_wrapper, want_wrapper;
  const json::array got = ParseJsonBody(got_body, got_wrapper).as_array();
  const json::array want = ParseJsonBody(want_body, want_wrapper).as_array();
  CHECK(got_wrapper == want_wrapper);
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const json::object& g = got[i].as_object();
    const json::object& w = want[i].as_object();
    CHECK(g.at("target") == w.at("target"));
    CHECK(g.at("tags") == w.at("tags"));
    const json::array& gp = g.at("datapoints").as_array();
    const json::array& wp = w.at("datapoints").as_array();
    REQUIRE(gp.size() == wp.size());
    size_t mismatches = 0;
    for (size_t k = 0; k < wp.size(); ++k) {
      const json::array& a = gp[k].as_array();
      const json::array& b = wp[k].as_array();
      const bool same = a.size() == 2 && a[1] == b[1] && SameJsonValue(a[0], b[0]);
      if (!same)
        UNSCOPED_INFO("point " << k << ": " << json::serialize(a) << " want "
                               << json::serialize(b));
      mismatches += same ? 0 : 1;
    }
    CHECK(mismatches == 0);
  }
}

TEST_CASE("render formats match graphite-web 1.1.8's renderers") {
  testing::TestStore db;
  testing::WriteGoldenData(db.store(),
                           testing::LoadGoldenFile("functions.json").at("data").as_object());
  const ApiRouter router(db.store(), db.stats(), db.clock(), "1.1.10");
  const json::value golden = testing::LoadGoldenFile("formats.json");
  for (const json::value& item : golden.at("cases").as_array()) {
    const json::object& c = item.as_object();
    const std::string path = RenderPath(c);
    INFO(path);
    ApiResponse got =
        router.Handle({.method = "GET", .target = path, .content_type = "", .body = ""});
    ReadWholeBody(got);
    INFO(got.body.substr(0, 2000));
    REQUIRE(got.status == 200);
    const std::string want = json::value_to<std::string>(c.at("body"));
    CHECK(got.content_type == json::value_to<std::string>(c.at("content_type")));
    if (json::value_to<std::string>(c.at("params").at("format")) == "json") {
      CheckJson(got.body, want);
    } else {
      CHECK(got.body == want);
    }
  }
}

TEST_CASE("render: rawData asks for raw, pickle for pickle, and format wins over both") {
  testing::TestStore db;
  testing::WriteGoldenData(db.store(),
                           testing::LoadGoldenFile("functions.json").at("data").as_object());
  const ApiRouter router(db.store(), db.stats(), db.clock(), "1.1.10");
  auto get = [&](const std::string& extra) {
    const std::string path = "/render?target=gaps.b&from=1420109950&until=1420110000" + extra;
    ApiResponse r =
        router.Handle({.method = "GET", .target = path, .content_type = "", .body = ""});
    ReadWholeBody(r);
    return r;
  };
  const std::string raw = "gaps.b,1420109960,1420110010,10|1.0,1.0,0.0,1.0,1.0\n";
  CHECK(get("&rawData=1").body == raw);
  CHECK(get("&rawData=true&pickle=1").body == raw);
  CHECK(get("&rawData=1&format=json").content_type == "application/json");
  CHECK(get("&pickle=1").content_type == "application/pickle");
  CHECK(get("&pickle=1&format=csv").content_type == "text/csv");
  CHECK(get("").content_type == "application/json");
}

}  // namespace
}  // namespace hourglass::query
