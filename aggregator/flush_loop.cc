#include "aggregator/flush_loop.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace hourglass::aggregator {
namespace {

constexpr int64_t kMicros = 1'000'000;
constexpr int64_t kMaxWaitMicros = 100'000;  // re-read the clock at least this often
constexpr int64_t kErrorLogEveryMicros = 60 * kMicros;

// The flush thread yields to the receive threads: a flush that takes a core
// from them for a second overflows their socket buffers, while a flush that
// runs a little later loses nothing (the next window accumulates meanwhile).
constexpr int kFlushThreadNice = 10;

int64_t FloorTo(int64_t value, int64_t step) { return value - ((value % step) + step) % step; }

}  // namespace

FlushLoop::FlushLoop(Aggregator& aggregator, const common::Clock& clock,
                     common::StatsRegistry& stats, PointSink sink, int64_t interval_s)
    : aggregator_(aggregator),
      clock_(clock),
      sink_(std::move(sink)),
      interval_s_(std::max<int64_t>(interval_s, 1)),
      flush_ms_(stats.GetGauge("flush.duration_ms", "time to aggregate the last window")),
      write_ms_(stats.GetGauge("flush.write_ms", "time to write the previous window's points")),
      points_(stats.GetGauge("flush.points", "points written by the last flush")),
      write_errors_(stats.GetCounter("flush.write_errors", "flushes the store failed to write")),
      stats_(stats) {}

FlushLoop::~FlushLoop() { Stop(); }

void FlushLoop::Start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  stop_ = false;
  {
    std::lock_guard flush_lock(flush_mu_);
    last_flushed_ = FloorTo(clock_.NowSeconds(), interval_s_);
  }
  thread_ = std::thread([this] { Run(); });
}

void FlushLoop::Run() {
  // Linux: setpriority on a thread id changes that thread only.
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kFlushThreadNice) != 0) {
    spdlog::warn("flush thread priority unchanged: {}", std::strerror(errno));
  }
  std::unique_lock lock(mu_);
  while (!stop_) {
    const int64_t now_us = clock_.NowMicros();
    const int64_t boundary = FloorTo(now_us / kMicros, interval_s_);
    bool due;
    {
      std::lock_guard flush_lock(flush_mu_);
      due = boundary > last_flushed_;
    }
    if (due) {
      lock.unlock();
      (void)FlushNow(boundary, static_cast<double>(interval_s_));
      lock.lock();
      continue;
    }
    const int64_t next_us = (boundary + interval_s_) * kMicros;
    const int64_t wait_us = std::clamp<int64_t>(next_us - now_us, 1, kMaxWaitMicros);
    cv_.wait_for(lock, std::chrono::microseconds(wait_us));
  }
}

void FlushLoop::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!started_) return;
    started_ = false;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  const int64_t now_us = clock_.NowMicros();
  const int64_t floor = FloorTo(now_us / kMicros, interval_s_);
  int64_t last;
  {
    std::lock_guard flush_lock(flush_mu_);
    last = last_flushed_;
  }
  if (floor > last) (void)FlushNow(floor, static_cast<double>(interval_s_));
  const double elapsed = static_cast<double>(now_us - floor * kMicros) / kMicros;
  (void)FlushNow(floor + interval_s_, std::max(elapsed, 0.001));
}

common::Status FlushLoop::FlushNow(int64_t timestamp_s, double window_s) {
  std::lock_guard lock(flush_mu_);
  const int64_t start_us = clock_.NowMicros();
  const auto wall_start = std::chrono::steady_clock::now();
  FlushResult result = aggregator_.Flush(timestamp_s, window_s);
  const auto wall_flushed = std::chrono::steady_clock::now();
  flush_ms_.Set(std::chrono::duration<double, std::milli>(wall_flushed - wall_start).count());
  points_.Set(static_cast<double>(result.points.size()));
  AppendSelfMetrics(result, timestamp_s);
  last_flushed_ = std::max(last_flushed_, FloorTo(timestamp_s, interval_s_));

  common::Status status = sink_ ? sink_(result.points, result.new_names) : common::Status::Ok();
  write_ms_.Set(
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall_flushed)
          .count());
  if (!status.ok()) {
    write_errors_.Add();
    ++errors_since_log_;
    if (last_error_log_us_ == 0 || start_us - last_error_log_us_ >= kErrorLogEveryMicros) {
      spdlog::warn("metrics flush at {}: store write failed ({} failure(s) since last report): {}",
                   timestamp_s, errors_since_log_, status.message());
      last_error_log_us_ = start_us;
      errors_since_log_ = 0;
    }
  }
  return status;
}

// hourglass.<stat> for every registered stat: counters as the increase since
// the previous flush, gauges as their value.
void FlushLoop::AppendSelfMetrics(FlushResult& result, int64_t timestamp_s) {
  for (const common::StatValue& stat : stats_.Snapshot()) {
    double value = stat.value;
    if (stat.kind == common::StatKind::kCounter) {
      double& last = last_counters_[stat.name];
      value = stat.value - last;
      last = stat.value;
    }
    std::string name = "hourglass." + stat.name;
    if (named_.insert(name).second) result.new_names.push_back(name);
    result.points.push_back({std::move(name), timestamp_s, value});
  }
}

}  // namespace hourglass::aggregator
