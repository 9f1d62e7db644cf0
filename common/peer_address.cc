#include "common/peer_address.h"

#include "common/listen_address.h"

namespace hourglass::common {

std::string PeerAddress(const boost::asio::ip::tcp::socket& socket) {
  namespace asio = boost::asio;
  boost::system::error_code ec;
  const asio::ip::tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  asio::ip::address address = peer.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return FormatAddress(address.to_string(), peer.port());
}

}  // namespace hourglass::common
