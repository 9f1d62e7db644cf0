#include "query/json_answer.h"

#include <boost/json/serialize.hpp>
#include <cmath>
#include <cstdint>

#include "common/json_escape.h"

namespace hourglass::query {

boost::json::string JsonText(std::string_view text) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80)
      return boost::json::string(common::ToValidUtf8(text));
  }
  return boost::json::string(text);
}

boost::json::value JsonNumber(double value) {
  if (!std::isfinite(value)) return nullptr;
  if (value == std::trunc(value) && std::fabs(value) < 9.2e18) {
    return static_cast<int64_t>(value);
  }
  return value;
}

std::string ToJson(const boost::json::value& value) { return boost::json::serialize(value); }

}  // namespace hourglass::query
