#include "ingest/syslog/syslog_server.h"

#include <boost/asio.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/listen_address.h"
#include "tests/ingest/emfile_connect.h"
#include "tests/ingest/syslog/syslog_fixture.h"

namespace hourglass::ingest {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::literals;

using testing::k0500;
constexpr int64_t kHourMicros = 3'600'000'000LL;

struct Fixture : testing::SyslogFixture {
  explicit Fixture(SyslogServerOptions options = {},
                   archive::AuditFormat format = archive::AuditFormat::kJson)
      : SyslogFixture("hg-syslog") {
    archive::AuditOptions audit;
    audit.dir = dir;
    audit.format = format;
    if (options.listen == "0.0.0.0:5140") options.listen = "127.0.0.1:0";
    Start(audit, options);
  }

  tcp::socket Connect() { return ConnectTo(server->bound_address()); }
  std::vector<std::string> Lines(const std::string& name) { return ReadLines(dir + "/" + name); }
};

bool Has(const std::string& line, std::string_view part) {
  return line.find(part) != std::string::npos;
}

TEST_CASE("one connection, mixed framing, messages in order with their peer") {
  Fixture f;
  auto socket = f.Connect();
  f.Send(socket, "<13>Nov 21 05:00:00 host app[1]: first\n");
  const std::string counted = "<165>1 2003-10-11T22:14:15.003Z h a - - - x";
  f.Send(socket, std::to_string(counted.size()) + " " + counted);
  f.Send(socket, "<14>python style\0"sv);
  f.Send(socket, "<13>split ac");
  f.Send(socket, "ross reads\r\n<13>tail without LF");
  socket.close();
  f.WaitFor("syslog.messages_received", 5);
  const auto lines = f.Lines("audit-20261121T0500Z.log");
  REQUIRE(lines.size() == 5);
  CHECK(Has(lines[0], R"("peer":"127.0.0.1:)"));
  CHECK(Has(lines[0], R"("format":"rfc3164")"));
  CHECK(Has(lines[0], R"("message":"first")"));
  CHECK(Has(lines[1], R"("format":"rfc5424")"));
  CHECK(Has(lines[1], R"("message":"x")"));
  CHECK(Has(lines[2], R"("message":"python style")"));
  CHECK(Has(lines[3], R"("message":"split across reads")"));
  CHECK(Has(lines[4], R"("message":"tail without LF")"));
  CHECK(Has(lines[0], R"("received":"2026-11-21T05:00:00.000001Z")"));
  CHECK(f.Stat("syslog.connections_accepted") == 1);
}

TEST_CASE("raw format keeps the frame, unparsed and truncated are counted") {
  SyslogServerOptions options;
  options.max_message_size = 20;
  Fixture f(options, archive::AuditFormat::kRaw);
  auto socket = f.Connect();
  f.Send(socket, "not syslog at all\n<13>" + std::string(100, 'x') + "\n<13>a\tb\n");
  socket.close();
  f.WaitFor("syslog.messages_received", 3);
  const auto lines = f.Lines("audit-20261121T0500Z.log");
  CHECK(lines ==
        std::vector<std::string>{"not syslog at all", "<13>xxxxxxxxxxxxxxxx", "<13>a#011b"});
  CHECK(f.Stat("syslog.messages_unparsed") == 1);
  CHECK(f.Stat("syslog.messages_truncated") == 1);
}

TEST_CASE("messages on one connection roll into the next hour's file") {
  Fixture f;
  auto socket = f.Connect();
  f.Send(socket, "<13>in 05\n");
  f.WaitFor("syslog.messages_received", 1);
  f.clock.SetMicros(k0500 + kHourMicros);
  f.Send(socket, "<13>in 06\n");
  f.WaitFor("syslog.messages_received", 2);
  CHECK(f.Lines("audit-20261121T0500Z.log").size() == 1);
  CHECK(f.Lines("audit-20261121T0600Z.log").size() == 1);
  CHECK(std::filesystem::exists(f.dir + "/audit-20261121T0500Z.log.complete"));
}

TEST_CASE("connections past max_connections are refused and counted") {
  SyslogServerOptions options;
  options.max_connections = 1;
  Fixture f(options);
  testing::CheckConnectionCap(f, "syslog", "<13>one\n", "syslog.messages_received");
}

// The shared acceptor (common::TcpAcceptor): accept errors back off.
TEST_CASE("syslog server: out of descriptors, accepting backs off (counted) and then resumes") {
  Fixture f;
  testing::CheckAcceptBacksOff(f, "syslog", "<13>after EMFILE\n", "syslog.messages_received");
}

TEST_CASE("an idle connection is closed after idle_timeout_s, its partial frame kept") {
  SyslogServerOptions options;
  options.idle_timeout_s = 1;
  Fixture f(options);
  auto socket = f.Connect();
  f.Send(socket, "<13>no LF yet");
  CHECK(f.ReadOne(socket) == asio::error::eof);  // returns when the server closes
  f.WaitFor("syslog.idle_timeouts", 1);
  f.WaitFor("syslog.messages_received", 1);
}

TEST_CASE("Stop hands over what was read, partial frames included") {
  Fixture f;
  auto socket = f.Connect();
  f.Send(socket, "<13>complete\n<13>partial");
  f.WaitFor("syslog.bytes_received", 24);
  f.server->Stop();
  const auto lines = f.Lines("audit-20261121T0500Z.log");
  REQUIRE(lines.size() == 2);
  CHECK(Has(lines[1], R"("message":"partial")"));
}

TEST_CASE("IPv6 listen address") {
  SyslogServerOptions options;
  options.listen = "[::1]:0";
  {
    asio::io_context io;
    tcp::acceptor probe(io);
    boost::system::error_code ec;
    probe.open(tcp::v6(), ec);
    if (!ec) probe.bind(tcp::endpoint(asio::ip::make_address("::1"), 0), ec);
    if (ec) {
      WARN("no IPv6 loopback here");
      return;
    }
  }
  auto f = std::make_unique<Fixture>(options);
  CHECK(f->server->bound_address().starts_with("[::1]:"));
  auto socket = f->Connect();
  f->Send(socket, "<13>over v6\n");
  socket.close();
  f->WaitFor("syslog.messages_received", 1);
  CHECK(Has(f->Lines("audit-20261121T0500Z.log")[0], R"("peer":"[::1]:)"));
}

TEST_CASE("a port in use fails Start with one clear line") {
  Fixture f;
  SyslogServerOptions options;
  options.listen = f.server->bound_address();
  auto second = SyslogServer::Start(options, *f.writer, f.stats, f.clock);
  REQUIRE_FALSE(second.ok());
  CHECK(Has(second.status().message(), "cannot listen for syslog on tcp 127.0.0.1:"));
}

}  // namespace
}  // namespace hourglass::ingest
