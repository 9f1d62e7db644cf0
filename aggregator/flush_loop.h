// FlushLoop: the flush thread. Wakes at every wall-clock multiple of the
// flush interval (read from a common::Clock), flushes the Aggregator, appends
// the process's own hourglass.* self-metrics and hands the points to a sink
// (the lead wires it to the series store). Owns its thread; Start/Stop/
// FlushNow may be called from any thread (flushes are serialized).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "aggregator/aggregator.h"
#include "common/clock.h"
#include "common/stats.h"
#include "common/status.h"
#include "store/series_point.h"

namespace hourglass::aggregator {

// Writes one flush's points; `new_names` lists names never passed before
// (index them once). Called on the flush thread only.
using PointSink = std::function<common::Status(std::span<const store::Point> points,
                                               std::span<const std::string> new_names)>;

class FlushLoop {
 public:
  FlushLoop(Aggregator& aggregator, const common::Clock& clock, common::StatsRegistry& stats,
            PointSink sink, int64_t interval_s);
  ~FlushLoop();  // Stop()
  FlushLoop(const FlushLoop&) = delete;
  FlushLoop& operator=(const FlushLoop&) = delete;

  void Start();
  // Stops the thread, then flushes the partial window stamped with the next
  // boundary (window_s = the elapsed part of the interval). Idempotent; does
  // nothing if Start() was never called.
  void Stop();

  // One flush now, stamped `timestamp_s`, rates over `window_s` (tests, and
  // the loop itself). Returns the sink's status.
  common::Status FlushNow(int64_t timestamp_s, double window_s);

 private:
  void Run();
  void AppendSelfMetrics(FlushResult& result, int64_t timestamp_s);

  Aggregator& aggregator_;
  const common::Clock& clock_;
  PointSink sink_;
  const int64_t interval_s_;
  common::Gauge& flush_ms_;
  common::Gauge& write_ms_;
  common::Gauge& points_;
  common::Counter& write_errors_;
  common::StatsRegistry& stats_;

  std::mutex flush_mu_;  // serializes FlushNow; guards the fields below
  std::unordered_map<std::string, double> last_counters_;  // counter deltas
  std::unordered_set<std::string> named_;                  // hourglass.* names returned
  int64_t last_flushed_ = 0;                               // last boundary flushed
  int64_t last_error_log_us_ = 0;
  uint64_t errors_since_log_ = 0;

  std::mutex mu_;  // guards stop_ and started_
  std::condition_variable cv_;
  bool stop_ = false;
  bool started_ = false;
  std::thread thread_;
};

}  // namespace hourglass::aggregator
