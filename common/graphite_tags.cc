#include "common/graphite_tags.h"

#include <algorithm>

namespace hourglass::common {

void AppendGraphiteTags(std::span<std::string_view> tags, std::string& out) {
  std::sort(tags.begin(), tags.end());
  for (std::string_view tag : tags) {
    out.push_back(';');
    out.append(tag);
  }
}

}  // namespace hourglass::common
