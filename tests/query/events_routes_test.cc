// /events routes and the events() render function through the ApiRouter over
// a real store, against answers graphite-web computed for the same events
// (golden/events.json, from golden/make_events_golden.py), and at the bounds.
#include "query/events_routes.h"

#include <fmt/format.h>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cctype>
#include <fstream>
#include <sstream>

#include "query/api_router.h"
#include "test_store.h"

namespace hourglass::query {
namespace {

using testing::kNow;
using testing::TestStore;

struct Fixture {
  explicit Fixture(EventLimits limits = {})
      : router(store.store(), store.stats(), store.clock(), "1.1.10", {}, {}, limits) {}
  ApiResponse Get(std::string_view target) const {
    return router.Handle({.method = "GET", .target = target, .content_type = "", .body = ""});
  }
  ApiResponse Post(std::string_view body,
                   std::string_view content_type = "application/x-www-form-urlencoded") const {
    return router.Handle(
        {.method = "POST", .target = "/events/", .content_type = content_type, .body = body});
  }
  uint64_t Counter(const std::string& name) { return store.stats().GetCounter(name, "").Value(); }
  TestStore store;
  ApiRouter router;
};

std::string PercentEncodeForTest(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '*') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

boost::json::value Golden() {
  std::ifstream in(std::string(HG_GOLDEN_DIR) + "/events.json");
  std::stringstream text;
  text << in.rdbuf();
  return boost::json::parse(text.str());
}

TEST_CASE("events: get_data answers what graphite-web answers for the same events") {
  Fixture f;
  const boost::json::value golden = Golden();
  for (const boost::json::value& event : golden.at("events").as_array()) {
    // curl -d and Grafana's own annotation posts send a form content type.
    ApiResponse r = f.Post(boost::json::serialize(event));
    INFO(r.body);
    REQUIRE(r.status == 200);
  }
  CHECK(f.Counter("events.stored") == golden.at("events").as_array().size());
  for (const boost::json::value& q : golden.at("queries").as_array()) {
    const std::string query(q.at("query").as_string());
    ApiResponse r = f.Get("/events/get_data?" + query);
    INFO(query << " -> " << r.body);
    CHECK(r.status == q.at("status").as_int64());
    const std::string want(q.at("body").as_string());
    if (query.find("jsonp=") != std::string::npos) {
      CHECK(r.content_type == "text/javascript");
      CHECK(r.body == want);
    } else {
      CHECK(r.content_type == "application/json");
      CHECK(boost::json::parse(r.body) == boost::json::parse(want));
      CHECK(r.body == want);  // graphite-web's separators and key order too
    }
  }
}

TEST_CASE("events: events() counts events per second as graphite-web does") {
  Fixture f;
  const boost::json::value golden = Golden();
  for (const boost::json::value& event : golden.at("events").as_array()) {
    REQUIRE(f.Post(boost::json::serialize(event), "application/json").status == 200);
  }
  for (const boost::json::value& want : golden.at("renders").as_array()) {
    const std::string target(want.at("target").as_string());
    ApiResponse r = f.Get(fmt::format("/render?format=json&target={}&from={}&until={}",
                                      PercentEncodeForTest(target), want.at("from").as_int64(),
                                      want.at("until").as_int64()));
    ReadWholeBody(r);
    INFO(target << " -> " << r.body);
    REQUIRE(r.status == 200);
    const boost::json::array got = boost::json::parse(r.body).as_array();
    REQUIRE(got.size() == 1);
    CHECK(got[0].at("target") == want.at("name"));
    const boost::json::array& points = got[0].at("datapoints").as_array();
    const boost::json::array& values = want.at("values").as_array();
    REQUIRE(points.size() == values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      CHECK(points[i].as_array()[0] == values[i]);
      CHECK(points[i].as_array()[1].as_int64() == want.at("start").as_int64() + int64_t(i));
    }
  }
}

TEST_CASE("events: POST shapes graphite-web accepts, and clear 400s for the rest") {
  Fixture f;
  CHECK(f.Post(R"({"what":"no when","tags":"a b"})").status == 200);
  ApiResponse got = f.Get("/events/get_data?tags=a");
  CHECK(got.body == fmt::format(R"([{{"when": {}, "what": "no when", "data": "", "tags": ["a", )"
                                R"("b"], "id": 1}}])",
                                kNow));
  CHECK(f.Post(R"({"what":"obj data","data":{"k":[1,2]},"when":1})").status == 200);
  CHECK(f.Get("/events/get_data?from=0&until=2").body ==
        R"([{"when": 1, "what": "obj data", "data": "{\"k\":[1,2]}", "tags": [], "id": 2}])");
  const uint64_t rejected = f.Counter("events.rejected");
  for (std::string_view bad :
       {"not json", "[1]", R"({"tags":["a"]})", R"({"what":"x","tags":7})",
        R"({"what":"x","tags":["a",1]})", R"({"what":"x","when":"1420000000"})",
        R"({"what":"x","when":1e300})"}) {
    ApiResponse r = f.Post(bad);
    INFO(bad << " -> " << r.body);
    CHECK(r.status == 400);
  }
  CHECK(f.Counter("events.rejected") == rejected + 7);
  CHECK(f.Post(R"({"what":"x","tags":7})").body ==
        "\"tags\" must be an array or space-separated string\n");
  CHECK(f.Get("/events/get_data?from=bogus").status == 400);
  CHECK(f.Get("/events/12").status == 404);
}

TEST_CASE("events: 'now' and relative times keep now's microseconds, as graphite-web's do") {
  Fixture f;
  f.store.clock().SetMicros(kNow * 1'000'000 + 500'000);
  REQUIRE(f.Post(R"({"what":"just now"})").status == 200);  // at kNow + 0.5 s
  CHECK(f.Get("/events/get_data?from=-1h&until=now").body.find("just now") != std::string::npos);
  CHECK(f.Get("/events/get_data?from=-1h").body.find("just now") != std::string::npos);
  CHECK(f.Get(fmt::format("/events/get_data?from=-1h&until={}", kNow)).body == "[]");
  CHECK(f.Get(fmt::format("/events/get_data?from={}", kNow + 1)).body == "[]");
}

TEST_CASE("events: the body, tag and answer bounds hold at N and refuse N+1") {
  Fixture f(EventLimits{.max_body_bytes = 40, .max_returned = 2, .max_tags = 2});
  const std::string at_limit = R"({"what":"x","tags":"a b","data":"12345"})";
  REQUIRE(at_limit.size() == 40);
  CHECK(f.Post(at_limit).status == 200);
  ApiResponse big = f.Post(R"({"what":"x","tags":"a b","data":"123456"})");
  CHECK(big.status == 413);
  CHECK(big.body.find("http.max_event_size") != std::string::npos);
  ApiResponse tags = f.Post(R"({"what":"x","tags":"a b c"})");
  CHECK(tags.status == 400);
  CHECK(tags.body.find("http.max_event_tags") != std::string::npos);
  CHECK(f.Counter("events.rejected") == 2);
  CHECK(f.Post(R"({"what":"y","tags":"a"})").status == 200);
  CHECK(f.Get("/events/get_data?tags=a").status == 200);  // 2 events: at the bound
  CHECK(f.Post(R"({"what":"z","tags":"a"})").status == 200);
  ApiResponse over = f.Get("/events/get_data?tags=a");
  CHECK(over.status == 400);
  CHECK(over.body.find("http.max_events_returned") != std::string::npos);
  CHECK(f.Get("/events/get_data?tags=b").status == 200);  // a narrower query still answers
}

TEST_CASE("events: /functions lists events() as graphite-web does") {
  Fixture f;
  ApiResponse r = f.Get("/functions/events");
  REQUIRE(r.status == 200);
  const boost::json::value def = boost::json::parse(r.body);
  CHECK(def.at("group") == "Special");
  CHECK(def.at("params") ==
        boost::json::parse(R"([{"name":"tags","type":"string","required":true,"multiple":true}])"));
}

}  // namespace
}  // namespace hourglass::query
