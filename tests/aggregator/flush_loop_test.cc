#include "aggregator/flush_loop.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <thread>
#include <vector>

namespace hourglass::aggregator {
namespace {

struct Capture {
  struct Flush {
    std::map<std::string, double> points;
    std::vector<std::string> new_names;
    int64_t timestamp = 0;
  };
  std::mutex mu;
  std::vector<Flush> flushes;
  bool fail = false;

  PointSink Sink() {
    return [this](std::span<const store::Point> points, std::span<const std::string> names) {
      std::lock_guard lock(mu);
      Flush f;
      for (const auto& p : points) {
        f.points[p.name] = p.value;
        f.timestamp = p.timestamp;
      }
      f.new_names.assign(names.begin(), names.end());
      flushes.push_back(std::move(f));
      return fail ? common::Status::Error("disk full") : common::Status::Ok();
    };
  }
  size_t Count() {
    std::lock_guard lock(mu);
    return flushes.size();
  }
  bool WaitFor(size_t n) {
    for (int i = 0; i < 500 && Count() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return Count() >= n;
  }
};

void AddCounter(Aggregator& agg, double value) {
  auto batch = agg.shard(0).BeginBatch();
  Sample s;
  s.key = "hits";
  s.type = MetricType::kCounter;
  s.value = value;
  batch.Add(s);
  batch.CountPacket(1, 0);
}

TEST_CASE("flush loop flushes at wall-clock boundaries", "[flush_loop]") {
  common::StatsRegistry stats;
  Aggregator agg({}, 1, stats);
  common::ManualClock clock;
  clock.SetMicros(1'003'500'000);  // 1003.5 s
  Capture cap;
  FlushLoop loop(agg, clock, stats, cap.Sink(), 10);
  loop.Start();
  AddCounter(agg, 20);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  CHECK(cap.Count() == 0);  // no boundary crossed yet
  clock.SetSeconds(1010);
  REQUIRE(cap.WaitFor(1));
  {
    std::lock_guard lock(cap.mu);
    const auto& f = cap.flushes[0];
    CHECK(f.timestamp == 1010);
    CHECK(f.points.at("stats.hits") == 2);  // 20 over the 10 s interval
    CHECK(f.points.at("stats_counts.hits") == 20);
    CHECK(f.points.at("hourglass.statsd.packets_received") == 1);
    CHECK(f.points.count("hourglass.flush.duration_ms") == 1);
    CHECK(f.points.count("hourglass.flush.points") == 1);
    CHECK(std::count(f.new_names.begin(), f.new_names.end(), "hourglass.statsd.packets_received") ==
          1);
  }
  AddCounter(agg, 5);
  clock.SetMicros(1'013'000'000);  // 1013 s, then stop: partial window of 3 s
  loop.Stop();
  REQUIRE(cap.Count() == 2);
  std::lock_guard lock(cap.mu);
  const auto& last = cap.flushes[1];
  CHECK(last.timestamp == 1020);
  CHECK(last.points.at("stats_counts.hits") == 5);
  CHECK(last.points.at("stats.hits") == Approx(5.0 / 3));
  CHECK(last.points.at("hourglass.statsd.packets_received") == 1);  // a delta
  CHECK(std::count(last.new_names.begin(), last.new_names.end(),
                   "hourglass.statsd.packets_received") == 0);
}

TEST_CASE("flush loop skips to the next boundary after a stall", "[flush_loop]") {
  common::StatsRegistry stats;
  Aggregator agg({}, 1, stats);
  common::ManualClock clock;
  clock.SetSeconds(2000);
  Capture cap;
  FlushLoop loop(agg, clock, stats, cap.Sink(), 10);
  loop.Start();
  clock.SetSeconds(2035);
  REQUIRE(cap.WaitFor(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  CHECK(cap.Count() == 1);
  loop.Stop();
  std::lock_guard lock(cap.mu);
  CHECK(cap.flushes[0].timestamp == 2030);
  CHECK(cap.flushes[1].timestamp == 2040);
}

TEST_CASE("failed sink writes are counted, never fatal", "[flush_loop]") {
  common::StatsRegistry stats;
  Aggregator agg({}, 1, stats);
  common::ManualClock clock(5'000'000'000);
  Capture cap;
  cap.fail = true;
  FlushLoop loop(agg, clock, stats, cap.Sink(), 10);
  CHECK_FALSE(loop.FlushNow(5010, 10).ok());
  CHECK_FALSE(loop.FlushNow(5020, 10).ok());
  double errors = -1;
  bool store_counter = false;
  for (const auto& v : stats.Snapshot()) {
    if (v.name == "flush.write_errors") errors = v.value;
    // store.write_errors is the store's own count of lost points: a failed
    // flush must not add a flush to it (one name, one unit).
    if (v.name == "store.write_errors") store_counter = true;
  }
  CHECK(errors == 2);
  CHECK_FALSE(store_counter);
  std::lock_guard lock(cap.mu);
  CHECK(cap.flushes[1].points.at("hourglass.flush.write_errors") == 1);
}

}  // namespace
}  // namespace hourglass::aggregator
