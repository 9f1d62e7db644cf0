// The page for people (issue 14): its files (web/assets/ and Debian's
// dygraphs), embedded in the binary at build time by embed_assets.cmake.
// FindAsset maps a URL path ("/" or "/ui/NAME") to one of them with its
// content type; the data is static and read-only, so any thread may call.
#pragma once

#include <cstddef>
#include <string_view>

namespace hourglass::web {

struct EmbeddedAsset {
  std::string_view name;  // "app.js"
  std::string_view body;
};
extern const EmbeddedAsset kEmbeddedAssets[];
extern const size_t kEmbeddedAssetCount;

struct Asset {
  std::string_view content_type;
  std::string_view body;
};

// "/" is index.html; "/ui/NAME" is the asset NAME; anything else: null.
const Asset* FindAsset(std::string_view path);

// Only the page's own assets: scripts, styles, images and requests from the
// same origin, no inline script, no framing. The one style attribute allowed
// is by hash: dygraphs' legend measures an em with
// 'margin: 0; padding: 0 0 0 1em; border: 0;' (dygraph.js calculateEmWidthInDiv).
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "style-src-attr 'unsafe-hashes' 'sha256-MJyOH6fkfzWPCLv2CfAAYjOtxkqoLBYZsmiMyy1D4sc='; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

}  // namespace hourglass::web
