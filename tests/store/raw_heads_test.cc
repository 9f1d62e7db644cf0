// Heads, the open raw blocks (docs/STORE.md): read from memory, sealed as
// one value per series when their span ends, late points patched onto sealed
// blocks by the series' rule, and nothing the WAL logged lost to a crash.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

#include "crashing_child.h"
#include "store/raw_heads.h"
#include "store/series_store.h"
#include "temp_dir.h"

using namespace hourglass;
using namespace hourglass::store;

namespace {

using testing::InCrashingChild;

constexpr int64_t kNow = 1'700'000'400;  // 20 min into its hour
constexpr int64_t kHour = 3600;

struct Store {
  explicit Store(const std::string& path) {
    auto r = SeriesStore::Open({.path = path, .retentions = *ParseRetentions("10s:6h,1m:7d")},
                               clock, stats);
    REQUIRE(r.ok());
    store = std::move(r).value();
  }
  void Write(std::vector<Point> points) { REQUIRE(store->Write(points).ok()); }
  std::vector<double> Values(const std::string& name, int64_t from, int64_t until) {
    auto r = store->Read(name, from, until, clock.NowSeconds());
    REQUIRE(r.ok());
    std::vector<double> out;
    for (double v : r->values) {
      if (!std::isnan(v)) out.push_back(v);
    }
    return out;
  }
  double Gauge(const char* name) { return stats.GetGauge(name, "").Value(); }
  uint64_t Counter(const char* name) { return stats.GetCounter(name, "").Value(); }

  common::ManualClock clock{kNow * 1'000'000};
  common::StatsRegistry stats;
  std::unique_ptr<SeriesStore> store;
};

}  // namespace

TEST_CASE("open raw blocks are read from memory and sealed once their span ends",
          "[store][heads]") {
  testing::TempDir dir;
  Store s(dir.path());
  s.Write({{"a.count", kNow - 30, 1}, {"a.count", kNow - 20, 2}, {"b", kNow - 30, 5}});
  CHECK(s.Gauge("store.heads") == 2);
  CHECK(s.Values("a.count", kNow - 60, kNow) == std::vector<double>{1, 2});
  // Out of order and a second write to a slot (".count" sums) in the head.
  s.Write({{"a.count", kNow - 50, 7}, {"a.count", kNow - 20, 3}});
  CHECK(s.Values("a.count", kNow - 60, kNow) == std::vector<double>{7, 1, 5});
  CHECK(s.Values("a.count", kNow - 5 * kHour, kNow) == std::vector<double>{7, 1, 5});
  CHECK(s.Counter("store.heads_sealed") == 0);

  // Two minutes past the end of the hour (and of their last point) the heads
  // are sealed by a write's sweep (at most one sweep every 10 s).
  const int64_t next_hour = kNow - kNow % kHour + kHour;
  s.clock.SetSeconds(next_hour + 119);
  s.Write({{"c", next_hour + 100, 1}});
  CHECK(s.Counter("store.heads_sealed") == 0);
  s.clock.SetSeconds(next_hour + 130);
  s.Write({{"c", next_hour + 110, 2}});
  CHECK(s.Counter("store.heads_sealed") == 2);
  CHECK(s.Gauge("store.heads") == 1);  // c's, in the new hour
  CHECK(s.Values("a.count", kNow - 60, kNow) == std::vector<double>{7, 1, 5});
  CHECK(s.Values("b", kNow - 60, kNow) == std::vector<double>{5});
  // A late point into the sealed block starts a new head for it; reads and
  // its seal combine it by the rule: it sums.
  s.Write({{"a.count", kNow - 20, 10}, {"b", kNow - 10, 6}});
  CHECK(s.Values("a.count", kNow - 60, kNow) == std::vector<double>{7, 1, 15});
  CHECK(s.Values("b", kNow - 60, kNow) == std::vector<double>{5, 6});
  CHECK(s.Counter("store.heads_sealed") == 2);
  REQUIRE(s.store->Compact().ok());             // seals every ended head
  CHECK(s.Counter("store.heads_sealed") == 4);  // the two new heads; c's hour is open
  CHECK(s.Values("a.count", kNow - 60, kNow) == std::vector<double>{7, 1, 15});
  CHECK(s.Values("b", kNow - 60, kNow) == std::vector<double>{5, 6});
  REQUIRE(s.store->Close().ok());
}

TEST_CASE("a backfill in time order seals each block as its series moves on", "[store][heads]") {
  testing::TempDir dir;
  // Three hours of one series, an hour ago and older, sent oldest first;
  // ".count" sums a slot's writes, so a point replayed twice would show.
  const int64_t start = kNow - kNow % kHour - 4 * kHour;
  InCrashingChild([&] {
    Store s(dir.path());
    for (int64_t t = start; t < start + 3 * kHour; t += 600) {
      s.Write({{"old.count", t, double(t - start)}});
    }
    // The first two hours were sealed when the next began.
    const bool ok = s.Counter("store.heads_sealed") == 2 && s.Gauge("store.heads") == 1;
    _exit(ok ? 0 : 1);  // a crash: the WAL still holds the sealed hours' points
  });
  Store s(dir.path());
  std::vector<double> expected;
  for (int64_t t = start; t < start + 3 * kHour; t += 600) expected.push_back(double(t - start));
  // Replay skipped the sealed hours' points (their blocks' markers) and
  // restored the third hour's head.
  CHECK(s.Values("old.count", start - 10, start + 3 * kHour) == expected);
  CHECK(s.Gauge("store.heads") == 1);
}

// A store holds one head per series with an open block: keep it small.
static_assert(sizeof(hourglass::store::SeriesBlockWriter) <= 64);
static_assert(sizeof(hourglass::store::RawHeads::Head) <= 80);
