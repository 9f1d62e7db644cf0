// Command-line value parsing shared by the bench tools (single-threaded
// start-up code). A bad number prints "PROGRAM: bad value for FLAG: VALUE"
// and exits 2, as the tools' own usage errors do.
#pragma once

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace hourglass::bench {

[[noreturn]] inline void BadValue(const char* program, const char* flag, const char* s) {
  std::fprintf(stderr, "%s: bad value for %s: %s\n", program, flag, s);
  std::exit(2);
}

// A non-negative decimal number.
inline double ParseDouble(const char* program, const char* flag, const char* s) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s, &end);
  if (errno || end == s || *end || v < 0) BadValue(program, flag, s);
  return v;
}

inline uint64_t ParseUint(const char* program, const char* flag, const char* s) {
  uint64_t v = 0;
  const auto [p, ec] = std::from_chars(s, s + std::strlen(s), v);
  if (ec != std::errc() || *p) BadValue(program, flag, s);
  return v;
}

// "HOST:PORT" or "[IPv6]:PORT" with a port from 1 to 65535.
inline bool ParseTarget(std::string_view text, std::string& host, uint16_t& port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  host = std::string(text.substr(0, colon));
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  const std::string_view digits = text.substr(colon + 1);
  unsigned value = 0;
  const auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || p != digits.data() + digits.size() || value == 0 || value > 65535) {
    return false;
  }
  port = static_cast<uint16_t>(value);
  return true;
}

}  // namespace hourglass::bench
