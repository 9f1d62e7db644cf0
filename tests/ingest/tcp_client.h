// TcpClientFixture: the client side shared by the carbon and syslog server
// tests (plain and TLS): a client io_context, connect to a bound address,
// send everything, read until the server closes, read a stat, and wait (generously) for a stat to
// reach a value. Tests only; the server fixtures derive from it.
#pragma once

#include <boost/asio.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <thread>

#include "common/listen_address.h"
#include "common/stats.h"

namespace hourglass::testing {

struct TcpClientFixture {
  common::StatsRegistry stats;
  boost::asio::io_context client_io;

  // A client socket connected to `bound` ("127.0.0.1:40123").
  boost::asio::ip::tcp::socket ConnectTo(const std::string& bound) {
    auto address = common::ParseListenAddress(bound);
    boost::asio::ip::tcp::socket socket(client_io);
    socket.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address(address->host),
                                                  address->port));
    return socket;
  }
  static void Send(boost::asio::ip::tcp::socket& socket, std::string_view data) {
    boost::asio::write(socket, boost::asio::buffer(data.data(), data.size()));
  }
  // Blocks for one byte; the error the read ends with (eof once the server
  // has closed the connection), or none if a byte came.
  static boost::system::error_code ReadOne(boost::asio::ip::tcp::socket& socket) {
    char byte;
    boost::system::error_code ec;
    socket.read_some(boost::asio::buffer(&byte, 1), ec);
    return ec;
  }
  // The stat's current value; -1 when it does not exist.
  double Stat(const std::string& name) const {
    for (const auto& s : stats.Snapshot()) {
      if (s.name == name) return s.value;
    }
    return -1;
  }
  // Waits up to 5 s for `stat` to equal `value` (a count going up, or a
  // gauge going down), then requires it equal.
  void WaitFor(const std::string& stat, double value) const {
    for (int i = 0; i < 1000 && Stat(stat) != value; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    REQUIRE(Stat(stat) == value);
  }
};

// The connection cap at its bound, for a server started with max_connections
// = 1: the first connection delivers `line` (one record; `delivered` counts
// them), a second one is closed by the server and counted as refused, and the
// first still works.
template <typename Fixture>
void CheckConnectionCap(Fixture& f, const std::string& prefix, std::string_view line,
                        const std::string& delivered) {
  auto first = f.Connect();
  f.Send(first, line);
  f.WaitFor(delivered, 1);
  auto second = f.Connect();
  CHECK(f.ReadOne(second));  // closed by the server
  f.WaitFor(prefix + ".connections_refused", 1);
  CHECK(f.Stat(prefix + ".connections_open") == 1);
  f.Send(first, line);
  f.WaitFor(delivered, 2);
}

}  // namespace hourglass::testing
