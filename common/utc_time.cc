#include "common/utc_time.h"

#include <charconv>
#include <ctime>

#include <fmt/format.h>

namespace hourglass::common {
namespace {

std::tm TmFromCivil(const CivilTime& c) {
  std::tm tm{};
  tm.tm_year = c.year - 1900, tm.tm_mon = c.month - 1, tm.tm_mday = c.day;
  tm.tm_hour = c.hour, tm.tm_min = c.minute, tm.tm_sec = c.second;
  return tm;
}

std::tm TmFromSeconds(int64_t seconds) {
  const auto t = static_cast<time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}

bool ParseDigits(std::string_view s, int& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

CivilTime CivilFromSeconds(int64_t seconds) {
  const std::tm tm = TmFromSeconds(seconds);
  return {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec};
}

int64_t SecondsFromCivil(const CivilTime& civil) {
  std::tm tm = TmFromCivil(civil);
  return static_cast<int64_t>(timegm(&tm));
}

std::optional<int64_t> ExactSecondsFromCivil(const CivilTime& c) {
  if (c.month < 1 || c.month > 12 || c.day < 1 || c.day > 31 || c.hour < 0 || c.hour > 23 ||
      c.minute < 0 || c.minute > 59 || c.second < 0 || c.second > 59) {
    return std::nullopt;
  }
  const int64_t seconds = SecondsFromCivil(c);
  const CivilTime back = CivilFromSeconds(seconds);
  if (back.day != c.day || back.month != c.month) return std::nullopt;
  return seconds;
}

std::string FormatUtc(int64_t seconds, const char* format) {
  const std::tm tm = TmFromSeconds(seconds);
  char buf[64];
  const size_t n = std::strftime(buf, sizeof(buf), format, &tm);
  return std::string(buf, n);
}

std::string HourStamp(int64_t hour) {
  const CivilTime c = CivilFromSeconds(hour * 3600);
  return fmt::format("{:04}{:02}{:02}T{:02}00Z", c.year, c.month, c.day, c.hour);
}

std::optional<int64_t> ParseHourStamp(std::string_view s) {
  CivilTime c;
  if (s.size() != 14 || s[8] != 'T' || s.substr(11) != "00Z") return std::nullopt;
  if (!ParseDigits(s.substr(0, 4), c.year) || !ParseDigits(s.substr(4, 2), c.month) ||
      !ParseDigits(s.substr(6, 2), c.day) || !ParseDigits(s.substr(9, 2), c.hour)) {
    return std::nullopt;
  }
  const int64_t seconds = SecondsFromCivil(c);
  if (HourStamp(seconds / 3600) != s) return std::nullopt;  // 2026-02-30 and the like
  return seconds / 3600;
}

}  // namespace hourglass::common
