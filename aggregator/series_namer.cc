#include "aggregator/series_namer.h"

namespace hourglass::aggregator {
namespace {

std::string Join(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b) + ".";
  return std::string(a) + "." + std::string(b) + ".";
}

}  // namespace

SeriesNamer::SeriesNamer(bool legacy_namespace, std::string_view global_prefix) {
  const std::string global = global_prefix.empty() ? "" : std::string(global_prefix) + ".";
  if (legacy_namespace) {
    // graphite.js: counterNamespace = [globalPrefix]; 'stats_counts.' is fixed.
    counter_rate_prefix_ = global;
    counter_count_prefix_ = "stats_counts.";
    num_stats_ = "statsd.numStats";
  } else {
    counter_rate_prefix_ = Join(global_prefix, "counters");
    counter_rate_suffix_ = ".rate";
    counter_count_prefix_ = counter_rate_prefix_;
    counter_count_suffix_ = ".count";
    num_stats_ = global + "statsd.numStats";
  }
  timer_prefix_ = Join(global_prefix, "timers");
  gauge_prefix_ = Join(global_prefix, "gauges");
  set_prefix_ = Join(global_prefix, "sets");
}

std::string SeriesNamer::Build(std::string_view prefix, std::string_view key, std::string_view mid,
                               std::string_view suffix) {
  const size_t semi = key.find(';');
  const std::string_view name = key.substr(0, semi);
  const std::string_view tags = semi == std::string_view::npos ? "" : key.substr(semi);
  std::string out;
  out.reserve(prefix.size() + key.size() + mid.size() + suffix.size());
  out.append(prefix).append(name).append(mid).append(suffix).append(tags);
  return out;
}

std::string SeriesNamer::CounterRate(std::string_view key) const {
  return Build(counter_rate_prefix_, key, "", counter_rate_suffix_);
}
std::string SeriesNamer::CounterCount(std::string_view key) const {
  return Build(counter_count_prefix_, key, "", counter_count_suffix_);
}
std::string SeriesNamer::Timer(std::string_view key, std::string_view stat) const {
  return Build(timer_prefix_, key, ".", stat);
}
std::string SeriesNamer::Gauge(std::string_view key) const {
  return Build(gauge_prefix_, key, "", "");
}
std::string SeriesNamer::SetCount(std::string_view key) const {
  return Build(set_prefix_, key, "", ".count");
}

}  // namespace hourglass::aggregator
