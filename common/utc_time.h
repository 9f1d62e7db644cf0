// UTC calendar time: conversions between seconds since the epoch and civil
// (year, month, day, hour, minute, second) time, and the hour stamp
// "20261121T0500Z" used in audit file names. Pure functions (gmtime_r and
// timegm underneath); safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hourglass::common {

struct CivilTime {
  int year = 1970;
  int month = 1;  // 1-12
  int day = 1;    // 1-31
  int hour = 0;
  int minute = 0;
  int second = 0;
};

CivilTime CivilFromSeconds(int64_t seconds);

// Like timegm: out-of-range fields are normalised (month 13 is January of the
// next year).
int64_t SecondsFromCivil(const CivilTime& civil);

// Refuses fields out of range and dates that do not exist (2026-02-30): the
// result must convert back to the same day and month.
std::optional<int64_t> ExactSecondsFromCivil(const CivilTime& civil);

// strftime of `seconds` as UTC, e.g. FormatUtc(t, "%Y%m%dT%H%M%SZ").
std::string FormatUtc(int64_t seconds, const char* format);

// Hours since the epoch <-> "20261121T0500Z". ParseHourStamp refuses
// anything HourStamp would not produce.
std::string HourStamp(int64_t hour);
std::optional<int64_t> ParseHourStamp(std::string_view stamp);

}  // namespace hourglass::common
