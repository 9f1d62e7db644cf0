#include "archive/shipping/hour_time.h"

#include <charconv>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "common/utc_time.h"

namespace hourglass::archive {
namespace {

std::optional<int64_t> Digits(std::string_view text) {
  int64_t value = 0;
  if (text.empty()) return std::nullopt;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Seconds for a calendar time, or nullopt if a field is out of range
// (2026-02-30 and the like are refused by the round trip).
std::optional<int64_t> ToSeconds(int64_t y, int64_t mo, int64_t d, int64_t h, int64_t mi,
                                 int64_t s) {
  if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) {
    return std::nullopt;
  }
  return common::ExactSecondsFromCivil({static_cast<int>(y), static_cast<int>(mo),
                                        static_cast<int>(d), static_cast<int>(h),
                                        static_cast<int>(mi), static_cast<int>(s)});
}

// "2026-11-21T05[:MM[:SS]][Z]" or "20261121T0500Z" (minutes allowed).
std::optional<int64_t> ParseCalendar(std::string_view t) {
  if (t.ends_with('Z')) t.remove_suffix(1);
  if (t.size() == 13 && t[8] == 'T') {  // 20261121T0500
    auto y = Digits(t.substr(0, 4)), mo = Digits(t.substr(4, 2)), d = Digits(t.substr(6, 2));
    auto h = Digits(t.substr(9, 2)), mi = Digits(t.substr(11, 2));
    if (!y || !mo || !d || !h || !mi) return std::nullopt;
    return ToSeconds(*y, *mo, *d, *h, *mi, 0);
  }
  if (t.size() < 13 || t[4] != '-' || t[7] != '-' || t[10] != 'T') return std::nullopt;
  auto y = Digits(t.substr(0, 4)), mo = Digits(t.substr(5, 2)), d = Digits(t.substr(8, 2));
  auto h = Digits(t.substr(11, 2));
  std::optional<int64_t> mi = 0, s = 0;
  if (t.size() == 16 || t.size() == 19) {
    if (t[13] != ':') return std::nullopt;
    mi = Digits(t.substr(14, 2));
  }
  if (t.size() == 19) {
    if (t[16] != ':') return std::nullopt;
    s = Digits(t.substr(17, 2));
  }
  if (t.size() != 13 && t.size() != 16 && t.size() != 19) return std::nullopt;
  if (!y || !mo || !d || !h || !mi || !s) return std::nullopt;
  return ToSeconds(*y, *mo, *d, *h, *mi, *s);
}

// "-3h", "-30min", "-2d", "-90s", "-1w".
std::optional<int64_t> ParseRelative(std::string_view t) {
  if (t.size() < 3 || t[0] != '-') return std::nullopt;
  t.remove_prefix(1);
  const size_t unit_at = t.find_first_not_of("0123456789");
  if (unit_at == 0 || unit_at == std::string_view::npos) return std::nullopt;
  const auto n = Digits(t.substr(0, unit_at));
  const std::string_view unit = t.substr(unit_at);
  static constexpr std::pair<std::string_view, int64_t> kUnits[] = {
      {"s", 1},       {"sec", 1},   {"m", 60},      {"min", 60},  {"h", 3600},
      {"hour", 3600}, {"d", 86400}, {"day", 86400}, {"w", 604800}};
  for (const auto& [name, seconds] : kUnits) {
    if (unit == name && n && *n < INT64_MAX / seconds) return *n * seconds;
  }
  return std::nullopt;
}

}  // namespace

common::Result<int64_t> ParseHour(std::string_view text) {
  const bool compact = text.size() == 14 && text[8] == 'T' && text.substr(11) == "00Z";
  const bool dashed = text.size() == 13 && text[4] == '-' && text[10] == 'T';
  std::optional<int64_t> seconds;
  if (compact || dashed) seconds = ParseCalendar(text);
  if (!seconds) {
    return common::Status::Error(
        fmt::format("bad HOUR \"{}\": expected 2026-11-21T05 or 20261121T0500Z", text));
  }
  return *seconds / 3600;
}

common::Result<int64_t> ParseTime(std::string_view text, int64_t now_s) {
  if (text == "now") return now_s;
  if (auto epoch = Digits(text); epoch && text.size() <= 12) return *epoch;
  if (auto back = ParseRelative(text)) return now_s - *back;
  if (auto seconds = ParseCalendar(text)) return *seconds;
  return common::Status::Error(fmt::format(
      "bad time \"{}\": expected 2026-11-21T05, 2026-11-21T05:00:00Z, epoch seconds or -3h", text));
}

std::string FormatHour(int64_t hour) {
  const common::CivilTime c = common::CivilFromSeconds(hour * 3600);
  return fmt::format("{:04}-{:02}-{:02}T{:02}", c.year, c.month, c.day, c.hour);
}

}  // namespace hourglass::archive
