// ParseRetentions: carbon's storage-schemas retention syntax and whisper's
// resolution-list validation (declared in series_store.h).
#include <fmt/format.h>

#include <charconv>
#include <cstdint>

#include "common/duration.h"
#include "store/series_store.h"

namespace hourglass::store {
namespace {

// "10s" -> 10, "6h" -> 21600; a bare number is returned with *bare = true.
common::Result<int64_t> ParseAmount(std::string_view text, bool* bare) {
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || n <= 0 || n > (int64_t{1} << 40)) {
    return common::Status::Error(fmt::format("'{}' is not a positive number with a unit", text));
  }
  std::string_view unit(ptr, text.data() + text.size() - ptr);
  *bare = unit.empty();
  if (unit.empty()) return n;
  if (common::DurationUnitSeconds(unit) == 0) {
    return common::Status::Error(
        fmt::format("unknown unit '{}' in '{}' (use {})", unit, text, common::kDurationUnitsHint));
  }
  const int64_t seconds = common::ScaleDuration(n, unit);
  if (seconds < 0) return common::Status::Error(fmt::format("'{}' is too long", text));
  return seconds;
}

common::Result<Retention> ParseOne(std::string_view item) {
  size_t colon = item.find(':');
  if (colon == std::string_view::npos) {
    return common::Status::Error(fmt::format("'{}' is not STEP:DURATION (e.g. 10s:6h)", item));
  }
  bool step_bare = false, duration_bare = false;
  auto step = ParseAmount(item.substr(0, colon), &step_bare);
  if (!step.ok()) return step.status();
  auto duration = ParseAmount(item.substr(colon + 1), &duration_bare);
  if (!duration.ok()) return duration.status();
  // carbon: a bare duration is a number of points.
  int64_t seconds = duration_bare ? *duration * *step : *duration;
  if (seconds < *step) {
    return common::Status::Error(fmt::format("'{}': duration is shorter than the step", item));
  }
  return Retention{*step, seconds};
}

common::Status Validate(const std::vector<Retention>& r, std::string_view text) {
  if (r.empty()) return common::Status::Error("no retention levels");
  if (r.size() > 16) return common::Status::Error("more than 16 retention levels");
  for (size_t i = 1; i < r.size(); ++i) {
    auto fail = [&](std::string_view why) {
      return common::Status::Error(fmt::format("retentions '{}': level {} ({}s:{}s) {}", text,
                                               i + 1, r[i].step, r[i].duration, why));
    };
    if (r[i].step <= r[i - 1].step) return fail("must have a coarser step than the one before");
    if (r[i].step % r[i - 1].step != 0) return fail("step is not a multiple of the previous step");
    if (r[i].duration <= r[i - 1].duration)
      return fail("must keep data longer than the one before");
    if (r[i - 1].duration / r[i - 1].step < r[i].step / r[i - 1].step) {
      return fail("step is longer than the previous level's whole duration");
    }
    if (r[i].step / r[0].step > 65535) return fail("step is over 65535 finest steps");
  }
  if (r.back().duration > (int64_t{1} << 32)) {
    return common::Status::Error(fmt::format("retentions '{}': longer than 136 years", text));
  }
  return common::Status::Ok();
}

}  // namespace

common::Result<std::vector<Retention>> ParseRetentions(std::string_view text) {
  std::vector<Retention> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view item =
        text.substr(start, comma == std::string_view::npos ? comma : comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    auto r = ParseOne(item);
    if (!r.ok())
      return common::Status::Error(fmt::format("retentions '{}': {}", text, r.status().message()));
    out.push_back(*r);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (auto s = Validate(out, text); !s.ok()) return s;
  return out;
}

}  // namespace hourglass::store
