// Aggregator: statsd's 10-second windows with etsy statsd's semantics.
// Each receive thread owns one Shard and adds samples to it without any
// shared lock (a shard's mutex is taken once per receive batch and contended
// only while the flush thread swaps the window out). Flush() merges every
// shard's window into the persistent per-key state and returns the derived
// Graphite series for that window. Flush() is called from one thread only.
// Design: see the DESIGN note at the top of aggregator.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "aggregator/sample.h"
#include "common/stats.h"
#include "store/series_point.h"

namespace hourglass::aggregator {

struct AggregatorOptions {
  int64_t flush_interval_s = 10;
  std::vector<double> percent_thresholds{90};
  bool legacy_namespace = true;
  std::string global_prefix = "stats";
  // etsy's deleteIdleStats and its per-type overrides: when false, an idle
  // key keeps being reported (counters as 0, gauges with their last value).
  bool delete_counters = false;
  bool delete_timers = false;
  bool delete_sets = false;
  bool delete_gauges = false;
  // Unique (type, key) pairs held. When it is reached, a new key takes the
  // place of the key idle longest, if that key got nothing for
  // evict_idle_windows windows (counted in statsd.keys_evicted); otherwise
  // its samples are dropped and counted in statsd.keys_dropped.
  size_t max_keys = 1'000'000;
  size_t evict_idle_windows = 6;
  size_t max_set_members = 100'000;  // per set per window; extra members ignored
  // Per timer per window per shard. Beyond it values are not kept (count and
  // count_ps stay exact; the other stats describe the kept values).
  size_t max_timer_values = 1'000'000;
};

class Shard;

// Everything one window produced.
struct FlushResult {
  std::vector<store::Point> points;
  // Series names never reported before by this aggregator (to index once).
  // Newness is tracked per key: all of a key's names come the first time it
  // is reported.
  std::vector<std::string> new_names;
  size_t keys = 0;  // unique keys held after the flush
};

class Aggregator {
 public:
  Aggregator(AggregatorOptions options, size_t shard_count, common::StatsRegistry& stats);
  ~Aggregator();
  Aggregator(const Aggregator&) = delete;
  Aggregator& operator=(const Aggregator&) = delete;

  size_t shard_count() const;
  Shard& shard(size_t index);

  // Closes the current window and returns its series stamped `timestamp_s`
  // (etsy stamps a window with the time it is flushed). `window_s` is the
  // window's length, used for per-second rates (the normal interval, or less
  // for the partial window flushed at shutdown).
  FlushResult Flush(int64_t timestamp_s, double window_s);

 private:
  class State;
  std::unique_ptr<State> state_;
};

// One receive thread's part of the current window.
class Shard {
 public:
  // Holds the shard's lock for a batch of samples (one recvmmsg batch).
  // Not movable: use `auto batch = shard.BeginBatch();` and let it go out of
  // scope at the end of the receive batch.
  class Batch {
   public:
    void Add(const Sample& sample);
    // Per-datagram bookkeeping: statsd.packets_received += 1,
    // statsd.metrics_received += metrics (ParseCounts::metrics, the non-empty
    // lines), statsd.bad_lines_seen += bad_lines.
    void CountPacket(uint32_t metrics, uint32_t bad_lines);
    ~Batch();
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;

   private:
    friend class Shard;
    explicit Batch(Shard& shard);
    Shard& shard_;
    std::unique_lock<std::mutex> lock_;
    uint64_t packets_ = 0;
    uint64_t metrics_ = 0;
    uint64_t bad_lines_ = 0;
    uint64_t dropped_ = 0;
  };
  Batch BeginBatch();

  class Impl;
  explicit Shard(std::unique_ptr<Impl> impl);
  ~Shard();
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace hourglass::aggregator
