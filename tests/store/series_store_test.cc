#include "store/series_store.h"

#include <catch2/catch.hpp>

#include <cmath>

#include "temp_dir.h"

using namespace hourglass;
using namespace hourglass::store;

namespace {

// A multiple of 600, so every resolution's slots line up with it.
constexpr int64_t kNow = 1'700'000'400;
constexpr int64_t kHour = 3600, kDay = 86400;

struct Fixture {
  testing::TempDir dir;
  common::ManualClock clock{kNow * 1'000'000};
  common::StatsRegistry stats;
  std::unique_ptr<SeriesStore> store;

  Fixture() { Reopen(); }
  void Reopen() {
    store.reset();
    auto r = SeriesStore::Open(
        {.path = dir.path(), .retentions = *ParseRetentions("10s:6h,1m:7d,10m:5y")}, clock, stats);
    REQUIRE(r.ok());
    store = std::move(r).value();
  }
  void Write(std::vector<Point> points) { REQUIRE(store->Write(points).ok()); }
  SeriesData Read(const std::string& name, int64_t from, int64_t until, int64_t now = kNow) {
    auto r = store->Read(name, from, until, now);
    REQUIRE(r.ok());
    return std::move(r).value();
  }
  // The value of `name` in the resolution a read from `from` selects, at time t.
  double At(const std::string& name, int64_t from, int64_t t, int64_t now = kNow) {
    SeriesData d = Read(name, from, now, now);
    REQUIRE(t >= d.start);
    REQUIRE(t < d.end);
    return d.values[(t - d.start) / d.step];
  }
  uint64_t Counter(const char* name) { return stats.GetCounter(name, "").Value(); }
};

// Reading from here selects the 1 min resolution; from kNow - 8 d, the 10 min one.
constexpr int64_t kMinuteFrom = kNow - 6 * kHour - 60;
constexpr int64_t kTenMinuteFrom = kNow - 8 * kDay;

}  // namespace

TEST_CASE("write then read back raw points", "[store]") {
  Fixture f;
  f.Write({{"a.b", kNow - 50, 1}, {"a.b", kNow - 40, 2}, {"a.b", kNow - 30, 3}});
  SeriesData d = f.Read("a.b", kNow - 60, kNow);
  CHECK(d.name == "a.b");
  CHECK(d.step == 10);
  CHECK(d.start == kNow - 50);
  CHECK(d.end == kNow + 10);
  REQUIRE(d.values.size() == 6);
  CHECK(d.values[0] == 1);
  CHECK(d.values[1] == 2);
  CHECK(d.values[2] == 3);
  CHECK(std::isnan(d.values[3]));
  CHECK(std::isnan(d.values[5]));
  CHECK(f.Counter("store.points_written") == 3);
}

TEST_CASE("whisper alignment: from is exclusive, first point at from + step", "[store]") {
  Fixture f;
  f.Write({{"a.b", kNow - 60, 9}, {"a.b", kNow - 47, 4}});
  SeriesData d = f.Read("a.b", kNow - 60, kNow - 20);
  CHECK(d.start == kNow - 50);  // the point at from itself is not returned
  CHECK(d.end == kNow - 10);
  REQUIRE(d.values.size() == 4);
  CHECK(d.values[0] == 4);  // kNow - 47 lands in slot kNow - 50
  SeriesData unaligned = f.Read("a.b", kNow - 55, kNow - 20);
  CHECK(unaligned.start == kNow - 50);
  SeriesData empty_range = f.Read("a.b", kNow - 50, kNow - 50);
  CHECK(empty_range.values.size() == 1);  // zero-length: whisper returns the next point
  CHECK(empty_range.start == kNow - 40);
}

TEST_CASE("resolution selection by now - from, clamped to retention", "[store]") {
  Fixture f;
  CHECK(f.Read("x", kNow - 6 * kHour, kNow).step == 10);
  CHECK(f.Read("x", kNow - 6 * kHour - 1, kNow).step == 60);
  CHECK(f.Read("x", kNow - 7 * kDay, kNow).step == 60);
  CHECK(f.Read("x", kNow - 7 * kDay - 1, kNow).step == 600);
  SeriesData old = f.Read("x", kNow - 10 * 365 * kDay, kNow);
  CHECK(old.step == 600);
  CHECK(old.start == kNow - 5 * 365 * kDay + 600);
  SeriesData future = f.Read("x", kNow - 60, kNow + 3600);
  CHECK(future.end == kNow + 10);                               // until clamped to now
  CHECK(f.Read("x", kNow + 10, kNow + 20).values.empty());      // wholly in the future
  CHECK(f.Read("x", 0, 1000).values.empty());                   // wholly past retention
  CHECK_FALSE(f.store->Read("x", kNow, kNow - 10, kNow).ok());  // from > until
}

TEST_CASE("a second write to a raw slot combines by the series' rule", "[store]") {
  Fixture f;
  for (double v : {2.0, 7.0}) f.Write({{"stats_counts.req", kNow - 50, v}});
  for (double v : {2.0, 7.0}) f.Write({{"stats.gauges.q", kNow - 50, v}});
  for (double v : {5.0, 3.0, 4.0}) f.Write({{"stats.timers.t.lower", kNow - 50, v}});
  for (double v : {5.0, 8.0, 4.0}) f.Write({{"stats.timers.t.upper_90", kNow - 50, v}});
  CHECK(f.At("stats_counts.req", kNow - 60, kNow - 50) == 9);  // sum
  CHECK(f.At("stats.gauges.q", kNow - 60, kNow - 50) == 7);    // last write wins
  CHECK(f.At("stats.timers.t.lower", kNow - 60, kNow - 50) == 3);
  CHECK(f.At("stats.timers.t.upper_90", kNow - 60, kNow - 50) == 8);
}

TEST_CASE("within one Write, the last point written to a slot wins", "[store]") {
  Fixture f;
  std::vector<Point> points;
  for (int i = 0; i < 200; ++i) {  // enough others that sorting them would reorder
    points.push_back({"other." + std::to_string(i), kNow - 50, double(i)});
    if (i % 40 == 0) points.push_back({"stats.gauges.g", kNow - 50, double(i)});
  }
  f.Write(points);
  CHECK(f.At("stats.gauges.g", kNow - 60, kNow - 50) == 160);
}

TEST_CASE("a batch of many points per series reads as the same points one by one", "[store]") {
  Fixture f;
  // Two days at 10 s, with repeats of some slots, for an average and a sum
  // series: the batch goes in as one operand per block, the others per point.
  std::vector<Point> batch;
  for (int64_t t = kNow - 2 * kDay; t < kNow; t += 10) {
    const double v = double((t / 10) % 97);
    for (const char* name : {"batch.load", "batch.hits.count"}) {
      batch.push_back({name, t, v});
      if (t % 7 == 0) batch.push_back({name, t, v + 1});  // a second write to the slot
    }
  }
  f.Write(batch);
  for (const Point& p : batch) {
    f.Write({{std::string("single.") + std::string(p.name).substr(6), p.timestamp, p.value}});
  }
  for (const int64_t from : {kNow - kHour, kMinuteFrom, kNow - 2 * kDay, kTenMinuteFrom}) {
    for (const char* name : {"load", "hits.count"}) {
      SeriesData a = f.Read(std::string("batch.") + name, from, kNow);
      SeriesData b = f.Read(std::string("single.") + name, from, kNow);
      INFO(name << " from now - " << kNow - from);
      CHECK(a.step == b.step);
      REQUIRE(a.values.size() == b.values.size());
      size_t known = 0;
      for (size_t i = 0; i < a.values.size(); ++i) {
        CHECK((a.values[i] == b.values[i] || (std::isnan(a.values[i]) && std::isnan(b.values[i]))));
        known += !std::isnan(a.values[i]);
      }
      CHECK(known + 2 >= std::min<size_t>(a.values.size(), 2 * kDay / a.step));
    }
  }
}

TEST_CASE("rollups aggregate per rule, whatever the arrival order", "[store]") {
  Fixture f;
  const int64_t b = kNow - 600;  // a 1 min bucket [b, b + 60)
  auto write3 = [&](const std::string& name, double v1, double v2, double v3) {
    f.Write({{name, b + 20, v3}});  // out of order, one Write each
    f.Write({{name, b, v1}});
    f.Write({{name, b + 10, v2}});
  };
  write3("stats.api.mean", 1, 2, 6);
  write3("stats_counts.api", 1, 2, 6);
  write3("stats.timers.api.count", 1, 2, 6);
  write3("stats.timers.api.lower", 5, 3, 4);
  write3("stats.timers.api.upper", 5, 3, 4);
  CHECK(f.At("stats.api.mean", kMinuteFrom, b) == 3);  // (1 + 2 + 6) / 3
  CHECK(f.At("stats_counts.api", kMinuteFrom, b) == 9);
  CHECK(f.At("stats.timers.api.count", kMinuteFrom, b) == 9);
  CHECK(f.At("stats.timers.api.lower", kMinuteFrom, b) == 3);
  CHECK(f.At("stats.timers.api.upper", kMinuteFrom, b) == 5);
  // The 10 min bucket [kNow - 600, kNow) holds the same three points.
  CHECK(f.At("stats_counts.api", kTenMinuteFrom, b) == 9);
  // ...but min's xFilesFactor 0.1 needs 6 of its 60 raw slots: 3 is too few.
  CHECK(std::isnan(f.At("stats.timers.api.lower", kTenMinuteFrom, b)));
}

TEST_CASE("late points merge into rollups written earlier", "[store]") {
  Fixture f;
  const int64_t b = kNow - 600;
  f.Write({{"stats.api.mean", b, 1}, {"stats.api.mean", b + 20, 3}});
  CHECK(f.At("stats.api.mean", kMinuteFrom, b) == 2);
  f.clock.SetSeconds(kNow + 2 * kHour);
  f.Write({{"stats.api.mean", b + 10, 8}});  // two hours late
  CHECK(f.At("stats.api.mean", kMinuteFrom + 2 * kHour, b, kNow + 2 * kHour) == 4);
}

TEST_CASE("xFilesFactor nulls sparse rollup buckets", "[store]") {
  Fixture f;
  const int64_t b = kNow - 1200;
  // Average (xff 0.3): 1 of 6 raw slots is 0.17, null; 2 of 6 is 0.33, shown.
  f.Write({{"avg.one", b, 5}});
  f.Write({{"avg.two", b, 5}, {"avg.two", b + 30, 7}});
  CHECK(std::isnan(f.At("avg.one", kMinuteFrom, b)));
  CHECK(f.At("avg.two", kMinuteFrom, b) == 6);
  // Min (xff 0.1): one point of six is enough.
  f.Write({{"t.lower", b, 5}});
  CHECK(f.At("t.lower", kMinuteFrom, b) == 5);
  // Sum (xff 0): always shown; 10 min average needs 18 of 60 slots.
  f.Write({{"c.count", b, 5}});
  CHECK(f.At("c.count", kTenMinuteFrom, b) == 5);
  std::vector<Point> seventeen, eighteen;
  for (int i = 0; i < 17; ++i) seventeen.push_back({"avg.17", b + 10 * i, 1});
  for (int i = 0; i < 18; ++i) eighteen.push_back({"avg.18", b + 10 * i, 1});
  f.Write(seventeen);
  f.Write(eighteen);
  CHECK(std::isnan(f.At("avg.17", kTenMinuteFrom, b)));
  CHECK(f.At("avg.18", kTenMinuteFrom, b) == 1);
}

TEST_CASE("a point too old for the raw resolution counts as a full finer slot", "[store]") {
  Fixture f;
  const int64_t b = kNow - 2 * kDay;  // only the 1 min and 10 min resolutions cover it
  f.Write({{"backfill.avg", b, 4}});
  CHECK(f.At("backfill.avg", kNow - 3 * kDay, b) == 4);  // whisper writes it to the 1 min slot
  CHECK(std::isnan(f.At("backfill.avg", kTenMinuteFrom, b)));  // 1 of 10 minutes < 0.3
}

TEST_CASE("points outside retention or invalid are counted and skipped", "[store]") {
  Fixture f;
  f.Write({{"a", kNow - 5 * 365 * kDay - 10, 1},
           {"a", kNow, std::nan("")},
           {"a", kNow + kHour, 1},
           {"a", kNow - 10, 1}});
  CHECK(f.Counter("store.points_dropped_old") == 1);
  CHECK(f.Counter("store.points_dropped_invalid") == 2);
  CHECK(f.Counter("store.points_written") == 1);
}

TEST_CASE("compaction drops blocks past their resolution's retention", "[store]") {
  Fixture f;
  f.Write({{"stats.x.sum", kNow - 100, 5}});
  CHECK(f.At("stats.x.sum", kNow - 200, kNow - 100) == 5);
  f.clock.SetSeconds(kNow + 8 * kHour);  // raw block (1 h) is now past 6 h
  REQUIRE(f.store->Compact().ok());
  // Read as of the old time: only physical deletion can explain the null.
  CHECK(std::isnan(f.At("stats.x.sum", kNow - 200, kNow - 100)));
  CHECK(f.At("stats.x.sum", kMinuteFrom, kNow - 120) == 5);  // 1 min resolution keeps it
}

TEST_CASE("data and names persist across reopen", "[store]") {
  Fixture f;
  f.Write({{"p.q", kNow - 20, 42}});
  std::vector<std::string> names{"p.q"};
  REQUIRE(f.store->RegisterNames(names).ok());
  f.Reopen();
  CHECK(f.At("p.q", kNow - 60, kNow - 20) == 42);
  auto found = f.store->FindSeries("p.*");
  REQUIRE(found.ok());
  CHECK(*found == std::vector<std::string>{"p.q"});
}

TEST_CASE("Open on an unwritable path returns a clear error", "[store]") {
  common::ManualClock clock;
  common::StatsRegistry stats;
  auto r = SeriesStore::Open(
      {.path = "/proc/hourglass-metrics", .retentions = *ParseRetentions("10s:6h")}, clock, stats);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(),
             Catch::StartsWith("cannot open metric store at /proc/hourglass-metrics: "));
  auto health = stats.Health();
  REQUIRE(health.size() == 1);
  CHECK(health[0].state == common::HealthState::kFailed);
}
