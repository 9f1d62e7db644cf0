// ListenAddress: "host:port" as written in the config ("0.0.0.0:8125",
// "[::1]:8080", "127.0.0.1:0" for a free port). Pure parsing; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace hourglass::common {

struct ListenAddress {
  std::string host;  // numeric IPv4 or IPv6 (without brackets)
  uint16_t port = 0;
};

Result<ListenAddress> ParseListenAddress(std::string_view text);

// "127.0.0.1:8125" / "[::1]:8125".
std::string FormatAddress(std::string_view host, uint16_t port);

}  // namespace hourglass::common
