// BucketLifecycle: S3 bucket lifecycle configuration (GET/PUT ?lifecycle) as
// Hourglass needs it: read the rules minimally (ID, prefix, status, expiration
// days) and merge Hourglass's own expiration rule, found by a fixed ID, into
// the bucket's document while every other rule's XML is kept verbatim. Pure
// functions over strings; any thread. S3ObjectStore::ExpireAfterDays uses them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hourglass::archive {

struct LifecycleRule {
  std::string id{};
  std::string prefix{};         // Filter/Prefix, Filter/And/Prefix or the legacy Rule/Prefix
  bool legacy_prefix = false;   // no <Filter>: the rule uses the V1 Rule/Prefix form
  std::string status{};         // "Enabled" | "Disabled"
  int64_t expiration_days = 0;  // Expiration/Days; 0 when absent
  std::string raw{};            // the inner XML of <Rule>, verbatim
};

// The rules of a <LifecycleConfiguration> document ("" is no rules). An error
// when the text is not one (the caller must then not PUT over it).
common::Result<std::vector<LifecycleRule>> ParseLifecycle(std::string_view xml);

// "hourglass-expire-PREFIX" ("hourglass-expire" for an empty prefix); a prefix
// that would make it longer than S3's 255 characters is replaced by its hash.
std::string ExpiryRuleId(std::string_view prefix);

struct LifecycleMerge {
  std::string xml{};      // the document to PUT
  bool changed = false;   // false: the bucket already has this rule; no PUT needed
  bool replaced = false;  // an older version of the rule (other days, prefix) was replaced
};

// `existing` (the bucket's document, "" when it has none) with the rule
// "objects under `prefix` expire `days` days after creation" added or
// replaced by ID. Other rules keep their XML; ours uses the legacy Prefix form
// when another rule does (S3 refuses a document mixing the two forms).
common::Result<LifecycleMerge> MergeExpiryRule(std::string_view existing, std::string_view prefix,
                                               int64_t days);

}  // namespace hourglass::archive
