#include "common/duration.h"

#include <limits>

namespace hourglass::common {

int64_t DurationUnitSeconds(std::string_view unit) {
  struct Unit {
    std::string_view names[4];
    int64_t seconds;
  };
  static constexpr Unit kUnits[] = {
      {{"s", "sec", "second", "seconds"}, 1},  {{"m", "min", "minute", "minutes"}, 60},
      {{"h", "hour", "hours", ""}, 3600},      {{"d", "day", "days", ""}, 86400},
      {{"w", "week", "weeks", ""}, 7 * 86400}, {{"y", "year", "years", ""}, 365 * 86400},
  };
  for (const Unit& u : kUnits) {
    for (std::string_view name : u.names) {
      if (!name.empty() && name == unit) return u.seconds;
    }
  }
  return 0;
}

int64_t ScaleDuration(int64_t count, std::string_view unit) {
  const int64_t seconds = DurationUnitSeconds(unit);
  if (seconds == 0 || count < 0 || count > std::numeric_limits<int64_t>::max() / seconds) {
    return -1;
  }
  return count * seconds;
}

}  // namespace hourglass::common
