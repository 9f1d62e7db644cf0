#include "common/listen_address.h"

#include <arpa/inet.h>

#include <charconv>

namespace hourglass::common {

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Status::Error("expected [IPv6]:PORT");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return Status::Error("expected HOST:PORT");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return Status::Error("an IPv6 address needs brackets: [::]:PORT");
    }
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    return Status::Error("port must be a number from 0 to 65535");
  }
  std::string host_str(host);
  unsigned char buf[16];
  if (inet_pton(AF_INET, host_str.c_str(), buf) != 1 &&
      inet_pton(AF_INET6, host_str.c_str(), buf) != 1) {
    return Status::Error("host must be a numeric IPv4 or IPv6 address");
  }
  return ListenAddress{std::move(host_str), static_cast<uint16_t>(value)};
}

std::string FormatAddress(std::string_view host, uint16_t port) {
  if (host.find(':') != std::string_view::npos) {
    return "[" + std::string(host) + "]:" + std::to_string(port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

}  // namespace hourglass::common
