// ApplyExpiry: what `serve` does once at start with archive.expire_after. It
// asks the store to expire objects under the target's prefix and reports the
// outcome: a log line, the archive.lifecycle_failures counter and the
// "archive_expiry" /health entry (a failure is a warning there, never
// degraded: archiving itself still works). Call from the thread that owns the store.
#pragma once

#include <cstdint>
#include <string_view>

#include "archive/object_store/object_store.h"
#include "common/stats.h"

namespace hourglass::archive {

// `days` 0: does nothing (the store is never asked, its rules never read).
void ApplyExpiry(ObjectStore& store, std::string_view prefix, int64_t days,
                 common::StatsRegistry& stats);

}  // namespace hourglass::archive
