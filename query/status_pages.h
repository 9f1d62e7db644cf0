// The server's own status pages: /health (JSON of every component's state
// from StatsRegistry::Health plus a few key counters) and /metrics
// (Prometheus text exposition of StatsRegistry::Snapshot). Pure formatting
// over snapshots; any thread.
#pragma once

#include <string>
#include <vector>

#include "common/stats.h"

namespace hourglass::query {

struct HealthPage {
  unsigned status = 200;  // 503 when any component failed
  std::string body;
};

HealthPage FormatHealth(const std::vector<common::ComponentHealth>& health,
                        const std::vector<common::StatValue>& stats, std::string_view version);

// "hourglass_" + name with every character outside [a-zA-Z0-9_] as '_'.
std::string PrometheusName(std::string_view dotted);
std::string FormatPrometheus(const std::vector<common::StatValue>& stats);

}  // namespace hourglass::query
