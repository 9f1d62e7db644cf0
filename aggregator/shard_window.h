// ShardWindow and Shard::Impl: one receive thread's accumulators for the
// current window. Internal to aggregator/. Guarded by Shard::Impl::mu: the
// receive thread holds it for a whole batch; the flush thread holds it only
// to swap the window out (and, with every other shard's, to change the key
// table's index).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "aggregator/aggregator.h"
#include "aggregator/key_table.h"
#include "common/stats.h"

namespace hourglass::aggregator {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
using MemberSet = std::unordered_set<std::string, StringHash, std::equal_to<>>;

// One key's accumulator for one window of one shard (16 bytes).
struct Acc {
  double value = 0;      // counter: sum of value/rate; gauge: last set (+ deltas) or delta sum;
                         // timer: sum of 1/rate (etsy's timer_counters)
  uint32_t samples = 0;  // samples added; 0 means untouched. Timers: values stored.
  bool gauge_absolute = false;  // gauge: a plain value was set in this window
};

struct TimerValue {
  uint32_t id;
  double value;
};

// A key seen for the first time in this window (not in the key table yet).
struct PendingKey {
  Acc acc;
  std::vector<double> timer_values;
  MemberSet members;
};
using PendingMap = std::unordered_map<std::string, PendingKey, TypedKeyHash, TypedKeyEq>;

struct ShardWindow {
  std::vector<Acc> accs;  // by key id; grows on demand
  std::vector<TimerValue> timer_values;
  std::unordered_map<uint32_t, MemberSet> sets;
  PendingMap pending;
  uint64_t packets = 0;
  uint64_t metrics = 0;
  uint64_t bad_lines = 0;

  // Empties the window, keeping its buffers' capacity.
  void Reset();
};

// Registry stats the shards bump once per batch.
struct ShardStats {
  common::Counter* packets;
  common::Counter* metrics;
  common::Counter* bad_lines;
  common::Counter* keys_dropped;
};

class Shard::Impl {
 public:
  Impl(const AggregatorOptions& options, const KeyTable& table, ShardStats stats)
      : options_(options), table_(table), stats_(stats) {}

  // Caller holds mu.
  void Add(const Sample& sample, uint64_t& dropped);

  std::mutex mu;
  ShardWindow window;  // guarded by mu
  const ShardStats& stats() const { return stats_; }

 private:
  void AddToAcc(Acc& acc, const Sample& sample, uint32_t id);
  void AddPending(const Sample& sample, uint64_t& dropped);

  const AggregatorOptions& options_;
  const KeyTable& table_;
  ShardStats stats_;
};

}  // namespace hourglass::aggregator
