// /tags routes and seriesByTag through the ApiRouter over a real store.
#include "query/tags_routes.h"

#include <catch2/catch.hpp>

#include "query/api_router.h"
#include "test_store.h"

namespace hourglass::query {
namespace {

using testing::TestStore;

struct Fixture {
  TestStore store;
  ApiRouter router{store.store(), store.stats(), store.clock(), "1.1.10"};

  Fixture() {
    store.AddSeries("cpu;dc=eu;host=a", 1);
    store.AddSeries("cpu;dc=eu;host=b", 2);
    store.AddSeries("cpu;dc=us;host=c", 3);
    store.AddSeries("mem;dc=eu;host=a", 4);
    store.AddSeries("plain.series", 5);
  }
  ApiResponse Get(std::string_view target) const {
    return router.Handle({.method = "GET", .target = target, .content_type = "", .body = ""});
  }
  std::string Body(std::string_view target) const {
    ApiResponse r = Get(target);
    INFO(target << " -> " << r.status << " " << r.body);
    CHECK(r.status == 200);
    return r.body;
  }
};

TEST_CASE("tags: /tags and /tags/<tag> in graphite-web's shapes") {
  Fixture f;
  CHECK(f.Body("/tags") == R"([{"tag":"dc"},{"tag":"host"},{"tag":"name"}])");
  CHECK(f.Body("/tags?filter=h") == R"([{"tag":"host"}])");
  CHECK(f.Body("/tags/?limit=1") == R"([{"tag":"dc"}])");
  CHECK(f.Body("/tags/dc") ==
        R"({"tag":"dc","values":[{"value":"eu","count":3},{"value":"us","count":1}]})");
  CHECK(f.Body("/tags/dc?filter=u") == R"({"tag":"dc","values":[{"value":"us","count":1}]})");
  CHECK(f.Body("/tags/nope") == "null");
  CHECK(f.router.Handle({.method = "POST", .target = "/tags", .content_type = "", .body = ""})
            .status == 405);
}

TEST_CASE("tags: findSeries with repeated expr and expr[]") {
  Fixture f;
  CHECK(f.Body("/tags/findSeries?expr=dc=eu&expr=host!=b") ==
        R"(["cpu;dc=eu;host=a","mem;dc=eu;host=a"])");
  CHECK(f.Body("/tags/findSeries?expr[]=name=cpu&expr[]=host=~[bc]") ==
        R"(["cpu;dc=eu;host=b","cpu;dc=us;host=c"])");
  CHECK(f.Get("/tags/findSeries").status == 400);
  CHECK(f.Get("/tags/findSeries?expr=host!=a").status == 400);  // all match empty
}

TEST_CASE("tags: autoComplete tags and values") {
  Fixture f;
  CHECK(f.Body("/tags/autoComplete/tags") == R"(["dc","host","name"])");
  CHECK(f.Body("/tags/autoComplete/tags?tagPrefix=h") == R"(["host"])");
  CHECK(f.Body("/tags/autoComplete/tags?expr=dc=us") == R"(["host","name"])");
  CHECK(f.Body("/tags/autoComplete/tags?limit=2") == R"(["dc","host"])");
  CHECK(f.Body("/tags/autoComplete/values?tag=host") == R"(["a","b","c"])");
  CHECK(f.Body("/tags/autoComplete/values?tag=host&valuePrefix=b") == R"(["b"])");
  CHECK(f.Body("/tags/autoComplete/values?tag=name&expr=dc=eu") == R"(["cpu","mem"])");
  CHECK(f.Body("/tags/autoComplete/values?tag=host&expr=name=cpu&expr=dc=eu") == R"(["a","b"])");
  CHECK(f.Get("/tags/autoComplete/values").status == 400);
  CHECK(f.Get("/tags/autoComplete/values").body == R"({"error":"no tag specified"})");
  CHECK(f.Get("/tags/autoComplete/tags?limit=x").status == 400);
}

TEST_CASE("tags: seriesByTag in render reads through the tag index") {
  Fixture f;
  const std::string body =
      f.Body("/render?target=seriesByTag('name=cpu','dc=eu')&from=-5min&until=now&format=json");
  CHECK(body.find(R"("target":"cpu;dc=eu;host=a")") != std::string::npos);
  CHECK(body.find(R"("target":"cpu;dc=eu;host=b")") != std::string::npos);
  CHECK(body.find("host=c") == std::string::npos);
  CHECK(body.find(R"("tags":{"dc":"eu","host":"a","name":"cpu"})") != std::string::npos);
  const std::string summed =
      f.Body("/render?target=sumSeries(seriesByTag('dc=eu'))&from=-5min&until=now&format=json");
  INFO(summed);
  // Three series with dc=eu (bases 1, 2, 4): 7 at the first point, 22 at the last.
  CHECK(summed.find(R"x("target":"sumSeries(seriesByTag('dc=eu'))")x") != std::string::npos);
  CHECK(summed.find("[7,") != std::string::npos);
  CHECK(summed.find("[22,") != std::string::npos);
}

}  // namespace
}  // namespace hourglass::query

namespace hourglass::query {
namespace {

TEST_CASE("tags: a value with a quote or invalid UTF-8 stays valid JSON") {
  Fixture f;
  f.store.AddSeries("odd;k=a\"b", 6);
  f.store.AddSeries("odd;k=c\xff", 7);
  CHECK(f.Body("/tags/k") ==
        "{\"tag\":\"k\",\"values\":[{\"value\":\"a\\\"b\",\"count\":1},"
        "{\"value\":\"c\xEF\xBF\xBD\",\"count\":1}]}");
  CHECK(f.Body("/tags/autoComplete/values?tag=k") == "[\"a\\\"b\",\"c\xEF\xBF\xBD\"]");
}

}  // namespace
}  // namespace hourglass::query
