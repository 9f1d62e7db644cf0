// Fuzz target: seriesByTag expressions and one tagged series name
// (FuzzedDataProvider: up to four expressions, then the name) through
// ParseTagExpression, MatchesTag, and FindSeriesByTag over a small in-memory
// TagIndex holding that name and a few fixed ones.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "query/series.h"
#include "query/tag_query.h"

namespace {

using namespace hourglass;

class ListTagIndex final : public query::TagIndex {
 public:
  explicit ListTagIndex(std::vector<std::string> names) : names_(std::move(names)) {}
  common::Result<std::vector<std::string>> FindTagged(std::string_view tag,
                                                      std::optional<std::string_view> value,
                                                      size_t limit) const override {
    std::vector<std::string> found;
    for (const std::string& name : names_) {
      const auto tags = query::ParseTags(name);
      const auto it = tags.find(std::string(tag));
      if (it == tags.end() || (value && it->second != *value)) continue;
      if (found.size() == limit) break;
      found.push_back(name);
    }
    return found;
  }

 private:
  std::vector<std::string> names_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Expressions, then the series name: the last string of the input.
  FuzzedDataProvider input(data, size);
  std::vector<std::string> exprs;
  std::string name = input.ConsumeRandomLengthString(256);
  while (input.remaining_bytes() > 0 && exprs.size() < 4) {
    exprs.push_back(std::move(name));
    name = input.ConsumeRandomLengthString();
  }
  const auto tags = query::ParseTags(name);
  for (const std::string& text : exprs) {
    auto expr = query::ParseTagExpression(text);
    if (expr.ok()) (void)query::MatchesTag(*expr, tags);
  }
  if (exprs.empty()) return 0;
  const ListTagIndex index({name, "cpu;dc=eu;host=a", "cpu;dc=us;host=b", "disk.used;host=a"});
  (void)query::FindSeriesByTag(index, exprs, 100);
  return 0;
}
