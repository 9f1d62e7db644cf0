// ConnectThroughEmfile: the check shared by the syslog and carbon server
// tests that their accept loop (common::TcpAcceptor) backs off on EMFILE:
// connects while no descriptor can be opened, sees the errors counted (a
// few, not a spin), then lets the accept through. Tests only.
#pragma once

#include <boost/asio.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <thread>

#include "common/listen_address.h"
#include "tests/common/fd_pressure.h"

namespace hourglass::testing {

// Fixture: the server tests' fixture (server, client_io, Stat). Returns the
// connected socket once descriptors are back; the server accepts it soon.
template <typename Fixture>
boost::asio::ip::tcp::socket ConnectThroughEmfile(Fixture& f, const std::string& prefix) {
  namespace asio = boost::asio;
  using tcp = asio::ip::tcp;
  auto address = common::ParseListenAddress(f.server->bound_address());
  tcp::socket socket(f.client_io);
  socket.open(tcp::v4());
  FdPressure pressure;  // accept() now fails with EMFILE
  socket.connect(tcp::endpoint(asio::ip::make_address(address->host), address->port));
  const std::string errors = prefix + ".accept_errors";
  for (int i = 0; i < 1000 && f.Stat(errors) < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(f.Stat(errors) >= 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(f.Stat(errors) < 30);  // backing off (10 ms doubling), not re-accepting at once
  // No check that nothing was accepted yet: another thread (the audit
  // writer closing a file) may free a descriptor below the lowered limit,
  // and then the connection is accepted early, which is right.
  return socket;
}

// The whole check: connects through EMFILE, then `line` (one record of the
// server's protocol) is delivered (`delivered` counts it) and counted once
// as accepted.
template <typename Fixture>
void CheckAcceptBacksOff(Fixture& f, const std::string& prefix, std::string_view line,
                         const std::string& delivered) {
  auto socket = ConnectThroughEmfile(f, prefix);
  f.Send(socket, line);
  f.WaitFor(delivered, 1);
  CHECK(f.Stat(prefix + ".connections_accepted") == 1);
}

}  // namespace hourglass::testing
