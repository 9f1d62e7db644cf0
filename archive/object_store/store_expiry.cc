#include "archive/object_store/store_expiry.h"

#include <string>

#include <spdlog/spdlog.h>

#include "archive/object_store/bucket_lifecycle.h"

namespace hourglass::archive {

void ApplyExpiry(ObjectStore& store, std::string_view prefix, int64_t days,
                 common::StatsRegistry& stats) {
  if (days <= 0) return;
  common::Counter& failures = stats.GetCounter(
      "archive.lifecycle_failures",
      "start-up attempts to set the bucket's expiry rule (archive.expire_after) that failed");
  const std::string what = "objects under \"" + std::string(prefix) + "\" expire after " +
                           std::to_string(days) + " days";
  const auto warn = [&stats](const std::string& message) {
    spdlog::warn("archive expiry: {}", message);
    stats.SetHealth("archive_expiry", common::HealthState::kOk, "warning: " + message);
  };
  StoreResult<ExpiryChange> change = store.ExpireAfterDays(prefix, days);
  if (!change) {
    failures.Add();
    warn("archive.expire_after not applied, " + what + " is not set: " + change.error().message);
    return;
  }
  if (*change == ExpiryChange::kUnsupported) {
    warn("archive.expire_after is ignored: " + store.Describe() +
         " is a local directory and nothing expires there");
    return;
  }
  const char* how = *change == ExpiryChange::kAdded     ? "added"
                    : *change == ExpiryChange::kUpdated ? "updated"
                                                        : "already set";
  const std::string detail =
      what + " (bucket lifecycle rule " + ExpiryRuleId(prefix) + ", " + how + ")";
  spdlog::info("archive expiry: {}", detail);
  stats.SetHealth("archive_expiry", common::HealthState::kOk, detail);
}

}  // namespace hourglass::archive
