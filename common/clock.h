// Clock: where every component reads the time. SystemClock for the server,
// ManualClock for tests (time moves only when the test says so).
// Both are safe to call from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace hourglass::common {

class Clock {
 public:
  virtual ~Clock() = default;
  // Microseconds since the Unix epoch, UTC.
  virtual int64_t NowMicros() const = 0;
  int64_t NowSeconds() const { return NowMicros() / 1'000'000; }
};

class SystemClock final : public Clock {
 public:
  int64_t NowMicros() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_micros = 0) : now_micros_(now_micros) {}
  int64_t NowMicros() const override { return now_micros_.load(); }
  void SetMicros(int64_t now_micros) { now_micros_.store(now_micros); }
  void SetSeconds(int64_t now_seconds) { now_micros_.store(now_seconds * 1'000'000); }
  void AdvanceMicros(int64_t delta) { now_micros_.fetch_add(delta); }

 private:
  std::atomic<int64_t> now_micros_;
};

}  // namespace hourglass::common
