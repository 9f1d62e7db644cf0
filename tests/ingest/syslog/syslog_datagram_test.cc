#include "ingest/syslog/syslog_datagram.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>

#include "common/listen_address.h"
#include "tests/ingest/syslog/syslog_fixture.h"

namespace hourglass::ingest {
namespace {

using namespace std::literals;

bool Has(const std::string& line, std::string_view part) {
  return line.find(part) != std::string::npos;
}

struct Fixture : testing::SyslogFixture {
  std::unique_ptr<SyslogDatagramReceiver> receiver;
  std::string path;

  Fixture() : SyslogFixture("hg-syslog-dgram"), path(dir + "/log.sock") {
    archive::AuditOptions audit;
    audit.dir = dir + "/audit";
    SyslogServerOptions tcp;
    tcp.listen = "127.0.0.1:0";
    Start(audit, tcp);
    SyslogDatagramOptions options;
    options.udp_listen = "127.0.0.1:0";
    options.udp_threads = 2;
    options.unix_socket = path;
    options.max_message_size = 480;
    auto r = SyslogDatagramReceiver::Start(options, *writer, stats, clock);
    REQUIRE(r.ok());
    receiver = std::move(*r);
  }
  ~Fixture() {
    if (receiver) receiver->Stop();
  }

  void SendUdp(std::string_view data) {
    auto address = common::ParseListenAddress(receiver->udp_address());
    REQUIRE(address.ok());
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(address->port);
    inet_pton(AF_INET, address->host.c_str(), &to.sin_addr);
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(sendto(fd, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)) ==
            static_cast<ssize_t>(data.size()));
    close(fd);
  }
  void SendUnix(std::string_view data) {
    sockaddr_un to{};
    to.sun_family = AF_UNIX;
    std::memcpy(to.sun_path, path.data(), path.size());
    const int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    REQUIRE(sendto(fd, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)) ==
            static_cast<ssize_t>(data.size()));
    close(fd);
  }
};

TEST_CASE("datagrams over UDP and the unix socket: one message each, trailer stripped, cut") {
  Fixture f;
  f.SendUdp("<13>Nov 21 05:00:00 host app[1]: over udp\n");
  f.WaitFor("syslog.datagrams_received", 1);
  f.SendUnix("<14>app: over unix\0"sv);
  f.WaitFor("syslog.datagrams_received", 2);
  f.SendUdp("<13>app: " + std::string(480 - 9, 'a'));  // exactly the limit: whole
  f.WaitFor("syslog.datagrams_received", 3);
  f.SendUdp("<13>app: " + std::string(480 - 9 + 1, 'b'));  // one byte over: cut
  f.WaitFor("syslog.datagrams_received", 4);
  f.receiver->Stop();  // waits for the writer
  CHECK(!std::filesystem::exists(f.path));
  CHECK(f.Stat("syslog.datagrams_truncated") == 1);
  CHECK(f.Stat("syslog.datagrams_dropped") == 0);
  const auto lines = f.ReadLines(f.dir + "/audit/audit-20261121T0500Z.log");
  REQUIRE(lines.size() == 4);
  CHECK(Has(lines[0], R"("peer":"127.0.0.1:)"));
  CHECK(Has(lines[0], R"("message":"over udp")"));
  CHECK(Has(lines[1], R"("peer":"unix:)" + f.path + "\""));
  CHECK(Has(lines[1], R"("message":"over unix")"));
  CHECK(!Has(lines[2], "truncated"));
  CHECK(Has(lines[2], std::string(471, 'a') + "\""));
  CHECK(Has(lines[3], R"("truncated":true)"));
  CHECK(Has(lines[3], std::string(471, 'b') + "\""));
}

TEST_CASE("a regular file at the socket path is refused and kept") {
  const std::string dir = testing::TempDir("hg-syslog-dgram-file");
  const std::string path = dir + "/file";
  { std::ofstream(path) << "keep\n"; }
  common::ManualClock clock(testing::k0500);
  common::StatsRegistry stats;
  archive::AuditOptions audit;
  audit.dir = dir + "/audit";
  auto writer = archive::AuditWriter::Open(audit, clock, stats);
  REQUIRE(writer.ok());
  SyslogDatagramOptions options;
  options.udp_listen = "";
  options.unix_socket = path;
  auto r = SyslogDatagramReceiver::Start(options, **writer, stats, clock);
  REQUIRE(!r.ok());
  CHECK(r.status().message() ==
        "cannot listen for syslog on unix socket " + path + ": exists and is not a socket");
  CHECK(std::filesystem::is_regular_file(path));
  (void)(*writer)->Close();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hourglass::ingest
