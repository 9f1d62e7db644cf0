#include "query/time_parser.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string>

namespace hourglass::query {
namespace {

using common::Result;
using common::Status;

constexpr int64_t kDay = 86400;
constexpr std::array<std::string_view, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                      "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> kWeekdays = {"sun", "mon", "tue", "wed",
                                                       "thu", "fri", "sat"};

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Civil {
  int64_t year, month, day;
};

Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp + (mp < 10 ? 3 : -9);
  return {yoe + era * 400 + (m <= 2), m, d};
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool ParseInt(std::string_view s, int64_t& out) {
  if (!IsDigits(s) || s.size() > 18) return false;
  std::from_chars(s.data(), s.data() + s.size(), out);
  return true;
}

std::string Shorten(std::string_view text) {
  constexpr size_t kShown = 40;
  return std::string(text.substr(0, kShown)) + (text.size() > kShown ? "..." : "");
}

bool ValidDate(int64_t y, int64_t m, int64_t d) {
  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1) return false;
  const int64_t month_days =
      DaysFromCivil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) - DaysFromCivil(y, m, 1);
  return d <= month_days;
}

// The date part of a reference as (days since epoch); time of day separate.
struct RefDate {
  int64_t days;
  int64_t hour = 0;
  int64_t minute = 0;
};

Status SetDate(RefDate& ref, int64_t y, int64_t m, int64_t d) {
  if (!ValidDate(y, m, d)) return Status::Error("day is out of range for month");
  ref.days = DaysFromCivil(y, m, d);
  return Status::Ok();
}

// Leading "HH:MM[am|pm]", "Xam"/"XXpm", "noon", "midnight", "teatime".
Status ParseTimeOfDay(std::string_view& ref, RefDate& out) {
  size_t i = ref.find(':');
  if (i != std::string_view::npos && i > 0 && i < 3) {
    if (!ParseInt(ref.substr(0, i), out.hour) || !ParseInt(ref.substr(i + 1, 2), out.minute)) {
      return Status::Error("invalid time of day");
    }
    ref.remove_prefix(std::min(ref.size(), i + 3));
    if (ref.substr(0, 2) == "am") {
      ref.remove_prefix(2);
    } else if (ref.substr(0, 2) == "pm") {
      out.hour = (out.hour + 12) % 24;
      ref.remove_prefix(2);
    }
  }
  for (std::string_view suffix : {"am", "pm"}) {
    i = ref.find(suffix);
    if (i != std::string_view::npos && i > 0 && i < 3) {
      if (!ParseInt(ref.substr(0, i), out.hour)) return Status::Error("invalid hour");
      if (suffix == "pm") out.hour = (out.hour + 12) % 24;
      ref.remove_prefix(i + 2);
    }
  }
  if (ref.starts_with("noon")) {
    out.hour = 12, out.minute = 0, ref.remove_prefix(4);
  } else if (ref.starts_with("midnight")) {
    out.hour = 0, out.minute = 0, ref.remove_prefix(8);
  } else if (ref.starts_with("teatime")) {
    out.hour = 16, out.minute = 0, ref.remove_prefix(7);
  }
  if (out.hour > 23 || out.minute > 59) return Status::Error("hour or minute out of range");
  return Status::Ok();
}

Status ParseSlashDate(std::string_view ref, RefDate& out) {
  const size_t a = ref.find('/');
  const size_t b = ref.find('/', a + 1);
  int64_t m = 0, d = 0, y = 0;
  if (!ParseInt(ref.substr(0, a), m) || !ParseInt(ref.substr(a + 1, b - a - 1), d) ||
      !ParseInt(ref.substr(b + 1), y)) {
    return Status::Error("invalid MM/DD/YY date");
  }
  if (y < 1900) y += 1900;
  if (y < 1970) y += 100;
  return SetDate(out, y, m, d);
}

Status ParseDayReference(std::string_view ref, const Civil& today, RefDate& out) {
  if (ref == "yesterday" || ref == "today" || ref == "tomorrow") {
    out.days += ref == "yesterday" ? -1 : ref == "tomorrow" ? 1 : 0;
    return Status::Ok();
  }
  if (std::count(ref.begin(), ref.end(), '/') == 2) return ParseSlashDate(ref, out);
  if (ref.size() == 8 && IsDigits(ref)) {
    int64_t y = 0, m = 0, d = 0;
    ParseInt(ref.substr(0, 4), y), ParseInt(ref.substr(4, 2), m), ParseInt(ref.substr(6, 2), d);
    return SetDate(out, y, m, d);
  }
  const std::string_view head = ref.substr(0, 3);
  for (size_t m = 0; m < kMonths.size(); ++m) {
    if (head != kMonths[m]) continue;
    int64_t d = 0;
    if (ref.size() >= 2 && ParseInt(ref.substr(ref.size() - 2), d)) {
    } else if (!ParseInt(ref.substr(ref.size() - 1), d)) {
      return Status::Error("Day of month required after month name");
    }
    return SetDate(out, today.year, static_cast<int64_t>(m) + 1, d);
  }
  for (size_t w = 0; w < kWeekdays.size(); ++w) {
    if (head != kWeekdays[w]) continue;
    const int64_t today_wd = ((out.days % 7) + 7 + 4) % 7;  // 1970-01-01 was a Thursday
    int64_t offset = today_wd - static_cast<int64_t>(w);
    if (offset < 0) offset += 7;
    out.days -= offset;
    return Status::Ok();
  }
  if (!ref.empty()) return Status::Error("Unknown day reference");
  return Status::Ok();
}

Result<int64_t> ParseTimeReference(std::string_view ref, int64_t now) {
  if (ref.empty() || ref == "now") return now;
  RefDate out{FloorDiv(now, kDay)};
  const Civil today = CivilFromDays(out.days);
  if (Status s = ParseTimeOfDay(ref, out); !s.ok()) return s;
  if (Status s = ParseDayReference(ref, today, out); !s.ok()) return s;
  return out.days * kDay + out.hour * 3600 + out.minute * 60;
}

Result<int64_t> UnitSeconds(std::string_view unit) {
  if (unit.starts_with("s")) return 1;
  if (unit.starts_with("min")) return 60;
  if (unit.starts_with("h")) return 3600;
  if (unit.starts_with("d")) return kDay;
  if (unit.starts_with("w")) return 7 * kDay;
  if (unit.starts_with("mon")) return 30 * kDay;
  if (unit.starts_with("y")) return 365 * kDay;
  return Status::Error("Invalid offset unit '" + std::string(unit) + "'");
}

// "HH:MMYYYYMMDD" (the '_' already removed), as strptime('%H:%M%Y%m%d').
Result<int64_t> ParseClockDate(std::string_view s) {
  int64_t h = 0, mi = 0, y = 0, m = 0, d = 0;
  if (s[2] != ':' || !ParseInt(s.substr(0, 2), h) || !ParseInt(s.substr(3, 2), mi) ||
      !ParseInt(s.substr(5, 4), y) || !ParseInt(s.substr(9, 2), m) ||
      !ParseInt(s.substr(11, 2), d) || h > 23 || mi > 59 || !ValidDate(y, m, d)) {
    return Status::Error("time data does not match format '%H:%M%Y%m%d'");
  }
  return DaysFromCivil(y, m, d) * kDay + h * 3600 + mi * 60;
}

}  // namespace

Result<int64_t> ParseTimeOffset(std::string_view offset) {
  if (offset.empty()) return int64_t{0};
  int64_t sign = 1;
  if (!std::isdigit(static_cast<unsigned char>(offset[0]))) {
    if (offset[0] != '+' && offset[0] != '-') {
      return Status::Error(std::string("Invalid offset sign: ") + offset[0]);
    }
    sign = offset[0] == '-' ? -1 : 1;
    offset.remove_prefix(1);
  }
  int64_t total = 0;
  while (!offset.empty()) {
    size_t i = 0;
    while (i < offset.size() && std::isdigit(static_cast<unsigned char>(offset[i]))) ++i;
    int64_t num = 0;
    if (!ParseInt(offset.substr(0, i), num) || num > 1'000'000'000) {
      return Status::Error("invalid offset number in '" + Shorten(offset) + "'");
    }
    offset.remove_prefix(i);
    i = 0;
    while (i < offset.size() && std::isalpha(static_cast<unsigned char>(offset[i]))) ++i;
    Result<int64_t> unit = UnitSeconds(offset.substr(0, i));
    if (!unit.ok()) return unit.status();
    offset.remove_prefix(i);
    int64_t term = 0;  // at most 1e9 * 365 days: cannot overflow, checked anyway
    if (__builtin_mul_overflow(num, *unit, &term) ||
        __builtin_add_overflow(total, sign * term, &total) || total > kMaxOffset ||
        total < -kMaxOffset) {
      return Status::Error("time offset out of range: more than 999999999 days");
    }
  }
  return total;
}

Result<int64_t> ShiftTime(int64_t time, int64_t delta) {
  int64_t out = 0;
  if (__builtin_add_overflow(time, delta, &out) || out < kMinTime || out > kMaxTime) {
    return Status::Error("date value out of range: times must be within years 1 to 9999");
  }
  return out;
}

Result<int64_t> ParseAtTime(std::string_view text, int64_t now) {
  std::string s;
  s.reserve(text.size());
  for (char c : text) {
    if (c == '_' || c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    s.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (s.size() > 64) return Status::Error("time value is too long");
  if (IsDigits(s)) {
    int64_t y = 0, m = 0, d = 0, epoch = 0;
    const bool yyyymmdd = s.size() == 8 && ParseInt(s.substr(0, 4), y) && y > 1900 &&
                          ParseInt(s.substr(4, 2), m) && m < 13 && ParseInt(s.substr(6, 2), d) &&
                          d < 32;
    if (!yyyymmdd) {
      if (!ParseInt(s, epoch)) return Status::Error("epoch seconds out of range");
      return ShiftTime(epoch, 0);
    }
  } else if (s.size() == 13 && s.find(':') != std::string::npos) {
    return ParseClockDate(s);  // years 1 to 9999 by its format
  }
  std::string_view view(s);
  std::string_view ref = view, offset;
  size_t split = view.find('+');
  if (split == std::string_view::npos) split = view.find('-');
  if (split != std::string_view::npos) {
    ref = view.substr(0, split);
    offset = view.substr(split);
  }
  Result<int64_t> base = ParseTimeReference(ref, now);
  if (!base.ok()) return base.status();
  Result<int64_t> delta = ParseTimeOffset(offset);
  if (!delta.ok()) return delta.status();
  return ShiftTime(*base, *delta);
}

}  // namespace hourglass::query
