// Sample: one parsed statsd metric, as the ingest parser hands it to a shard.
// Views point into the datagram and the parser's scratch buffer: valid only
// for the duration of the sink call.
#pragma once

#include <cstdint>
#include <string_view>

namespace hourglass::aggregator {

enum class MetricType : uint8_t {
  kCounter,  // c
  kGauge,    // g
  kTimer,    // ms, h, d (histograms and distributions aggregate like timers)
  kSet,      // s
};

struct Sample {
  // Sanitized key, with DogStatsD tags already in Graphite's canonical form
  // appended ("api.hits;env=prod;host=a", tags sorted by name).
  std::string_view key;
  MetricType type;
  double value = 0;           // counter/timer/gauge value (unused for sets)
  double sample_rate = 1.0;   // from |@rate, in (0, 1]
  bool gauge_delta = false;   // gauge written as +N / -N: value is the signed delta
  std::string_view set_member;  // for sets: the member as sent
};

}  // namespace hourglass::aggregator
