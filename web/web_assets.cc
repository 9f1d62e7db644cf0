#include "web/web_assets.h"

#include <array>
#include <vector>

namespace hourglass::web {
namespace {

std::string_view ContentType(std::string_view name) {
  constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
  }};
  for (const auto& [suffix, type] : kTypes) {
    if (name.ends_with(suffix)) return type;
  }
  return "application/octet-stream";
}

struct Named {
  std::string_view name;
  Asset asset;
};

const std::vector<Named>& Table() {
  static const std::vector<Named> table = [] {
    std::vector<Named> out;
    for (size_t i = 0; i < kEmbeddedAssetCount; ++i) {
      const EmbeddedAsset& a = kEmbeddedAssets[i];
      out.push_back({a.name, {ContentType(a.name), a.body}});
    }
    return out;
  }();
  return table;
}

}  // namespace

const Asset* FindAsset(std::string_view path) {
  constexpr std::string_view kPrefix = "/ui/";
  std::string_view name;
  if (path == "/") {
    name = "index.html";
  } else if (path.starts_with(kPrefix)) {
    name = path.substr(kPrefix.size());
  } else {
    return nullptr;
  }
  for (const Named& n : Table()) {
    if (n.name == name) return &n.asset;
  }
  return nullptr;
}

}  // namespace hourglass::web
