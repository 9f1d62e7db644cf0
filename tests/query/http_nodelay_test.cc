// The HTTP server turns Nagle off on every connection it accepts. A streamed
// /render answer ends with small writes (the last chunk); with Nagle on they
// wait for the client's delayed ACK, about 40 ms per answer on Linux (the
// graphite-web bench's 313 kB renders took 44 ms instead of 2). Checked on
// the server's own accepted socket, found among this process's descriptors.
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio.hpp>
#include <catch2/catch.hpp>

#include "common/listen_address.h"
#include "query/http_server.h"
#include "test_store.h"

namespace hourglass::query {
namespace {

using tcp = boost::asio::ip::tcp;

// TCP_NODELAY of each connected socket of this process whose local port is
// `port` (the sockets the server accepted; not its listener, not clients).
std::vector<int> AcceptedNoDelay(uint16_t port) {
  std::vector<int> out;
  DIR* dir = opendir("/proc/self/fd");
  REQUIRE(dir != nullptr);
  while (const dirent* entry = readdir(dir)) {
    const int fd = std::atoi(entry->d_name);
    sockaddr_storage local{}, peer{};
    socklen_t local_len = sizeof(local), peer_len = sizeof(peer);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0) continue;
    if (local.ss_family != AF_INET) continue;
    if (ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port) != port) continue;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) continue;
    int value = 0;
    socklen_t len = sizeof(value);
    REQUIRE(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &value, &len) == 0);
    out.push_back(value);
  }
  closedir(dir);
  return out;
}

TEST_CASE("the HTTP server sets TCP_NODELAY on accepted connections") {
  testing::TestStore db;
  db.AddSeries("a.b.c", 0);
  HttpOptions options;
  options.listen = "127.0.0.1:0";
  auto server = HttpServer::Start(options, db.store(), db.stats(), db.clock());
  REQUIRE(server.ok());
  auto address = common::ParseListenAddress((*server)->bound_address());
  REQUIRE(address.ok());
  boost::asio::io_context ioc;
  tcp::socket client(ioc);
  client.connect({boost::asio::ip::make_address(address->host), address->port});
  const std::string request = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  boost::asio::write(client, boost::asio::buffer(request));
  char reply[16];
  boost::asio::read(client, boost::asio::buffer(reply));  // the server has accepted it
  CHECK(AcceptedNoDelay(address->port) == std::vector<int>{1});
}

}  // namespace
}  // namespace hourglass::query
