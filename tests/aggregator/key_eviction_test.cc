// statsd.max_keys under pressure: idle keys give way to new ones after
// evict_idle_windows windows without samples, the idle longest first; keys
// active every window stay; below the limit idle keys keep being reported.
#include <catch2/catch.hpp>

#include <string>

#include "tests/aggregator/aggregator_harness.h"

namespace hourglass::aggregator {
namespace {

constexpr size_t kSelfKeys = 3;  // the statsd.* counters are keys too

void AddCounters(Harness& h, const std::string& prefix, int n) {
  for (int i = 0; i < n; ++i) h.Add(prefix + std::to_string(i), MetricType::kCounter, 1);
}

// The two keys that get samples every window.
void AddInUse(Harness& h) {
  h.Add("app.a", MetricType::kCounter, 1);
  h.Add("app.b", MetricType::kCounter, 1);
}

// max_keys = the statsd.* counters + `places`.
AggregatorOptions Limits(size_t places, size_t evict_idle_windows) {
  AggregatorOptions options;
  options.max_keys = kSelfKeys + places;
  options.evict_idle_windows = evict_idle_windows;
  return options;
}

size_t CountPrefix(const std::map<std::string, double>& series, const std::string& prefix) {
  size_t n = 0;
  for (const auto& [name, value] : series) n += name.rfind(prefix, 0) == 0;
  return n;
}

TEST_CASE("a junk burst gives way to new keys once idle", "[aggregator]") {
  const AggregatorOptions options = Limits(2 + 10, 2);
  Harness h(options);
  // Window 1: two keys in use, then a burst of max_keys distinct junk keys.
  AddInUse(h);
  AddCounters(h, "junk.", static_cast<int>(options.max_keys));
  auto s = h.Flush(1000);
  CHECK(h.last.keys == options.max_keys);  // full: exactly max_keys held
  CHECK(CountPrefix(s, "stats_counts.junk.") == 10);
  CHECK(h.Stat("statsd.keys_dropped") == 5);

  // Window 2: the junk has been idle for one window only: no room yet.
  AddInUse(h);
  h.Add("app.new", MetricType::kCounter, 7);
  s = h.Flush(1010);
  CHECK(s.count("stats_counts.app.new") == 0);
  CHECK(CountPrefix(s, "stats_counts.junk.") == 10);  // idle, still reported as 0
  CHECK(h.Stat("statsd.keys_dropped") == 6);
  CHECK(h.Stat("statsd.keys_evicted") == 0);

  // Window 3: idle for two windows now: a new key takes one junk key's place
  // and is reported in the window it was sent.
  AddInUse(h);
  h.Add("app.new", MetricType::kCounter, 7);
  s = h.Flush(1020);
  CHECK(s.at("stats_counts.app.new") == 7);
  CHECK(CountPrefix(s, "stats_counts.junk.") == 9);
  CHECK(h.Stat("statsd.keys_evicted") == 1);
  CHECK(h.last.keys == options.max_keys);

  // Window 4: ten more new keys for nine junk places: nine get in, one is
  // dropped. The keys used every window and app.new (idle for one window)
  // stay.
  AddInUse(h);
  AddCounters(h, "app.more.", 10);
  s = h.Flush(1030);
  CHECK(CountPrefix(s, "stats_counts.app.more.") == 9);
  CHECK(CountPrefix(s, "stats_counts.junk.") == 0);
  CHECK(s.at("stats_counts.app.a") == 1);
  CHECK(s.at("stats_counts.app.b") == 1);
  CHECK(s.at("stats_counts.app.new") == 0);
  CHECK(h.Stat("statsd.keys_evicted") == 10);
  CHECK(h.Stat("statsd.keys_dropped") == 7);
  CHECK(h.last.keys == options.max_keys);
  CHECK(h.Stat("statsd.unique_keys") == static_cast<double>(options.max_keys));
}

TEST_CASE("the keys idle longest are evicted first", "[aggregator]") {
  const AggregatorOptions options = Limits(4, 1);
  Harness h(options);
  AddCounters(h, "old.", 2);
  h.Flush(1000);
  AddCounters(h, "young.", 2);
  h.Flush(1010);
  CHECK(h.last.keys == options.max_keys);
  AddCounters(h, "new.", 2);
  const auto s = h.Flush(1020);
  CHECK(CountPrefix(s, "stats_counts.old.") == 0);
  CHECK(CountPrefix(s, "stats_counts.young.") == 2);
  CHECK(s.at("stats_counts.new.0") == 1);
  CHECK(s.at("stats_counts.new.1") == 1);
  CHECK(h.Stat("statsd.keys_evicted") == 2);
}

TEST_CASE("keys active every window are never evicted", "[aggregator]") {
  const AggregatorOptions options = Limits(3, 1);
  Harness h(options);
  for (int window = 0; window < 5; ++window) {
    h.Add("app.t", MetricType::kTimer, 5);
    h.AddMember("app.s", "x");
    h.Add("app.g", MetricType::kGauge, 3);
    h.Add("other." + std::to_string(window), MetricType::kCounter, 1);
    const auto s = h.Flush(1000 + 10 * window);
    CHECK(s.at("stats.timers.app.t.count") == 1);
    CHECK(s.at("stats.sets.app.s.count") == 1);
    CHECK(s.at("stats.gauges.app.g") == 3);
    CHECK(CountPrefix(s, "stats_counts.other.") == 0);
  }
  CHECK(h.Stat("statsd.keys_evicted") == 0);
  CHECK(h.Stat("statsd.keys_dropped") == 5);
}

TEST_CASE("an evicted key's id is reused without its old data", "[aggregator]") {
  const AggregatorOptions options = Limits(1, 1);
  Harness h(options);
  h.Add("old.t", MetricType::kTimer, 99);
  h.Flush(1000);
  h.Flush(1010);
  h.Add("new.g", MetricType::kGauge, 2, 1, 0, /*delta=*/true);
  h.Add("new.g", MetricType::kGauge, 3, 1, 0, /*delta=*/true);
  const auto s = h.Flush(1020);
  CHECK(s.at("stats.gauges.new.g") == 5);
  CHECK(s.count("stats.timers.old.t.count") == 0);
  // Sent again, the evicted key is a new key: it waits for room as any other.
  h.Add("old.t", MetricType::kTimer, 1);
  h.Add("new.g", MetricType::kGauge, 1, 1, 0, /*delta=*/true);
  CHECK(h.Flush(1030).count("stats.timers.old.t.count") == 0);
  h.Add("old.t", MetricType::kTimer, 1);
  const auto back = h.Flush(1040);
  CHECK(back.at("stats.timers.old.t.count") == 1);
  CHECK(back.at("stats.timers.old.t.upper") == 1);
  CHECK(back.count("stats.gauges.new.g") == 0);
  CHECK(h.Stat("statsd.keys_evicted") == 2);
}

TEST_CASE("below max_keys idle keys keep being reported", "[aggregator]") {
  const AggregatorOptions options = Limits(6, 1);  // one place to spare
  Harness h(options);
  AddCounters(h, "idle.", 5);
  for (int window = 0; window < 4; ++window) {
    const auto s = h.Flush(1000 + 10 * window);
    CHECK(CountPrefix(s, "stats_counts.idle.") == 5);
  }
  h.Add("app.new", MetricType::kCounter, 1);  // takes the spare place
  const auto s = h.Flush(1040);
  CHECK(s.at("stats_counts.app.new") == 1);
  CHECK(CountPrefix(s, "stats_counts.idle.") == 5);
  CHECK(h.Stat("statsd.keys_evicted") == 0);
}

}  // namespace
}  // namespace hourglass::aggregator
