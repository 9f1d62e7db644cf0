// The page for people (query/ui_route.h, web/): the embedded assets are
// served under / and /ui/ with their content types, the CSP and no token
// (the API next to them still needs it); unknown assets are a 404.
#include "query/ui_route.h"

#include <catch2/catch.hpp>

#include "query/api_router.h"
#include "test_store.h"
#include "web/web_assets.h"

namespace hourglass::query {
namespace {

std::string Header(const ApiResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

TEST_CASE("the page and its assets: content types, the CSP, no token needed") {
  testing::TestStore db;
  ApiRouter router(db.store(), db.stats(), db.clock(), "1.1.10", {.token = "s3cret"});
  struct Expect {
    std::string path, type, contains;
  };
  const Expect expected[] = {
      {"/", "text/html; charset=utf-8", "<script src=\"/ui/dygraph.min.js\"></script>"},
      {"/ui/index.html", "text/html; charset=utf-8", "<title>Hourglass</title>"},
      {"/ui/app.css", "text/css; charset=utf-8", "#chart"},
      {"/ui/dygraph.min.css", "text/css; charset=utf-8", ".dygraph-legend"},
      {"/ui/common.js", "text/javascript; charset=utf-8", "sessionStorage"},
      {"/ui/metrics.js", "text/javascript; charset=utf-8", "/metrics/find"},
      {"/ui/status.js", "text/javascript; charset=utf-8", "/health"},
      {"/ui/audit.js", "text/javascript; charset=utf-8", "/archive/search"},
      {"/ui/main.js", "text/javascript; charset=utf-8", "hashchange"},
      {"/ui/dygraph.min.js", "text/javascript; charset=utf-8", "Dygraph"},
  };
  for (const Expect& e : expected) {
    for (std::string_view method : {"GET", "HEAD"}) {
      INFO(e.path << " " << method);
      const ApiResponse response = router.Handle({method, e.path, "", ""});
      CHECK(response.status == 200);
      CHECK(response.content_type == e.type);
      CHECK(response.body.find(e.contains) != std::string::npos);
      CHECK(Header(response, "Content-Security-Policy") == web::kContentSecurityPolicy);
      CHECK(Header(response, "X-Content-Type-Options") == "nosniff");
    }
  }
  // Only its own origin: no other source anywhere in the policy.
  const std::string_view csp = web::kContentSecurityPolicy;
  CHECK(csp.find("default-src 'none'") != std::string_view::npos);
  CHECK(csp.find("http") == std::string_view::npos);
  CHECK(csp.find("*") == std::string_view::npos);
  CHECK(csp.find("unsafe-inline") == std::string_view::npos);
  CHECK(csp.find("unsafe-eval") == std::string_view::npos);

  // The API beside it still wants the token.
  CHECK(router.Handle({"GET", "/metrics/find?query=*", "", ""}).status == 401);
  CHECK(router.Handle({"GET", "/metrics/find?query=*", "", "", "", "Bearer s3cret"}).status == 200);
}

TEST_CASE("an unknown asset is a 404 with the CSP; other paths are not the page's") {
  testing::TestStore db;
  ApiRouter router(db.store(), db.stats(), db.clock(), "1.1.10");
  const ApiResponse missing = router.Handle({"GET", "/ui/nope.js", "", ""});
  CHECK(missing.status == 404);
  CHECK(missing.content_type == "text/plain; charset=utf-8");
  CHECK_FALSE(Header(missing, "Content-Security-Policy").empty());
  CHECK(router.Handle({"GET", "/ui/../health", "", ""}).status == 404);
  CHECK(router.Handle({"GET", "/index.html", "", ""}).status == 404);  // the API's 404
  CHECK(router.Handle({"POST", "/", "", ""}).status == 404);
  CHECK(IsUiPath("/"));
  CHECK(IsUiPath("/ui/app.js"));
  CHECK_FALSE(IsUiPath("/uix"));
  CHECK_FALSE(IsUiPath("/render"));
  // Every embedded file is reachable, none is empty.
  for (size_t i = 0; i < web::kEmbeddedAssetCount; ++i) {
    const std::string path = "/ui/" + std::string(web::kEmbeddedAssets[i].name);
    INFO(path);
    const web::Asset* asset = web::FindAsset(path);
    REQUIRE(asset != nullptr);
    CHECK_FALSE(asset->body.empty());
    CHECK(asset->content_type != "application/octet-stream");
  }
}

}  // namespace
}  // namespace hourglass::query
