// Rollups from heads: reads fold the open heads into rollup buckets, a seal
// writes each coarser resolution's buckets once, and neither Close() nor a
// crash (a child process that _exits without closing) loses or doubles any.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "clocked_store.h"
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

struct Store : testing::ClockedStore {
  explicit Store(const std::string& path) : ClockedStore(path, kNow) {}
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

TEST_CASE("rollups fold the open heads at read and are written once at seal", "[store][rollup]") {
  testing::TempDir dir;
  Store s(dir.path());
  WriteFlushes(s, 12);
  CheckRollups(s, 12);
  // Nothing written to the rollup resolutions yet: the points are in heads.
  CHECK(s.stats.GetCounter("store.rollup_buckets_emitted", "").Value() == 0);
  // Two minutes after the raw block's hour ends, the sweep seals it: the
  // rollups now come from RocksDB, with the same values.
  const int64_t after = kNow - kNow % 3600 + 3600 + 130;
  s.clock.SetSeconds(after);
  REQUIRE(s.store->Write(std::vector<Point>{{"other", after - 10, 1}}).ok());
  CHECK(s.stats.GetCounter("store.rollup_buckets_emitted", "").Value() >= 4);
  CHECK(s.At("stats.api.mean", kMinuteFrom + (after - kNow), kNow, after) == 2.5);
  CHECK(s.At("stats_counts.api", kMinuteFrom + (after - kNow), kNow, after) == 6);
  CHECK(s.At("stats_counts.api", kTenMinuteFrom, kNow, after) == 12);
  // A late point for the sealed block adds to its buckets, once.
  REQUIRE(s.store->Write(std::vector<Point>{{"stats_counts.api", kNow + 5, 1}}).ok());
  CHECK(s.At("stats_counts.api", kMinuteFrom + (after - kNow), kNow, after) == 7);
  CHECK(s.At("stats_counts.api", kTenMinuteFrom, kNow, after) == 13);
  REQUIRE(s.store->Compact().ok());  // seals the late point's head too
  CHECK(s.At("stats_counts.api", kMinuteFrom + (after - kNow), kNow, after) == 7);
  CHECK(s.At("stats_counts.api", kTenMinuteFrom, kNow, after) == 13);
}

TEST_CASE("Close keeps the heads; a late point after reopen still adds up", "[store][rollup]") {
  testing::TempDir dir;
  {
    Store s(dir.path());
    WriteFlushes(s, 12);
    REQUIRE(s.store->Close().ok());
    CHECK_FALSE(s.store->Write(std::vector<Point>{{"x", kNow, 1}}).ok());
  }
  Store s(dir.path());
  s.clock.SetSeconds(kNow + 120);
  CheckRollups(s, 12);
  // The rest of the 10 min bucket, written after the restart, adds to it.
  REQUIRE(s.store->Write(std::vector<Point>{{"stats_counts.api", kNow + 120, 1}}).ok());
  CHECK(s.At("stats_counts.api", kTenMinuteFrom, kNow, kNow + 130) == 13);
}

TEST_CASE("after a crash, rollups are whole and counted once", "[store][rollup]") {
  testing::TempDir dir;
  InCrashingChild([&] {
    Store s(dir.path());
    WriteFlushes(s, 12);
    _exit(0);  // kill -9: no destructor, no Close()
  });
  // Crash again right after sealing the replayed heads: the seal's rollups
  // and the WAL records it covers must not both count.
  const int64_t after = kNow - kNow % 3600 + 3600 + 130;
  InCrashingChild([&] {
    Store s(dir.path());
    s.clock.SetSeconds(after);
    REQUIRE(s.store->Write(std::vector<Point>{{"other", after - 10, 1}}).ok());
    REQUIRE(s.stats.GetCounter("store.rollup_buckets_emitted", "").Value() >= 4);
    _exit(0);
  });
  for (int clean_restart = 0; clean_restart < 2; ++clean_restart) {
    Store s(dir.path());
    s.clock.SetSeconds(after);
    CHECK(s.At("stats.api.mean", kMinuteFrom + (after - kNow), kNow, after) == 2.5);
    CHECK(s.At("stats_counts.api", kMinuteFrom + (after - kNow), kNow, after) == 6);
    CHECK(s.At("stats_counts.api", kTenMinuteFrom, kNow, after) == 12);
  }
}

TEST_CASE("a head checkpointed, then sealed, then a crash: counted once", "[store][rollup]") {
  testing::TempDir dir;
  {
    Store s(dir.path());
    WriteFlushes(s, 12);
    REQUIRE(s.store->Close().ok());  // the heads are in the checkpoint's chunks
  }
  const int64_t after = kNow - kNow % 3600 + 3600 + 130;
  InCrashingChild([&] {
    Store s(dir.path());
    s.clock.SetSeconds(after);
    REQUIRE(s.store->Write(std::vector<Point>{{"other", after - 10, 1}}).ok());  // seals them
    REQUIRE(s.stats.GetCounter("store.heads_sealed", "").Value() >= 2);
    _exit(0);
  });
  for (int clean_restart = 0; clean_restart < 2; ++clean_restart) {
    Store s(dir.path());
    s.clock.SetSeconds(after);
    CHECK(s.At("stats_counts.api", kMinuteFrom + (after - kNow), kNow, after) == 6);
    CHECK(s.At("stats_counts.api", kTenMinuteFrom, kNow, after) == 12);
    auto raw = s.store->Read("stats_counts.api", kNow - 60, kNow + 60, after);
    REQUIRE(raw.ok());
    CHECK(raw->values[(kNow - raw->start) / raw->step] == 1);  // not 2
  }
}

TEST_CASE("store.seal_lateness decides when an ended block is sealed", "[store][rollup]") {
  testing::TempDir dir;
  common::ManualClock clock{kNow * 1'000'000};
  common::StatsRegistry stats;
  auto r = SeriesStore::Open(
      {.path = dir.path(), .retentions = *ParseRetentions("10s:6h,1m:7d"), .seal_lateness_s = 30},
      clock, stats);
  REQUIRE(r.ok());
  auto& store = *r;
  REQUIRE(store->Write(std::vector<Point>{{"a", kNow, 1}}).ok());
  const int64_t end = kNow - kNow % 3600 + 3600;  // the block's span ends
  auto sealed = [&] { return stats.GetCounter("store.heads_sealed", "").Value(); };
  clock.SetSeconds(end + 29);
  REQUIRE(store->Write(std::vector<Point>{{"b", end + 20, 1}}).ok());
  CHECK(sealed() == 0);        // 29 s after the end: not yet
  clock.SetSeconds(end + 41);  // past the lateness, and the next 10 s sweep
  REQUIRE(store->Write(std::vector<Point>{{"b", end + 30, 1}}).ok());
  CHECK(sealed() == 1);  // "a": 30 s after its span ended and idle as long
}

TEST_CASE("a Write of more than 2^20 points is logged as several WAL records, replayed whole",
          "[store][wal]") {
  testing::TempDir dir;
  const int64_t hour = kNow - kNow % 3600 - 3600;  // the previous hour: one block per series
  constexpr int kSeries = 3000;                    // x 360 slots = 1.08 M points
  InCrashingChild([&] {
    Store s(dir.path());
    s.clock.SetSeconds(hour + 3600 + 30);  // ended, not yet sealed
    std::vector<Point> points;
    points.reserve(size_t(kSeries) * 360);
    for (int i = 0; i < kSeries; ++i) {
      const std::string name = "big.s" + std::to_string(i);
      for (int slot = 0; slot < 360; ++slot) points.push_back({name, hour + 10 * slot, 1.0});
    }
    REQUIRE(s.store->Write(points).ok());
    REQUIRE(s.stats.GetCounter("store.wal_errors", "").Value() == 0);
    _exit(0);  // kill -9: only the WAL has them
  });
  Store s(dir.path());
  s.clock.SetSeconds(hour + 3600 + 30);
  for (int i : {0, kSeries - 1}) {
    auto r = s.store->Read("big.s" + std::to_string(i), hour - 10, hour + 3590, hour + 3600 + 30);
    REQUIRE(r.ok());
    size_t n = 0;
    for (double v : r->values) n += v == 1.0;
    CHECK(n == 360);
  }
}
