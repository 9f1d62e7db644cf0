// RateLimitedLog: lets one log line through per interval and says how many
// events it stands for, so bad input is logged without logging per packet.
// Lock-free; any thread may call Take.
#pragma once

#include <atomic>
#include <cstdint>

namespace hourglass::common {

class RateLimitedLog {
 public:
  explicit RateLimitedLog(int64_t interval_s = 10) : interval_s_(interval_s) {}

  // Counts `events`; returns the events since the last line if a line may be
  // logged now (at most one per interval), else 0.
  uint64_t Take(int64_t now_s, uint64_t events = 1) {
    count_.fetch_add(events, std::memory_order_relaxed);
    int64_t next = next_.load(std::memory_order_relaxed);
    if (now_s < next || !next_.compare_exchange_strong(next, now_s + interval_s_)) return 0;
    return count_.exchange(0);
  }

 private:
  const int64_t interval_s_;
  std::atomic<int64_t> next_{0};
  std::atomic<uint64_t> count_{0};
};

}  // namespace hourglass::common
