// TimerStats: etsy statsd's derived timer series (lib/process_metrics.js) for
// one timer's window: count, count_ps, lower, upper, mean, median, std,
// sum, sum_squares and count/mean/upper|lower/sum/sum_squares per percentile.
// Pure functions; a TimerStatsCalculator is used by one thread at a time.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hourglass::aggregator {

// etsy's clean_pct: 90 -> "90", 99.5 -> "99_5", -10 -> "top10".
std::string CleanPercentile(double pct);

struct PercentileSpec {
  double pct;
  // "count_90", "mean_90", "upper_90" ("lower_top10" for -10), "sum_90",
  // "sum_squares_90".
  std::string count, mean, bound, sum, sum_squares;
};
std::vector<PercentileSpec> MakePercentileSpecs(std::span<const double> pcts);

struct TimerStat {
  std::string_view name;  // "mean", "upper_90", ...: points into static or spec strings
  double value;
};

class TimerStatsCalculator {
 public:
  explicit TimerStatsCalculator(std::vector<PercentileSpec> specs) : specs_(std::move(specs)) {}

  // `values` sorted ascending and non-empty; `count` is etsy's timer_counters
  // (sum of 1/rate). Replaces `out` with the stats in etsy's order.
  void Compute(std::span<const double> values, double count, double window_s,
               std::vector<TimerStat>& out);
  // A timer with no values in the window: count and count_ps, both 0.
  static void ComputeIdle(std::vector<TimerStat>& out);

  const std::vector<PercentileSpec>& specs() const { return specs_; }

 private:
  void ComputePercentiles(std::span<const double> values, std::vector<TimerStat>& out);

  std::vector<PercentileSpec> specs_;
  std::vector<double> cumulative_;          // reused across timers
  std::vector<double> cumulative_squares_;  // reused across timers
};

}  // namespace hourglass::aggregator
