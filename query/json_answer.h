// Helpers for the answers built with Boost.JSON (/tags, /health): strings go
// in as valid UTF-8 (Boost.JSON copies bytes above 0x7F unchecked), values
// come out as compact JSON text. /render and /metrics/find (large answers) and
// /functions (graphite's 1e9999) are written by hand with common/json_escape.h.
// Pure functions; any thread.
#pragma once

#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>

namespace hourglass::query {

// `text` as a JSON string; every byte of invalid UTF-8 becomes U+FFFD.
boost::json::string JsonText(std::string_view text);

// A number as graphite-web/fmt write it: integral values within int64 as
// integers ("12", not "1.2E1"); other finite values as doubles; NaN and
// infinities as null.
boost::json::value JsonNumber(double value);

// Compact JSON text of `value`.
std::string ToJson(const boost::json::value& value);

}  // namespace hourglass::query
