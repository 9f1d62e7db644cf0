// Forwarder: one [[forward]] entry. Enqueue (any thread: the flush loop and
// carbon connections, after the store took the points) keeps the points whose
// name the entry's pattern matches, as carbon plaintext lines in the entry's
// DiskQueue; one sender thread per entry sends them to the backend over TCP,
// reconnecting with backoff. Self-metrics forward.<name>.* and the /health
// component forward.<name>. Delivery is at least once; see docs in forwarder.cc.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>

#include <re2/re2.h>

#include "common/clock.h"
#include "common/stats.h"
#include "common/status.h"
#include "forward/disk_queue.h"
#include "store/series_point.h"

namespace hourglass::forward {

struct ForwarderOptions {
  std::string name;     // metric and health names, the queue's folder
  std::string carbon;   // "host:port" of a carbon plaintext receiver
  std::string pattern;  // Python regex searched in the whole name (tags too); "" = all
  std::string dir;      // the queue's folder (data_dir/forward/<name>)
  DiskQueueOptions queue;
  int64_t fsync_interval_ms = 1000;  // queue.fsync "interval": the sync period
  // Sent points count as delivered this long after their send; a broken
  // connection sends again what was sent within it (carbon has no acks).
  int64_t resend_window_ms = 5000;
  // /health says degraded when the backend has been unreachable this long.
  int64_t unreachable_after_ms = 30'000;
  int64_t backoff_min_ms = 100;
  int64_t backoff_max_ms = 2000;
  int64_t io_timeout_ms = 5000;  // connect and a stalled send
  size_t batch_bytes = 256 * 1024;
};

// The pattern compiled as store.schemas patterns are (Python dialect, RE2),
// or an error naming it. Empty pattern: nullptr (everything matches).
common::Result<std::unique_ptr<const re2::RE2>> CompileForwardPattern(const std::string& pattern);

class Forwarder {
 public:
  // Opens the queue (what an earlier run left is sent first); fails with one
  // clear line. `stats` must outlive the forwarder.
  static common::Result<std::unique_ptr<Forwarder>> Create(const ForwarderOptions& options,
                                                           common::StatsRegistry& stats);
  ~Forwarder();  // Stop()
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  void Start();
  // Cheap: formats the matching points and appends them to the queue (one
  // write(2)); never waits for the backend. A failed append is counted in
  // dropped_points.
  void Enqueue(std::span<const store::Point> points);
  // Stops the sender: a connected backend gets what was already read, then
  // the cursor is written. What is unsent stays queued for the next start.
  void Stop();

  const std::string& name() const { return options_.name; }

 private:
  struct Stats;
  Forwarder(ForwarderOptions options, std::unique_ptr<const re2::RE2> pattern,
            std::unique_ptr<DiskQueue> queue, common::StatsRegistry& stats);
  void Run();
  bool Connect();
  bool SendAll(std::string_view bytes);
  bool PeerClosed() const;
  void Disconnect();
  void UpdateGauges(int64_t now_ms);
  void Wait(int64_t ms);

  const ForwarderOptions options_;
  const std::unique_ptr<const re2::RE2> pattern_;
  const std::unique_ptr<DiskQueue> queue_;
  common::StatsRegistry& registry_;
  std::unique_ptr<Stats> stats_;
  std::mutex mu_;  // guards stopping_ for the condition variable
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
  // Sender thread only:
  int fd_ = -1;
  int64_t unreachable_since_ms_ = 0;
  uint64_t dropped_seen_ = 0;
};

}  // namespace hourglass::forward
