#include "server/store_settings.h"

#include <fmt/format.h>

#include "store/aggregation_rules.h"

namespace hourglass::server {
namespace {

common::Status Problem(std::string_view key, std::string_view name, std::string_view why) {
  return common::Status::Error(fmt::format("{}: {}: {}", key, name, why));
}

}  // namespace

common::Result<store::StoreOptions> StoreOptionsFrom(const config::StoreConfig& config,
                                                     std::string path) {
  store::StoreOptions options;
  options.path = std::move(path);
  auto retentions = store::ParseRetentions(config.retentions);
  if (!retentions.ok()) {
    return common::Status::Error("store.retentions: " + retentions.status().message());
  }
  options.retentions = std::move(retentions).value();
  options.retry_buffer_bytes = config.retry_buffer_bytes;

  for (const config::StoreSchemaConfig& s : config.schemas) {
    auto r = store::ParseRetentions(s.retentions);
    if (!r.ok()) return Problem("store.schemas", s.name, r.status().message());
    options.schemas.push_back({s.name, s.pattern, std::move(r).value()});
  }
  if (auto s = store::ValidateSchemas(options.schemas); !s.ok()) {
    return common::Status::Error("store.schemas: " + s.message());
  }

  options.aggregation.clear();
  for (const config::StoreAggregationConfig& a : config.aggregation) {
    store::AggregationMethod method;
    if (!store::ParseAggregationMethod(a.method, &method)) {
      return Problem(
          "store.aggregation", a.name,
          fmt::format("aggregationMethod '{}' is not one of average, sum, min, max, last",
                      a.method));
    }
    options.aggregation.push_back({a.name, a.pattern, method, a.x_files_factor});
  }
  if (auto rules = store::AggregationRules::Create(options.aggregation); !rules.ok()) {
    return common::Status::Error("store.aggregation: " + rules.status().message());
  }
  return options;
}

}  // namespace hourglass::server
