// Open rollup buckets: reads see them, Close() writes them, and a crash
// (a child process that _exits without closing) loses none of them.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "crashing_child.h"
#include "store/series_store.h"
#include "temp_dir.h"

using namespace hourglass;
using namespace hourglass::store;

namespace {

using testing::InCrashingChild;

constexpr int64_t kNow = 1'700'000'400;  // a multiple of 600
constexpr int64_t kMinuteFrom = kNow - 6 * 3600 - 60;
constexpr int64_t kTenMinuteFrom = kNow - 8 * 86400;

struct Store {
  common::ManualClock clock{kNow * 1'000'000};
  common::StatsRegistry stats;
  std::unique_ptr<SeriesStore> store;

  explicit Store(const std::string& path) {
    auto r = SeriesStore::Open(
        {.path = path, .retentions = *ParseRetentions("10s:6h,1m:7d,10m:5y")}, clock, stats);
    REQUIRE(r.ok());
    store = std::move(r).value();
  }
  double At(const std::string& name, int64_t from, int64_t t, int64_t now) {
    auto d = store->Read(name, from, now, now);
    REQUIRE(d.ok());
    REQUIRE(t >= d->start);
    REQUIRE(t < d->end);
    return d->values[(t - d->start) / d->step];
  }
};

// Writes 12 flushes of two series from kNow on (points at t, clock at t + 10),
// crossing a 1 min and, with the clock, part of a 10 min bucket.
void WriteFlushes(Store& s, int flushes) {
  for (int f = 0; f < flushes; ++f) {
    const int64_t t = kNow + 10 * f;
    s.clock.SetSeconds(t + 10);
    std::vector<Point> points{{"stats.api.mean", t, double(f)}, {"stats_counts.api", t, 1.0}};
    REQUIRE(s.store->Write(points).ok());
  }
}

void CheckRollups(Store& s, int flushes) {
  const int64_t now = kNow + 10 * flushes;
  // 1 min bucket [kNow, kNow + 60): values 0..5, mean 2.5, count 6.
  CHECK(s.At("stats.api.mean", kMinuteFrom + 10 * flushes, kNow, now) == 2.5);
  CHECK(s.At("stats_counts.api", kMinuteFrom + 10 * flushes, kNow, now) == 6);
  // 10 min bucket [kNow, kNow + 600): every point so far.
  CHECK(s.At("stats_counts.api", kTenMinuteFrom, kNow, now) == flushes);
}

}  // namespace

TEST_CASE("open buckets are visible to reads and emitted when closed by time", "[store][rollup]") {
  testing::TempDir dir;
  Store s(dir.path());
  WriteFlushes(s, 12);
  CheckRollups(s, 12);
  auto emitted = s.stats.GetCounter("store.rollup_buckets_emitted", "").Value();
  CHECK(emitted >= 2);  // the first minute of both series has been written out
  CHECK(s.stats.GetGauge("store.open_rollup_buckets", "").Value() > 0);
}

TEST_CASE("Close writes open buckets; a late point after reopen still adds up", "[store][rollup]") {
  testing::TempDir dir;
  {
    Store s(dir.path());
    WriteFlushes(s, 12);
    REQUIRE(s.store->Close().ok());
    CHECK(s.stats.GetGauge("store.open_rollup_buckets", "").Value() == 0);
    CHECK_FALSE(s.store->Write(std::vector<Point>{{"x", kNow, 1}}).ok());
  }
  Store s(dir.path());
  s.clock.SetSeconds(kNow + 120);
  CheckRollups(s, 12);
  // The rest of the 10 min bucket, written after the restart, adds to it.
  REQUIRE(s.store->Write(std::vector<Point>{{"stats_counts.api", kNow + 120, 1}}).ok());
  CHECK(s.At("stats_counts.api", kTenMinuteFrom, kNow, kNow + 130) == 13);
}

TEST_CASE("after a crash, open buckets are rebuilt from raw, exactly once", "[store][rollup]") {
  testing::TempDir dir;
  InCrashingChild([&] {
    Store s(dir.path());
    WriteFlushes(s, 12);
    _exit(0);  // kill -9: no destructor, no Close()
  });
  // A second crash right after the rebuild must not count the points twice.
  InCrashingChild([&] {
    Store s(dir.path());
    s.clock.SetSeconds(kNow + 120);
    (void)s.store->Read("stats.api.mean", kMinuteFrom, kNow + 120, kNow + 120);
    _exit(0);
  });
  for (int clean_restart = 0; clean_restart < 2; ++clean_restart) {
    Store s(dir.path());
    s.clock.SetSeconds(kNow + 120);
    CheckRollups(s, 12);
  }
}
