// PeerAddress: a connected TCP socket's remote address as "1.2.3.4:5678" or
// "[::1]:5678" (IPv4-mapped IPv6 shown as IPv4), for logs and audit records.
// Pure; any thread that owns the socket.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string>

namespace hourglass::common {

// "unknown" when the socket has no peer (already closed).
std::string PeerAddress(const boost::asio::ip::tcp::socket& socket);

}  // namespace hourglass::common
