// AggregationRules: carbon's storage-aggregation table (first matching regex
// wins) deciding how a series' rollup buckets are aggregated and how a second
// write to the same raw slot combines. Immutable after Create: any thread.
// Patterns are Python `re` as in carbon (RE2, common/regex.h), searched in
// the name without ";tags".
#pragma once

#include <algorithm>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/regex.h"
#include "common/status.h"

namespace hourglass::store {

enum class AggregationMethod : uint8_t { kAverage, kSum, kMin, kMax, kLast };

// How a second value written to the same raw slot combines with the first.
// Stored in every raw merge operand (2 bits): keep the numbers stable.
enum class RawCombine : uint8_t { kLast = 0, kSum = 1, kMin = 2, kMax = 3 };

struct AggregationRule {
  std::string name;     // e.g. "min"
  std::string pattern;  // Python regex, searched, e.g. "\\.lower$"
  AggregationMethod method = AggregationMethod::kAverage;
  double x_files_factor = 0.5;
};

class AggregationRules {
 public:
  // Fails on a bad regex or an xFilesFactor outside [0, 1].
  static common::Result<AggregationRules> Create(std::vector<AggregationRule> rules);
  // Create(StatsdAggregationRules()).
  static AggregationRules StatsdDefaults();

  // Index of the first rule matching `name` (tags stripped), or size() for
  // carbon's fallback (average, xFilesFactor 0.5) when none matches.
  size_t MatchIndex(std::string_view name) const;
  const AggregationRule& Rule(size_t index) const;
  const AggregationRule& Match(std::string_view name) const { return Rule(MatchIndex(name)); }
  size_t size() const { return rules_.size(); }

 private:
  struct Compiled {
    AggregationRule rule;
    std::shared_ptr<const re2::RE2> regex;  // immutable; shared by copies of the table
  };
  std::vector<Compiled> rules_;
  // rules_' patterns matched in one pass; shared by copies of the table.
  std::shared_ptr<const common::FirstMatch> matcher_;
  AggregationRule fallback_{"default", ".*", AggregationMethod::kAverage, 0.5};
};

// etsy statsd's recommended storage-aggregation.conf (docs/graphite.md):
// .lower min 0.1, .upper(_N) max 0.1, .sum sum 0, .count sum 0,
// ^stats_counts. sum 0, everything else average 0.3.
std::vector<AggregationRule> StatsdAggregationRules();

RawCombine RawCombineFor(AggregationMethod method);
// A slot written twice: the value it keeps under `combine`.
inline double CombineRaw(RawCombine combine, double old_value, double new_value) {
  switch (combine) {
    case RawCombine::kSum:
      return old_value + new_value;
    case RawCombine::kMin:
      return std::min(old_value, new_value);
    case RawCombine::kMax:
      return std::max(old_value, new_value);
    case RawCombine::kLast:
      break;
  }
  return new_value;
}
std::string_view AggregationMethodName(AggregationMethod method);
// "average", "avg", "sum", "min", "max", "last" (carbon's names); false if
// none.
bool ParseAggregationMethod(std::string_view name, AggregationMethod* method);

}  // namespace hourglass::store
