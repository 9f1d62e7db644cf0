// The hour the shipping tests seal, upload and read back: 2026-11-21T05 UTC.
#pragma once

#include <cstdint>

namespace hourglass::archive {

inline constexpr int64_t k0500 = 1795237200;  // 2026-11-21T05:00:00Z
inline constexpr int64_t kHour05 = k0500 / 3600;

}  // namespace hourglass::archive
