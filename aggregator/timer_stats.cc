#include "aggregator/timer_stats.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace hourglass::aggregator {

std::string CleanPercentile(double pct) {
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof(buf), pct);  // shortest, like JS
  std::string out(buf, res.ptr);
  if (const size_t dot = out.find('.'); dot != std::string::npos) out[dot] = '_';
  if (const size_t minus = out.find('-'); minus != std::string::npos) {
    out.replace(minus, 1, "top");
  }
  return out;
}

std::vector<PercentileSpec> MakePercentileSpecs(std::span<const double> pcts) {
  std::vector<PercentileSpec> specs;
  for (double pct : pcts) {
    const std::string clean = CleanPercentile(pct);
    specs.push_back({pct, "count_" + clean, "mean_" + clean,
                     (pct > 0 ? "upper_" : "lower_") + clean, "sum_" + clean,
                     "sum_squares_" + clean});
  }
  return specs;
}

void TimerStatsCalculator::ComputeIdle(std::vector<TimerStat>& out) {
  out.clear();
  out.push_back({"count", 0});
  out.push_back({"count_ps", 0});
}

// The per-percentile part, as process_metrics.js computes it. Like etsy, a
// percentile that keeps no value (Math.round(|P|/100*count) == 0) is skipped,
// and a single value gives every percentile stat from that value.
void TimerStatsCalculator::ComputePercentiles(std::span<const double> values,
                                              std::vector<TimerStat>& out) {
  const size_t count = values.size();
  for (const PercentileSpec& spec : specs_) {
    size_t n = count;
    double bound = values[count - 1];
    double sum = values[0];
    double sum_squares = values[0] * values[0];
    double mean = values[0];
    if (count > 1) {
      n = static_cast<size_t>(std::floor(std::abs(spec.pct) / 100 * count + 0.5));  // Math.round
      if (n == 0) continue;
      n = std::min(n, count);
      if (spec.pct > 0) {
        bound = values[n - 1];
        sum = cumulative_[n - 1];
        sum_squares = cumulative_squares_[n - 1];
      } else {
        // etsy reads cumulative[-1] (undefined -> NaN) when n == count; we use 0.
        const double before = n < count ? cumulative_[count - n - 1] : 0;
        const double before_sq = n < count ? cumulative_squares_[count - n - 1] : 0;
        bound = values[count - n];
        sum = cumulative_[count - 1] - before;
        sum_squares = cumulative_squares_[count - 1] - before_sq;
      }
      mean = sum / static_cast<double>(n);
    }
    out.push_back({spec.count, static_cast<double>(n)});
    out.push_back({spec.mean, mean});
    out.push_back({spec.bound, bound});
    out.push_back({spec.sum, sum});
    out.push_back({spec.sum_squares, sum_squares});
  }
}

void TimerStatsCalculator::Compute(std::span<const double> values, double count, double window_s,
                                   std::vector<TimerStat>& out) {
  out.clear();
  const size_t n = values.size();
  cumulative_.resize(n);
  cumulative_squares_.resize(n);
  cumulative_[0] = values[0];
  cumulative_squares_[0] = values[0] * values[0];
  for (size_t i = 1; i < n; ++i) {
    cumulative_[i] = values[i] + cumulative_[i - 1];
    cumulative_squares_[i] = values[i] * values[i] + cumulative_squares_[i - 1];
  }
  ComputePercentiles(values, out);

  const double sum = cumulative_[n - 1];
  const double mean = sum / static_cast<double>(n);
  double sum_of_diffs = 0;
  for (double v : values) sum_of_diffs += (v - mean) * (v - mean);
  const size_t mid = n / 2;
  const double median = (n % 2) ? values[mid] : (values[mid - 1] + values[mid]) / 2;

  out.push_back({"std", std::sqrt(sum_of_diffs / static_cast<double>(n))});
  out.push_back({"upper", values[n - 1]});
  out.push_back({"lower", values[0]});
  out.push_back({"count", count});
  out.push_back({"count_ps", count / window_s});
  out.push_back({"sum", sum});
  out.push_back({"sum_squares", cumulative_squares_[n - 1]});
  out.push_back({"mean", mean});
  out.push_back({"median", median});
}

}  // namespace hourglass::aggregator
