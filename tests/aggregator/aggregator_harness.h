// Test harness for the aggregator's unit tests: one Aggregator with its own
// StatsRegistry, helpers to add samples through a shard batch and to flush
// into a name -> value map (checking stamps and that no name repeats).
// Single-threaded.
#pragma once

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <string_view>

#include "aggregator/aggregator.h"

namespace hourglass::aggregator {

struct Harness {
  explicit Harness(AggregatorOptions options = {}, size_t shards = 1)
      : aggregator(std::move(options), shards, stats) {}

  void Add(std::string_view key, MetricType type, double value, double rate = 1.0, size_t shard = 0,
           bool delta = false) {
    auto batch = aggregator.shard(shard).BeginBatch();
    Sample s;
    s.key = key;
    s.type = type;
    s.value = value;
    s.sample_rate = rate;
    s.gauge_delta = delta;
    batch.Add(s);
  }
  void AddMember(std::string_view key, std::string_view member, size_t shard = 0) {
    auto batch = aggregator.shard(shard).BeginBatch();
    Sample s;
    s.key = key;
    s.type = MetricType::kSet;
    s.set_member = member;
    batch.Add(s);
  }
  std::map<std::string, double> Flush(int64_t ts = 1000, double window = 10) {
    last = aggregator.Flush(ts, window);
    std::map<std::string, double> out;
    for (const store::Point& p : last.points) {
      CHECK(p.timestamp == ts);
      CHECK(out.emplace(p.name, p.value).second);  // no duplicate names
    }
    return out;
  }

  // A registry value (counter or gauge), -1 if absent.
  double Stat(std::string_view name) {
    for (const auto& v : stats.Snapshot()) {
      if (v.name == name) return v.value;
    }
    return -1;
  }

  common::StatsRegistry stats;
  Aggregator aggregator;
  FlushResult last;
};

}  // namespace hourglass::aggregator
