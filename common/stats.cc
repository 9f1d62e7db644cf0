#include "common/stats.h"

#include <cassert>

namespace hourglass::common {

std::string_view HealthStateName(HealthState state) {
  switch (state) {
    case HealthState::kOk:
      return "ok";
    case HealthState::kDegraded:
      return "degraded";
    case HealthState::kFailed:
      return "failed";
  }
  return "unknown";
}

Counter& StatsRegistry::GetCounter(std::string_view name, std::string_view help) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    Entry entry{std::string(help), std::make_unique<Counter>(), nullptr};
    it = entries_.emplace(std::string(name), std::move(entry)).first;
  }
  assert(it->second.counter && "stat registered as a gauge");
  return *it->second.counter;
}

Gauge& StatsRegistry::GetGauge(std::string_view name, std::string_view help) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    Entry entry{std::string(help), nullptr, std::make_unique<Gauge>()};
    it = entries_.emplace(std::string(name), std::move(entry)).first;
  }
  assert(it->second.gauge && "stat registered as a counter");
  return *it->second.gauge;
}

std::vector<StatValue> StatsRegistry::Snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<StatValue> out;
  out.reserve(entries_.size());
  for (const auto& [name, entry] : entries_) {
    if (entry.counter) {
      out.push_back(
          {name, entry.help, StatKind::kCounter, static_cast<double>(entry.counter->Value())});
    } else {
      out.push_back({name, entry.help, StatKind::kGauge, entry.gauge->Value()});
    }
  }
  return out;
}

void StatsRegistry::SetHealth(std::string_view component, HealthState state, std::string detail) {
  std::lock_guard lock(mu_);
  auto& health = health_[std::string(component)];
  health.component = std::string(component);
  health.state = state;
  health.detail = std::move(detail);
}

std::vector<ComponentHealth> StatsRegistry::Health() const {
  std::lock_guard lock(mu_);
  std::vector<ComponentHealth> out;
  out.reserve(health_.size());
  for (const auto& [name, health] : health_) out.push_back(health);
  return out;
}

}  // namespace hourglass::common
