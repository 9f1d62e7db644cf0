// Point: one value of one named series at one time, the unit the aggregator
// hands to the store. Plain value type.
#pragma once

#include <cstdint>
#include <string>

namespace hourglass::store {

struct Point {
  std::string name;   // Graphite name, e.g. "stats.timers.api.mean" or "a.b;tag=v"
  int64_t timestamp;  // Unix seconds
  double value;
};

}  // namespace hourglass::store
