#include "query/ui_route.h"

#include <string>

#include "query/api_router.h"
#include "web/web_assets.h"

namespace hourglass::query {

bool IsUiPath(std::string_view path) { return path == "/" || path.starts_with("/ui/"); }

ApiResponse UiRoute(std::string_view path) {
  ApiResponse response;
  if (const web::Asset* asset = web::FindAsset(path)) {
    response = {200, std::string(asset->content_type), std::string(asset->body)};
  } else {
    response = {404, "text/plain; charset=utf-8", "no such page\n"};
  }
  response.headers = {
      {"Content-Security-Policy", std::string(web::kContentSecurityPolicy)},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"Cache-Control", "no-cache"},
  };
  return response;
}

}  // namespace hourglass::query
