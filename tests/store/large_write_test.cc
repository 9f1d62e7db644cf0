// A Write large enough for two threads (a statsd flush: classification split
// in halves, the WAL written while the heads take the points) stores exactly
// what the same points written in small batches store: values, last-wins of a
// slot written twice across the halves, sums of counters, points too old for
// the raw archive, invalid points counted, and a crash replays it whole.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "clocked_store.h"
#include "crashing_child.h"
#include "store/run_beside.h"
#include "store/series_store.h"
#include "temp_dir.h"

using namespace hourglass;
using namespace hourglass::store;

namespace {

constexpr int64_t kNow = 1'700'000'400;
constexpr int kSeries = 40'000;  // x 2 points each: past kParallelPoints

struct Store : testing::ClockedStore {
  explicit Store(const std::string& path) : ClockedStore(path, kNow) {}
  std::vector<double> Values(const std::string& name, int64_t from) {
    auto d = store->Read(name, from, kNow, kNow);
    REQUIRE(d.ok());
    return d->values;
  }
  uint64_t Counter(const char* name) { return stats.GetCounter(name, "").Value(); }
};

// Equal, None (NaN) included.
bool Same(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))) return false;
  }
  return true;
}

// Points of gauges and counters (stats_counts.* sum a slot written twice),
// a slot of each written again in the other half of the batch, points a day
// old (the 1 min archive only) and invalid ones.
std::vector<Point> Batch() {
  std::vector<Point> points;
  const int64_t t = kNow - 20;
  for (int i = 0; i < kSeries; ++i) {
    const std::string name = (i % 2 ? "stats_counts.c" : "stats.gauges.g") + std::to_string(i);
    points.push_back({name, t, double(i)});
    points.push_back({name, kNow - 86400 + 60 * (i % 100), 1.5});
  }
  for (int i = 0; i < 100; ++i) {
    points.push_back({"stats.gauges.g" + std::to_string(2 * i), t, -1.0});        // last wins
    points.push_back({"stats_counts.c" + std::to_string(2 * i + 1), t, 1000.0});  // summed
    points.push_back({"bad" + std::to_string(i), t, std::numeric_limits<double>::quiet_NaN()});
  }
  return points;
}

void CheckSame(Store& a, Store& b) {
  for (int i = 0; i < kSeries; i += 97) {
    const std::string name = (i % 2 ? "stats_counts.c" : "stats.gauges.g") + std::to_string(i);
    const auto recent = a.Values(name, kNow - 3600);
    REQUIRE(Same(recent, b.Values(name, kNow - 3600)));
    const auto day = a.Values(name, kNow - 86400 - 600);
    REQUIRE(Same(day, b.Values(name, kNow - 86400 - 600)));
    REQUIRE(std::count(day.begin(), day.end(), 1.5) == 1);
    const double expected = i >= 200 ? double(i) : i % 2 ? double(i) + 1000 : -1.0;
    REQUIRE(a.At(name, kNow - 3600, kNow - 20, kNow) == expected);
  }
}

}  // namespace

TEST_CASE("a Write of a statsd flush's size stores what small Writes of it store", "[store]") {
  const std::vector<Point> points = Batch();
  REQUIRE(points.size() >= kParallelPoints);
  testing::TempDir large_dir, small_dir;
  Store small(small_dir.path());
  for (size_t begin = 0; begin < points.size(); begin += 1000) {
    const size_t n = std::min<size_t>(1000, points.size() - begin);
    REQUIRE(small.store->Write(std::span(points).subspan(begin, n)).ok());
  }
  {
    Store large(large_dir.path());
    REQUIRE(large.store->Write(points).ok());
    CheckSame(large, small);
    CHECK(large.Counter("store.points_dropped_invalid") == 100);
    CHECK(small.Counter("store.points_dropped_invalid") == 100);
  }
  // Reopened after a clean stop: the same again.
  Store reopened(large_dir.path());
  CheckSame(reopened, small);
}

TEST_CASE("a large Write is replayed whole after a crash", "[store][wal]") {
  const std::vector<Point> points = Batch();
  testing::TempDir crashed_dir, small_dir;
  testing::InCrashingChild([&] {
    Store large(crashed_dir.path());
    REQUIRE(large.store->Write(points).ok());
    REQUIRE(large.Counter("store.wal_errors") == 0);
    _exit(0);  // kill -9: the heads are only in the WAL
  });
  Store small(small_dir.path());
  for (size_t begin = 0; begin < points.size(); begin += 1000) {
    const size_t n = std::min<size_t>(1000, points.size() - begin);
    REQUIRE(small.store->Write(std::span(points).subspan(begin, n)).ok());
  }
  Store replayed(crashed_dir.path());
  for (int i = 0; i < kSeries; i += 97) {
    const std::string name = (i % 2 ? "stats_counts.c" : "stats.gauges.g") + std::to_string(i);
    REQUIRE(Same(replayed.Values(name, kNow - 3600), small.Values(name, kNow - 3600)));
    REQUIRE(
        Same(replayed.Values(name, kNow - 86400 - 600), small.Values(name, kNow - 86400 - 600)));
  }
}
