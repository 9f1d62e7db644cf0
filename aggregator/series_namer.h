// SeriesNamer: Graphite names of the series derived from a statsd key, as
// etsy statsd's graphite backend builds them (legacy or new namespace). A
// key's Graphite tags ("api;env=prod") go after the derived suffix
// ("stats.timers.api.mean;env=prod"). Immutable after construction: any thread.
#pragma once

#include <string>
#include <string_view>

namespace hourglass::aggregator {

class SeriesNamer {
 public:
  SeriesNamer(bool legacy_namespace, std::string_view global_prefix);

  std::string CounterRate(std::string_view key) const;
  std::string CounterCount(std::string_view key) const;
  std::string Timer(std::string_view key, std::string_view stat) const;
  std::string Gauge(std::string_view key) const;
  std::string SetCount(std::string_view key) const;
  // etsy's statsd.numStats (legacy) or stats.statsd.numStats.
  const std::string& NumStats() const { return num_stats_; }

 private:
  // prefix + key's name part + suffix + key's tags.
  static std::string Build(std::string_view prefix, std::string_view key, std::string_view mid,
                           std::string_view suffix);

  std::string counter_rate_prefix_, counter_rate_suffix_;
  std::string counter_count_prefix_, counter_count_suffix_;
  std::string timer_prefix_, gauge_prefix_, set_prefix_;
  std::string num_stats_;
};

}  // namespace hourglass::aggregator
