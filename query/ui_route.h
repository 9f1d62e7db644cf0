// The page for people under / and /ui/... (web/web_assets.h): static files
// embedded in the binary, served without the bearer token (they hold no data;
// the page asks for the token and sends it on its API requests) with a
// Content-Security-Policy allowing only its own assets. Any thread.
#pragma once

#include <string_view>

namespace hourglass::query {

struct ApiResponse;

// True for the paths UiRoute answers: "/" and "/ui/...".
bool IsUiPath(std::string_view path);

// The asset at `path` with its content type and security headers, or a 404.
ApiResponse UiRoute(std::string_view path);

}  // namespace hourglass::query
