#include "aggregator/timer_stats.h"

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "aggregator/series_namer.h"

namespace hourglass::aggregator {
namespace {

TEST_CASE("clean_pct like etsy", "[timer_stats]") {
  CHECK(CleanPercentile(90) == "90");
  CHECK(CleanPercentile(99.5) == "99_5");
  CHECK(CleanPercentile(0.1) == "0_1");
  CHECK(CleanPercentile(-10) == "top10");
  CHECK(CleanPercentile(-99.9) == "top99_9");
  const auto specs = MakePercentileSpecs(std::vector<double>{95, -5});
  CHECK(specs[0].bound == "upper_95");
  CHECK(specs[1].bound == "lower_top5");
  CHECK(specs[1].sum_squares == "sum_squares_top5");
}

TEST_CASE("-100 percentile sums every value instead of etsy's NaN", "[timer_stats]") {
  TimerStatsCalculator calc(MakePercentileSpecs(std::vector<double>{-100}));
  std::vector<TimerStat> out;
  const std::vector<double> values{1, 2, 3};
  calc.Compute(values, 3, 10, out);
  std::map<std::string, double> m;
  for (const auto& s : out) m[std::string(s.name)] = s.value;
  CHECK(m.at("sum_top100") == 6);
  CHECK(m.at("lower_top100") == 1);
  CHECK(m.at("count_top100") == 3);
}

TEST_CASE("series names", "[series_namer]") {
  const SeriesNamer legacy(true, "stats");
  CHECK(legacy.CounterRate("a.b;t=1") == "stats.a.b;t=1");
  CHECK(legacy.CounterCount("a.b") == "stats_counts.a.b");
  CHECK(legacy.Timer("a;t=1", "upper_90") == "stats.timers.a.upper_90;t=1");
  CHECK(legacy.Gauge("g") == "stats.gauges.g");
  CHECK(legacy.SetCount("s;x=y") == "stats.sets.s.count;x=y");
  CHECK(legacy.NumStats() == "statsd.numStats");
  const SeriesNamer modern(false, "stats");
  CHECK(modern.CounterRate("a;t=1") == "stats.counters.a.rate;t=1");
  CHECK(modern.CounterCount("a") == "stats.counters.a.count");
  CHECK(modern.NumStats() == "stats.statsd.numStats");
  const SeriesNamer bare(false, "");
  CHECK(bare.CounterCount("a") == "counters.a.count");
  CHECK(bare.NumStats() == "statsd.numStats");
}

}  // namespace
}  // namespace hourglass::aggregator
