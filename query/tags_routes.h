// The /tags routes of the HTTP API in graphite-web 1.1's JSON shapes, answered
// from the store's tag index (never a scan of all names): /tags and
// /tags/<tag> (optional `filter` regex, `limit`), /tags/findSeries (repeated
// `expr`), /tags/autoComplete/tags (`expr`, `tagPrefix`, `limit`) and
// /tags/autoComplete/values (`expr`, `tag`, `valuePrefix`, `limit`).
// StoreTagIndex is the TagIndex seriesByTag uses. Stateless; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "query/tag_query.h"

namespace hourglass::store {
class SeriesStore;
}

namespace hourglass::query {

struct ApiResponse;
class FormParams;

// TagIndex over SeriesStore::FindTagged. The store must outlive it.
class StoreTagIndex final : public TagIndex {
 public:
  explicit StoreTagIndex(const store::SeriesStore& store) : store_(store) {}
  common::Result<std::vector<std::string>> FindTagged(std::string_view tag,
                                                      std::optional<std::string_view> value,
                                                      size_t limit) const override;

 private:
  const store::SeriesStore& store_;
};

// Answers a path that is "/tags" or starts with "/tags/".
ApiResponse TagsRoute(const store::SeriesStore& store, const TagIndex& index,
                      std::string_view method, std::string_view path, const FormParams& params);

}  // namespace hourglass::query
