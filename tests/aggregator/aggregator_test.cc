// Expected values are worked out by hand from etsy statsd's process_metrics.js
// and backends/graphite.js, not computed with the code under test.
#include "aggregator/aggregator.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <string>

#include "tests/aggregator/aggregator_harness.h"

namespace hourglass::aggregator {
namespace {

std::map<std::string, double> TimerSeries(const std::map<std::string, double>& all,
                                          const std::string& prefix) {
  std::map<std::string, double> out;
  for (const auto& [name, value] : all) {
    if (name.rfind(prefix, 0) == 0) out[name.substr(prefix.size())] = value;
  }
  return out;
}

TEST_CASE("timer: [100,200,300] at P=80", "[aggregator]") {
  AggregatorOptions options;
  options.percent_thresholds = {80};
  Harness h(options);
  for (double v : {300.0, 100.0, 200.0}) h.Add("api", MetricType::kTimer, v);
  const auto t = TimerSeries(h.Flush(), "stats.timers.api.");
  const std::map<std::string, double> expected = {{"count_80", 2},
                                                  {"mean_80", 150},
                                                  {"upper_80", 200},
                                                  {"sum_80", 300},
                                                  {"sum_squares_80", 50000},
                                                  {"std", 81.64965809277261},
                                                  {"upper", 300},
                                                  {"lower", 100},
                                                  {"count", 3},
                                                  {"count_ps", 0.3},
                                                  {"sum", 600},
                                                  {"sum_squares", 140000},
                                                  {"mean", 200},
                                                  {"median", 200}};
  REQUIRE(t.size() == expected.size());
  for (const auto& [name, value] : expected) {
    INFO(name);
    CHECK(t.at(name) == Approx(value));
  }
}

TEST_CASE("timer: P=90 on 10 values, median of an even count", "[aggregator]") {
  Harness h;
  for (int v = 10; v >= 1; --v) h.Add("t", MetricType::kTimer, v);
  const auto t = TimerSeries(h.Flush(), "stats.timers.t.");
  CHECK(t.at("count_90") == 9);  // Math.round(0.9 * 10)
  CHECK(t.at("upper_90") == 9);
  CHECK(t.at("sum_90") == 45);
  CHECK(t.at("mean_90") == 5);
  CHECK(t.at("sum_squares_90") == 285);
  CHECK(t.at("median") == 5.5);
  CHECK(t.at("mean") == 5.5);
  CHECK(t.at("std") == Approx(2.8722813232690143));  // sqrt(82.5 / 10): population
  CHECK(t.at("sum_squares") == 385);
}

TEST_CASE("timer: negative and fractional percentiles", "[aggregator]") {
  AggregatorOptions options;
  options.percent_thresholds = {-20, 99.5};
  Harness h(options);
  for (int v = 1; v <= 10; ++v) h.Add("t", MetricType::kTimer, v);
  const auto t = TimerSeries(h.Flush(), "stats.timers.t.");
  CHECK(t.at("count_top20") == 2);
  CHECK(t.at("lower_top20") == 9);  // values[count - 2]
  CHECK(t.at("sum_top20") == 19);
  CHECK(t.at("mean_top20") == 9.5);
  CHECK(t.at("sum_squares_top20") == 181);
  CHECK(t.count("upper_top20") == 0);
  CHECK(t.at("count_99_5") == 10);  // Math.round(9.95)
  CHECK(t.at("upper_99_5") == 10);
}

TEST_CASE("timer: single value, odd median, percentile keeping nothing", "[aggregator]") {
  AggregatorOptions options;
  options.percent_thresholds = {90, 10};
  Harness h(options);
  h.Add("one", MetricType::kTimer, 42);
  for (double v : {3.0, 1.0, 2.0}) h.Add("three", MetricType::kTimer, v);
  const auto all = h.Flush();
  const auto one = TimerSeries(all, "stats.timers.one.");
  CHECK(one.at("count_90") == 1);
  CHECK(one.at("mean_90") == 42);
  CHECK(one.at("upper_90") == 42);
  CHECK(one.at("sum_squares_90") == 1764);
  CHECK(one.at("count_10") == 1);  // count == 1: etsy reports every percentile
  CHECK(one.at("std") == 0);
  CHECK(one.at("median") == 42);
  const auto three = TimerSeries(all, "stats.timers.three.");
  CHECK(three.at("median") == 2);
  CHECK(three.count("count_10") == 0);  // Math.round(0.3) == 0: skipped
  CHECK(three.at("count_90") == 3);     // Math.round(2.7)
}

TEST_CASE("sample rates on counters and timers", "[aggregator]") {
  Harness h;
  h.Add("c", MetricType::kCounter, 1, 0.1);
  h.Add("c", MetricType::kCounter, 1, 0.1);
  h.Add("t", MetricType::kTimer, 5, 0.5);
  h.Add("t", MetricType::kTimer, 7, 0.5);
  h.Add("g", MetricType::kGauge, 3, 0.5);
  const auto s = h.Flush();
  CHECK(s.at("stats_counts.c") == Approx(20));
  CHECK(s.at("stats.c") == Approx(2));
  CHECK(s.at("stats.timers.t.count") == 4);
  CHECK(s.at("stats.timers.t.count_ps") == Approx(0.4));
  CHECK(s.at("stats.timers.t.count_90") == 2);  // values, not weighted
  CHECK(s.at("stats.gauges.g") == 3);           // rate ignored
}

TEST_CASE("gauges: set, deltas, persistence", "[aggregator]") {
  Harness h;
  h.Add("g", MetricType::kGauge, 5);
  h.Add("g", MetricType::kGauge, 3, 1, 0, /*delta=*/true);
  h.Add("new", MetricType::kGauge, -4, 1, 0, /*delta=*/true);
  auto s = h.Flush();
  CHECK(s.at("stats.gauges.g") == 8);
  CHECK(s.at("stats.gauges.new") == -4);
  s = h.Flush(1010);
  CHECK(s.at("stats.gauges.g") == 8);  // idle: last value
  h.Add("g", MetricType::kGauge, -10, 1, 0, true);
  CHECK(h.Flush(1020).at("stats.gauges.g") == -2);
  h.Add("g", MetricType::kGauge, 1, 1, 0, true);
  h.Add("g", MetricType::kGauge, 7);  // a plain value overrides earlier deltas
  CHECK(h.Flush(1030).at("stats.gauges.g") == 7);
}

TEST_CASE("sets count unique members per window", "[aggregator]") {
  Harness h;
  h.AddMember("users", "alice");
  h.AddMember("users", "bob");
  h.AddMember("users", "alice");
  CHECK(h.Flush().at("stats.sets.users.count") == 2);
  CHECK(h.Flush(1010).at("stats.sets.users.count") == 0);
  h.AddMember("users", "carol");
  CHECK(h.Flush(1020).at("stats.sets.users.count") == 1);
}

TEST_CASE("idle keys keep reporting by default", "[aggregator]") {
  Harness h;
  h.Add("c", MetricType::kCounter, 4);
  h.Add("t", MetricType::kTimer, 4);
  h.AddMember("s", "x");
  h.Flush();
  const auto s = h.Flush(1010);
  CHECK(s.at("stats.c") == 0);
  CHECK(s.at("stats_counts.c") == 0);
  CHECK(TimerSeries(s, "stats.timers.t.") ==
        std::map<std::string, double>{{"count", 0}, {"count_ps", 0}});
  CHECK(s.at("stats.sets.s.count") == 0);
  CHECK(s.at("statsd.numStats") == 6);  // c, t, s and the three statsd.* counters
}

TEST_CASE("delete_* options drop idle keys", "[aggregator]") {
  AggregatorOptions options;
  options.delete_counters = options.delete_timers = true;
  options.delete_sets = options.delete_gauges = true;
  Harness h(options);
  h.Add("c", MetricType::kCounter, 4);
  h.Add("t", MetricType::kTimer, 4);
  h.Add("g", MetricType::kGauge, 9);
  h.AddMember("s", "x");
  CHECK(h.Flush().size() == 2 + 14 + 1 + 1 + 6 + 1);
  CHECK(h.last.keys == 7);
  const auto idle = h.Flush(1010);
  CHECK(idle.count("stats.c") == 0);
  CHECK(idle.count("stats.timers.t.count") == 0);
  CHECK(idle.count("stats.gauges.g") == 0);
  CHECK(idle.count("stats.sets.s.count") == 0);
  CHECK(idle.at("stats_counts.statsd.packets_received") == 0);  // reset, never deleted
  CHECK(idle.at("statsd.numStats") == 3);
  CHECK(h.last.keys == 3);
  // A deleted gauge starts again from nothing: a delta is its new value.
  h.Add("g", MetricType::kGauge, 2, 1, 0, true);
  h.Add("c", MetricType::kCounter, 1);
  const auto back = h.Flush(1020);
  CHECK(back.at("stats.gauges.g") == 2);
  CHECK(back.at("stats_counts.c") == 1);
}

TEST_CASE("legacy and new namespace names", "[aggregator]") {
  AggregatorOptions modern;
  modern.legacy_namespace = false;
  for (bool legacy : {true, false}) {
    Harness h(legacy ? AggregatorOptions{} : modern);
    h.Add("hits", MetricType::kCounter, 5);
    h.Add("lat", MetricType::kTimer, 5);
    h.Add("temp", MetricType::kGauge, 5);
    h.AddMember("users", "a");
    {
      auto batch = h.aggregator.shard(0).BeginBatch();
      batch.CountPacket(3, 1);
    }
    const auto s = h.Flush();
    if (legacy) {
      CHECK(s.at("stats.hits") == 0.5);
      CHECK(s.at("stats_counts.hits") == 5);
      CHECK(s.at("stats_counts.statsd.packets_received") == 1);
      CHECK(s.at("stats_counts.statsd.metrics_received") == 3);
      CHECK(s.at("stats_counts.statsd.bad_lines_seen") == 1);
      CHECK(s.at("stats.statsd.bad_lines_seen") == 0.1);
      CHECK(s.at("statsd.numStats") == 7);
    } else {
      CHECK(s.at("stats.counters.hits.rate") == 0.5);
      CHECK(s.at("stats.counters.hits.count") == 5);
      CHECK(s.at("stats.counters.statsd.packets_received.count") == 1);
      CHECK(s.at("stats.counters.statsd.bad_lines_seen.rate") == 0.1);
      CHECK(s.at("stats.statsd.numStats") == 7);
    }
    CHECK(s.at("stats.timers.lat.mean") == 5);
    CHECK(s.at("stats.gauges.temp") == 5);
    CHECK(s.at("stats.sets.users.count") == 1);
  }
}

TEST_CASE("tags go after the derived suffix", "[aggregator]") {
  Harness h;
  h.Add("api;env=prod", MetricType::kTimer, 3);
  h.Add("hits;env=prod;host=a", MetricType::kCounter, 2);
  h.AddMember("u;k=v", "x");
  const auto s = h.Flush();
  CHECK(s.at("stats.timers.api.mean;env=prod") == 3);
  CHECK(s.at("stats.timers.api.upper_90;env=prod") == 3);
  CHECK(s.at("stats.hits;env=prod;host=a") == 0.2);
  CHECK(s.at("stats_counts.hits;env=prod;host=a") == 2);
  CHECK(s.at("stats.sets.u.count;k=v") == 1);
}

TEST_CASE("two shards merge into one window", "[aggregator]") {
  Harness h({}, 2);
  h.Add("c", MetricType::kCounter, 2, 1, 0);
  h.Add("c", MetricType::kCounter, 3, 1, 1);
  h.Add("t", MetricType::kTimer, 1, 1, 0);
  h.Add("t", MetricType::kTimer, 3, 1, 1);
  h.AddMember("s", "a", 0);
  h.AddMember("s", "a", 1);
  h.AddMember("s", "b", 1);
  h.Flush();  // keys are new in this window: they came through the pending maps
  h.Add("c", MetricType::kCounter, 2, 1, 0);
  h.Add("c", MetricType::kCounter, 3, 1, 1);
  h.Add("t", MetricType::kTimer, 1, 1, 0);
  h.Add("t", MetricType::kTimer, 3, 1, 1);
  h.AddMember("s", "a", 0);
  h.AddMember("s", "a", 1);
  h.AddMember("s", "b", 1);
  for (const auto& s : {h.last, h.aggregator.Flush(1010, 10)}) {
    std::map<std::string, double> m;
    for (const auto& p : s.points) m[p.name] = p.value;
    CHECK(m.at("stats_counts.c") == 5);
    CHECK(m.at("stats.timers.t.count") == 2);
    CHECK(m.at("stats.timers.t.median") == 2);
    CHECK(m.at("stats.sets.s.count") == 2);
  }
}

TEST_CASE("max_keys drops new keys and counts them", "[aggregator]") {
  AggregatorOptions options;
  options.max_keys = 5;  // the three statsd.* counters count as keys
  Harness h(options);
  h.Add("a", MetricType::kCounter, 1);
  h.Add("b", MetricType::kCounter, 1);
  h.Add("c", MetricType::kCounter, 1);
  h.Add("c", MetricType::kCounter, 1);
  h.Add("a", MetricType::kCounter, 1);
  const auto s = h.Flush();
  CHECK(s.at("stats_counts.a") == 2);
  CHECK(s.at("stats_counts.b") == 1);
  CHECK(s.count("stats_counts.c") == 0);
  CHECK(h.last.keys == 5);
  h.Add("d", MetricType::kCounter, 1);  // rejected in the shard now the table is full
  h.Add("a", MetricType::kCounter, 1);
  CHECK(h.Flush(1010).at("stats_counts.a") == 1);
  double dropped = -1, unique = -1;
  for (const auto& v : h.stats.Snapshot()) {
    if (v.name == "statsd.keys_dropped") dropped = v.value;
    if (v.name == "statsd.unique_keys") unique = v.value;
  }
  CHECK(dropped == 3);
  CHECK(unique == 5);
}

TEST_CASE("new_names lists a key's names once", "[aggregator]") {
  Harness h;
  h.Add("t", MetricType::kTimer, 1);
  h.Add("c", MetricType::kCounter, 1);
  h.Flush();
  const auto& names = h.last.new_names;
  auto has = [&](const std::string& n) {
    return std::find(names.begin(), names.end(), n) != names.end();
  };
  CHECK(has("stats.timers.t.mean"));
  CHECK(has("stats.timers.t.upper_90"));
  CHECK(has("stats.timers.t.sum_squares_90"));
  CHECK(has("stats.c"));
  CHECK(has("stats_counts.c"));
  CHECK(has("stats_counts.statsd.bad_lines_seen"));
  CHECK(has("statsd.numStats"));
  CHECK(names.size() == 14 + 2 + 6 + 1);
  h.Add("t", MetricType::kTimer, 1);
  h.Flush(1010);
  CHECK(h.last.new_names.empty());
  h.Add("t2", MetricType::kTimer, 1);
  h.Flush(1020);
  CHECK(h.last.new_names.size() == 14);
}

TEST_CASE("registry counters are bumped per batch", "[aggregator]") {
  Harness h;
  {
    auto batch = h.aggregator.shard(0).BeginBatch();
    batch.CountPacket(2, 0);
    batch.CountPacket(5, 2);
  }
  std::map<std::string, double> snap;
  for (const auto& v : h.stats.Snapshot()) snap[v.name] = v.value;
  CHECK(snap.at("statsd.packets_received") == 2);
  CHECK(snap.at("statsd.metrics_received") == 7);
  CHECK(snap.at("statsd.bad_lines_seen") == 2);
}

}  // namespace
}  // namespace hourglass::aggregator
