// The server's own status pages: /health (JSON of every component's state
// from StatsRegistry::Health plus a few key counters) and /metrics
// (Prometheus text exposition of StatsRegistry::Snapshot). Pure formatting
// over snapshots; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/stats.h"

namespace hourglass::query {

struct HealthPage {
  unsigned status = 200;  // 503 when any component is degraded or failed
  std::string body;
};

// `uptime_s` (seconds since the server started) is shown when not negative.
HealthPage FormatHealth(const std::vector<common::ComponentHealth>& health,
                        const std::vector<common::StatValue>& stats, std::string_view version,
                        int64_t uptime_s = -1);

// How /metrics exposes a dotted stat (promtool check metrics passes):
// "hourglass_" + the name with every character outside [a-zA-Z0-9_] as '_';
// a time suffix (_micros, _ms, _s) becomes _seconds with the value divided
// to match; counters end in _total. The dotted name and the hourglass.*
// series keep their spelling.
struct PrometheusName {
  std::string name;
  double divisor = 1;  // exposed value = stat value / divisor
};
PrometheusName ExposedName(std::string_view dotted, common::StatKind kind);
std::string FormatPrometheus(const std::vector<common::StatValue>& stats);

}  // namespace hourglass::query
