#include "store/aggregation_rules.h"

#include <fmt/format.h>

namespace hourglass::store {

common::Result<AggregationRules> AggregationRules::Create(std::vector<AggregationRule> rules) {
  AggregationRules out;
  for (auto& rule : rules) {
    if (!(rule.x_files_factor >= 0.0 && rule.x_files_factor <= 1.0)) {
      return common::Status::Error(
          fmt::format("aggregation rule {}: xFilesFactor {} is not between 0 and 1", rule.name,
                      rule.x_files_factor));
    }
    auto regex = common::CompileRegex(rule.pattern, common::RegexDialect::kPython);
    if (!regex.ok()) {
      return common::Status::Error(fmt::format("aggregation rule {}: bad pattern {}: {}", rule.name,
                                               rule.pattern, regex.status().message()));
    }
    out.rules_.push_back(Compiled{std::move(rule), std::move(*regex)});
  }
  std::vector<std::shared_ptr<const re2::RE2>> patterns;
  for (const Compiled& c : out.rules_) patterns.push_back(c.regex);
  out.matcher_ = std::make_shared<const common::FirstMatch>(std::move(patterns));
  return out;
}

std::vector<AggregationRule> StatsdAggregationRules() {
  return {
      {"min", R"(\.lower$)", AggregationMethod::kMin, 0.1},
      {"max", R"(\.upper(_\d+)?$)", AggregationMethod::kMax, 0.1},
      {"sum", R"(\.sum$)", AggregationMethod::kSum, 0.0},
      {"count", R"(\.count$)", AggregationMethod::kSum, 0.0},
      {"count_legacy", R"(^stats_counts\.)", AggregationMethod::kSum, 0.0},
      {"default_average", R"(.*)", AggregationMethod::kAverage, 0.3},
  };
}

AggregationRules AggregationRules::StatsdDefaults() {
  auto rules = Create(StatsdAggregationRules());
  assert(rules.ok());
  return std::move(rules).value();
}

size_t AggregationRules::MatchIndex(std::string_view name) const {
  if (matcher_ == nullptr) return rules_.size();
  return matcher_->Find(name.substr(0, name.find(';')));  // none: rules_.size()
}

const AggregationRule& AggregationRules::Rule(size_t index) const {
  return index < rules_.size() ? rules_[index].rule : fallback_;
}

RawCombine RawCombineFor(AggregationMethod method) {
  switch (method) {
    case AggregationMethod::kSum:
      return RawCombine::kSum;
    case AggregationMethod::kMin:
      return RawCombine::kMin;
    case AggregationMethod::kMax:
      return RawCombine::kMax;
    case AggregationMethod::kAverage:
    case AggregationMethod::kLast:
      break;
  }
  return RawCombine::kLast;
}

std::string_view AggregationMethodName(AggregationMethod method) {
  switch (method) {
    case AggregationMethod::kAverage:
      return "average";
    case AggregationMethod::kSum:
      return "sum";
    case AggregationMethod::kMin:
      return "min";
    case AggregationMethod::kMax:
      return "max";
    case AggregationMethod::kLast:
      return "last";
  }
  return "?";
}

bool ParseAggregationMethod(std::string_view name, AggregationMethod* method) {
  static constexpr std::pair<std::string_view, AggregationMethod> kNames[] = {
      {"average", AggregationMethod::kAverage}, {"avg", AggregationMethod::kAverage},
      {"sum", AggregationMethod::kSum},         {"min", AggregationMethod::kMin},
      {"max", AggregationMethod::kMax},         {"last", AggregationMethod::kLast}};
  for (const auto& [n, m] : kNames) {
    if (n == name) {
      *method = m;
      return true;
    }
  }
  return false;
}

}  // namespace hourglass::store
