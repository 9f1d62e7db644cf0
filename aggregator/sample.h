// Sample: one parsed statsd metric, as the ingest parser hands it to a shard.
// Views point into the datagram and the parser's scratch buffer: valid only
// for the duration of the sink call. Plain value type.
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
  MetricType type = MetricType::kCounter;
  // Counter/timer/gauge value as sent (unused for sets). The aggregator
  // applies sample_rate: counters add value * (1 / rate), timers count
  // 1 / rate; gauges and sets ignore it (as etsy statsd does).
  double value = 0;
  double sample_rate = 1.0;     // from |@rate; finite and > 0
  bool gauge_delta = false;     // gauge written as +N / -N: value is the signed delta
  std::string_view set_member;  // for sets: the member as sent
};

}  // namespace hourglass::aggregator
