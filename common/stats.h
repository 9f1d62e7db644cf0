// Self-metrics and component health. Components register named counters and
// gauges at construction (through the registry passed to their constructor)
// and bump them from any thread: values are relaxed atomics, so the hot path
// never locks. /metrics, /health and the hourglass.* series read snapshots.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace hourglass::common {

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double d) { value_.fetch_add(d, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

enum class StatKind { kCounter, kGauge };

struct StatValue {
  std::string name;  // dotted, e.g. "statsd.packets_received"
  std::string help;
  StatKind kind;
  double value;
};

enum class HealthState { kOk, kDegraded, kFailed };
std::string_view HealthStateName(HealthState state);

struct ComponentHealth {
  std::string component;
  HealthState state = HealthState::kOk;
  std::string detail;  // one line; never holds secrets
};

class StatsRegistry {
 public:
  // Returns the stat with this name, creating it on first use. The reference
  // stays valid for the registry's lifetime. A name is a counter or a gauge,
  // never both (asserted).
  Counter& GetCounter(std::string_view name, std::string_view help);
  Gauge& GetGauge(std::string_view name, std::string_view help);

  // All stats, sorted by name.
  std::vector<StatValue> Snapshot() const;

  void SetHealth(std::string_view component, HealthState state, std::string detail = {});
  // Every component that reported, sorted by name.
  std::vector<ComponentHealth> Health() const;

 private:
  struct Entry {
    std::string help;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
  };
  mutable std::mutex mu_;  // guards entries_ and health_; values are atomics
  std::map<std::string, Entry, std::less<>> entries_;
  std::map<std::string, ComponentHealth, std::less<>> health_;
};

}  // namespace hourglass::common
