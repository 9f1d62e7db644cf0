#include "ingest/statsd/statsd_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "common/listen_address.h"
#include "common/unique_fd.h"

using namespace hourglass;

namespace {

// Sends datagrams to "HOST:PORT" from a fresh UDP socket.
void SendTo(const std::string& address, const std::vector<std::string>& datagrams) {
  auto parsed = common::ParseListenAddress(address);
  REQUIRE(parsed.ok());
  const bool v6 = parsed->host.find(':') != std::string::npos;
  common::UniqueFd fd(socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0));
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&storage);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(parsed->port);
    inet_pton(AF_INET6, parsed->host.c_str(), &a->sin6_addr);
    length = sizeof(*a);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&storage);
    a->sin_family = AF_INET;
    a->sin_port = htons(parsed->port);
    inet_pton(AF_INET, parsed->host.c_str(), &a->sin_addr);
    length = sizeof(*a);
  }
  for (const auto& d : datagrams) {
    REQUIRE(sendto(fd.get(), d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&storage),
                   length) == static_cast<ssize_t>(d.size()));
  }
}

double ValueOf(const aggregator::FlushResult& result, const std::string& name) {
  for (const auto& point : result.points) {
    if (point.name == name) return point.value;
  }
  FAIL("no series " << name);
  return 0;
}

}  // namespace

TEST_CASE("datagrams read by the receiver reach the aggregator, bad lines counted") {
  common::StatsRegistry stats;
  aggregator::Aggregator aggregator({}, 2, stats);
  auto receiver = ingest::StatsdReceiver::Start({"127.0.0.1:0", 1 << 20}, aggregator, stats);
  REQUIRE(receiver.ok());
  const std::string address = (*receiver)->bound_address();
  CHECK(address.rfind("127.0.0.1:", 0) == 0);
  CHECK(address != "127.0.0.1:0");

  std::vector<std::string> datagrams(200, "recv.hits:1|c");
  datagrams.push_back("recv.hits:5|c\nnot a metric\nrecv.lat:7|ms");
  SendTo(address, datagrams);
  // Stop() drains what the sockets already hold before it returns.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  (*receiver)->Stop();

  auto result = aggregator.Flush(1000, 10);
  CHECK(ValueOf(result, "stats_counts.recv.hits") == 205);
  CHECK(ValueOf(result, "stats.timers.recv.lat.upper") == 7);
  CHECK(ValueOf(result, "stats_counts.statsd.bad_lines_seen") == 1);
  CHECK(ValueOf(result, "stats_counts.statsd.packets_received") == 201);
}

TEST_CASE("a UDP port held by another socket is refused with a clear reason") {
  common::UniqueFd taken(socket(AF_INET, SOCK_DGRAM, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(taken.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  socklen_t length = sizeof(address);
  getsockname(taken.get(), reinterpret_cast<sockaddr*>(&address), &length);
  const std::string listen = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));

  common::StatsRegistry stats;
  aggregator::Aggregator aggregator({}, 2, stats);
  auto receiver = ingest::StatsdReceiver::Start({listen, 1 << 20}, aggregator, stats);
  REQUIRE_FALSE(receiver.ok());
  CHECK(receiver.status().message() ==
        "cannot listen for statsd on udp " + listen + ": Address already in use");
}

TEST_CASE("IPv6 listeners receive datagrams") {
  common::StatsRegistry stats;
  aggregator::Aggregator aggregator({}, 1, stats);
  auto receiver = ingest::StatsdReceiver::Start({"[::1]:0", 1 << 20}, aggregator, stats);
  REQUIRE(receiver.ok());
  SendTo((*receiver)->bound_address(), {"v6.hits:2|c"});
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  (*receiver)->Stop();
  CHECK(ValueOf(aggregator.Flush(1000, 10), "stats_counts.v6.hits") == 2);
}

TEST_CASE("a bad listen address is refused") {
  common::StatsRegistry stats;
  aggregator::Aggregator aggregator({}, 1, stats);
  CHECK_FALSE(ingest::StatsdReceiver::Start({"localhost:8125", 1 << 20}, aggregator, stats).ok());
}
