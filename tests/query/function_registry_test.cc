// FunctionRegistry metadata against graphite-web's own (golden/
// function_params.json), and the /functions, /metrics/index.json, CORS and
// bearer-token routes of ApiRouter.
#include "query/function_registry.h"

#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "query/api_router.h"
#include "test_store.h"

namespace hourglass::query {
namespace {

namespace json = boost::json;

json::value LoadJson(const std::string& file) {
  std::ifstream in(std::string(HG_GOLDEN_DIR) + "/" + file);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

TEST_CASE("every function's /functions entry has graphite-web's group and params") {
  FunctionRegistry registry;
  RegisterBuiltinFunctions(registry);
  const json::value golden = LoadJson("function_params.json");
  for (const auto& [name, want] : golden.at("functions").as_object()) {
    INFO(std::string(name));
    const std::string text = registry.FunctionJson(name);
    REQUIRE_FALSE(text.empty());
    json::object got = json::parse(text).as_object();
    CHECK(got.at("group") == want.at("group"));
    json::array params = got.at("params").as_array();
    for (auto& p : params) {
      auto& o = p.as_object();
      if (o.at("type") == "aggOrSeriesFunc") o.erase("options");
      if (o.contains("default") && o.at("default").is_double() &&
          std::isinf(o.at("default").as_double())) {
        o["default"] = "inf";
      }
    }
    INFO(json::serialize(params));
    CHECK(json::value(params) == want.at("params"));
  }
}

TEST_CASE("functions JSON shapes: flat, grouped, one group, one function") {
  FunctionRegistry registry;
  RegisterBuiltinFunctions(registry);
  json::object flat = json::parse(registry.FunctionsJson(false, "")).as_object();
  CHECK(flat.contains("aliasSub"));
  CHECK(flat.at("summarize").at("function") ==
        "summarize(seriesList, intervalString, func='sum', alignToFrom=False)");
  CHECK(flat.at("sumSeries").at("function") == "sumSeries(*seriesLists)");
  CHECK(flat.at("keepLastValue").at("params").at(1).at("default").as_double() == INFINITY);
  json::object grouped = json::parse(registry.FunctionsJson(true, "")).as_object();
  CHECK(grouped.at("Alias").as_object().contains("aliasByNode"));
  CHECK(grouped.at("Combine").as_object().contains("sumSeries"));
  json::object alias_only = json::parse(registry.FunctionsJson(false, "Alias")).as_object();
  CHECK(alias_only.size() == 7);  // alias, aliasSub, aliasByNode, aliasByMetric, aliasByTags,
                                  // aliasQuery, legendValue
  CHECK(registry.FunctionJson("nope").empty());
  // groupByNode's callback lists aggregations and aggregating functions.
  const auto& options = flat.at("groupByNode").at("params").at(2).at("options").as_array();
  CHECK(std::find(options.begin(), options.end(), json::value("sumSeries")) != options.end());
  CHECK(std::find(options.begin(), options.end(), json::value("median")) != options.end());
}

struct RouterFixture {
  RouterFixture(AccessOptions access = {})
      : router(db.store(), db.stats(), db.clock(), "1.1.10", std::move(access)) {
    db.AddSeries("a.b.c", 0);
    db.AddSeries("a.d", 0);
    db.AddSeries("x", 0);
  }
  ApiResponse Get(std::string_view target, std::string_view origin = {},
                  std::string_view auth = {}) {
    ApiRequest r{"GET", target, "", "", origin, auth};
    return router.Handle(r);
  }
  static std::string Header(const ApiResponse& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }
  testing::TestStore db;
  ApiRouter router;
};

TEST_CASE("/metrics/index.json lists every series, /functions answers") {
  RouterFixture f;
  ApiResponse index = f.Get("/metrics/index.json");
  CHECK(index.status == 200);
  CHECK(index.body == R"(["a.b.c","a.d","x"])");
  CHECK(f.Get("/metrics/index.json?jsonp=cb").body == R"(cb(["a.b.c","a.d","x"]))");
  ApiResponse functions = f.Get("/functions?grouped=true");
  CHECK(functions.status == 200);
  CHECK(json::parse(functions.body).as_object().contains("Filter Series"));
  CHECK(f.Get("/functions/aliasByNode").status == 200);
  ApiResponse missing = f.Get("/functions/nope");
  CHECK(missing.status == 404);
  CHECK(missing.body == "Function not found: nope\n");
  CHECK(f.Get("/version").body == "1.1.10\n");
}

TEST_CASE("/metrics/find: wildcard node, completer, jsonp in graphite-web's exact text") {
  RouterFixture f;
  CHECK(f.Get("/metrics/find?query=a.*&wildcards=1").body ==
        R"([{"text":"*","id":"a.*","allowChildren":1,"expandable":1,"leaf":0},)"
        R"({"text":"b","id":"a.b","allowChildren":1,"expandable":1,"leaf":0},)"
        R"({"text":"d","id":"a.d","allowChildren":0,"expandable":0,"leaf":1}])");
  CHECK(f.Get("/metrics/find?query=a.&format=completer&wildcards=1").body ==
        R"({"metrics":[{"path":"a.b.","name":"b","is_leaf":"0"},)"
        R"({"path":"a.d","name":"d","is_leaf":"1"},{"name":"*"}]})");
  CHECK(f.Get("/metrics/find?query=x&jsonp=cb").body ==
        R"(cb([{"text":"x","id":"x","allowChildren":0,"expandable":0,"leaf":1}]))");
  CHECK(f.Get("/metrics/find?query=nope.*").body == "[]");
  CHECK(f.Get("/metrics/find?query=nope.*&format=completer").body == R"({"metrics":[]})");
}

TEST_CASE("/metrics/find: a name with a quote or invalid UTF-8 stays valid JSON") {
  RouterFixture f;
  f.db.AddSeries("q.a\"b", 0);
  f.db.AddSeries("q.c\xff", 0);
  const ApiResponse tree = f.Get("/metrics/find?query=q.*");
  CHECK(tree.body.find(R"("text":"a\"b","id":"q.a\"b")") != std::string::npos);
  const json::array nodes = json::parse(tree.body).as_array();  // throws on bad UTF-8
  REQUIRE(nodes.size() == 2);
  CHECK(nodes[1].at("text") == "c\xEF\xBF\xBD");
  json::parse(f.Get("/metrics/find?query=q.*&format=completer").body);
}

TEST_CASE("CORS headers only for configured origins; preflight answered") {
  RouterFixture f(AccessOptions{{"http://grafana.local:3000"}, ""});
  ApiResponse ok = f.Get("/render?target=a.b.c&from=-1min", "http://grafana.local:3000");
  CHECK(ok.status == 200);
  CHECK(f.Header(ok, "Access-Control-Allow-Origin") == "http://grafana.local:3000");
  ApiResponse other = f.Get("/render?target=a.b.c&from=-1min", "http://evil.example");
  CHECK(f.Header(other, "Access-Control-Allow-Origin").empty());
  ApiRequest preflight{"OPTIONS", "/render", "", "", "http://grafana.local:3000", ""};
  ApiResponse pre = f.router.Handle(preflight);
  CHECK(pre.status == 204);
  CHECK(f.Header(pre, "Access-Control-Allow-Headers").find("Authorization") != std::string::npos);
  RouterFixture any(AccessOptions{{"*"}, ""});
  CHECK(any.Header(any.Get("/version", "http://a.b"), "Access-Control-Allow-Origin") ==
        "http://a.b");
  RouterFixture none;
  CHECK(none.Get("/version", "http://a.b").headers.empty());
}

TEST_CASE("a bearer token guards every route but /health") {
  RouterFixture f(AccessOptions{{}, "s3cret"});
  CHECK(f.Get("/render?target=a.b.c&from=-1min").status == 401);
  CHECK(f.Get("/render?target=a.b.c&from=-1min", {}, "Bearer wrong").status == 401);
  CHECK(f.Get("/render?target=a.b.c&from=-1min", {}, "Bearer s3cret!").status == 401);
  CHECK(f.Get("/functions", {}, "Basic s3cret").status == 401);
  CHECK(f.Header(f.Get("/metrics/index.json"), "WWW-Authenticate") == "Bearer");
  CHECK(f.Get("/render?target=a.b.c&from=-1min", {}, "Bearer s3cret").status == 200);
  CHECK(f.Get("/metrics/index.json", {}, "bearer s3cret").status == 200);
  CHECK(f.Get("/health").status == 200);
}

}  // namespace
}  // namespace hourglass::query
