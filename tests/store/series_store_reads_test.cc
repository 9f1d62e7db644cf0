// Reads against a plain model: a store filled as render_bench fills it, then
// backfilled (late points into sealed blocks, rollup operands not yet
// merged, heads for sealed blocks), read at every stage (heads folded in,
// operands merged by the merge operator at read, compacted records and
// columns, after a reopen; short ranges by MultiGet, long ones by an
// iterator) must give exactly the values computed from the points written.
// Catches a fast read path that drops, doubles or misplaces a bucket.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <map>

#include "store/series_store.h"
#include "temp_dir.h"

using namespace hourglass;
using namespace hourglass::store;

namespace {

constexpr int64_t kNow = 1'699'999'200;  // a multiple of 3600
constexpr int64_t kHour = 3600;
constexpr int64_t kRawKept = 6 * kHour;
const char* const kSuffixes[] = {"avg", "sum", "min", "max", "last"};

std::vector<AggregationRule> Rules() {
  return {{"avg", "\\.avg$", AggregationMethod::kAverage, 0.5},
          {"sum", "\\.sum$", AggregationMethod::kSum, 0.5},
          {"min", "\\.min$", AggregationMethod::kMin, 0.5},
          {"max", "\\.max$", AggregationMethod::kMax, 0.5},
          {"last", "\\.last$", AggregationMethod::kLast, 0.5}};
}

struct Written {
  double value;
  int weight;  // raw slots' worth: 6 when written past the raw retention
};

// The points each series got, by timestamp (one write per slot).
using Model = std::map<std::string, std::map<int64_t, Written>>;

// What a read of `name` must return at d.step over d.start.. (xFilesFactor
// 0.5: at least half the bucket's raw slots, 3 of a minute's 6).
std::vector<double> Expected(const Model& model, const std::string& name, AggregationMethod m,
                             const SeriesData& d) {
  std::vector<double> out(d.values.size(), std::nan(""));
  const auto& points = model.at(name);
  for (size_t i = 0; i < out.size(); ++i) {
    const int64_t from = d.start + int64_t(i) * d.step;
    double sum = 0, min = INFINITY, max = -INFINITY, last = 0;
    int count = 0, known = 0;
    for (auto it = points.lower_bound(from); it != points.end() && it->first < from + d.step;
         ++it) {
      const double v = it->second.value;
      if (d.step == 10 && it->second.weight != 1) continue;  // not in the raw resolution
      sum += v, min = std::min(min, v), max = std::max(max, v), last = v;
      ++count, known += it->second.weight;
    }
    const int min_known = int(d.step / 10 + 1) / 2;  // known / ratio >= 0.5
    if (count == 0 || (d.step > 10 && known < min_known)) continue;
    if (d.step == 10) {
      out[i] = last;
      continue;
    }
    switch (m) {
      case AggregationMethod::kAverage:
        out[i] = sum / count;
        break;
      case AggregationMethod::kSum:
        out[i] = sum;
        break;
      case AggregationMethod::kMin:
        out[i] = min;
        break;
      case AggregationMethod::kMax:
        out[i] = max;
        break;
      case AggregationMethod::kLast:
        out[i] = last;
        break;
    }
  }
  return out;
}

// Bit-identical, NaN for NaN; names the first difference.
void CheckSame(const std::vector<double>& got, const std::vector<double>& want,
               const std::string& what) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    const bool same = (std::isnan(got[i]) && std::isnan(want[i])) ||
                      std::memcmp(&got[i], &want[i], sizeof(double)) == 0;
    if (!same) {
      FAIL(what << " index " << i << ": got " << got[i] << ", want " << want[i]);
    }
  }
}

struct Fixture {
  testing::TempDir dir;
  common::ManualClock clock{kNow * 1'000'000};
  common::StatsRegistry stats;
  std::unique_ptr<SeriesStore> store;
  Model model;

  Fixture() { Reopen(); }
  void Reopen() {
    store.reset();
    auto r = SeriesStore::Open({.path = dir.path(),
                                .retentions = *ParseRetentions("10s:6h,1m:7d,10m:5y"),
                                .aggregation = Rules()},
                               clock, stats);
    REQUIRE(r.ok());
    store = std::move(r).value();
  }
  // Writes the points of series j whose index k passes `pick`, in time
  // order, from kNow - 54 h to kNow, as one Write.
  template <typename Pick>
  void WriteSeries(int j, Pick pick) {
    const std::string name = std::string("r.s") + std::to_string(j) + "." + kSuffixes[j];
    std::vector<Point> points;
    for (int64_t k = 0, t = kNow - 54 * kHour + 10; t <= kNow; ++k, t += 10) {
      if (!pick(k)) continue;
      const double v = double((j * 7 + k * 13) % 1000) / 8 - 40;
      points.push_back({name, t, v});
      const int64_t now = clock.NowMicros() / 1'000'000;
      model[name][t] = {v, t >= now - kRawKept ? 1 : 6};
    }
    REQUIRE(store->Write(points).ok());
  }
  void CheckReads(const std::string& stage) {
    const std::pair<int64_t, int64_t> ranges[] = {
        {kNow - 24 * kHour, kNow},             // 1 min, recent rollup records
        {kNow - 72 * kHour, kNow},             // 1 min, older blocks as columns once merged
        {kNow - 24 * kHour - 37, kNow - 125},  // unaligned ends
        {kNow - 5 * kHour, kNow},              // raw
        {kNow - 8 * 24 * kHour, kNow},         // 10 min, a few blocks (MultiGet)
        {kNow - 400 * 24 * kHour, kNow},       // 10 min, 160 blocks (an iterator)
    };
    for (int j = 0; j < 5; ++j) {
      const std::string name = std::string("r.s") + std::to_string(j) + "." + kSuffixes[j];
      for (auto [from, until] : ranges) {
        auto d = store->Read(name, from, until, kNow);
        REQUIRE(d.ok());
        CheckSame(d->values, Expected(model, name, Rules()[size_t(j)].method, *d),
                  stage + " " + name + " from " + std::to_string(kNow - from));
      }
    }
  }
};

bool Skipped(int64_t k, int j) { return (k * 7 + j) % 5 == 0 || (k / 6) % 13 == 4; }

}  // namespace

TEST_CASE("reads give the model's answer with heads, operands and compacted blocks",
          "[store][reads]") {
  Fixture f;
  for (int j = 0; j < 5; ++j) f.WriteSeries(j, [j](int64_t k) { return !Skipped(k, j); });
  f.CheckReads("filled");
  // Backfill a third of the holes: rollup operands past the raw retention,
  // heads for sealed raw blocks, out-of-order points into the open head.
  for (int j = 0; j < 5; ++j) {
    f.WriteSeries(j, [j](int64_t k) { return Skipped(k, j) && k % 3 == 0; });
  }
  f.CheckReads("backfilled");
  // Past the lateness: the heads are sealed as merge operands.
  f.clock.SetSeconds(kNow + 180);
  REQUIRE(f.store->Write(std::vector<Point>{{"r.other.avg", kNow + 170, 1}}).ok());
  f.CheckReads("sealed");
  REQUIRE(f.store->Compact().ok());
  f.CheckReads("compacted");
  f.Reopen();
  f.CheckReads("reopened");
}
