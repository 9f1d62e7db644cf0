#include "forward/forwarder.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <chrono>
#include <thread>

#include "tests/store/temp_dir.h"

namespace hourglass::forward {
namespace {

using store::testing::TempDir;

// A carbon backend on 127.0.0.1: accepts one connection at a time and keeps
// what it reads. Test-only; the test thread drives it.
class Backend {
 public:
  explicit Backend(int port = 0) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(listen(fd_, 4) == 0);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~Backend() {
    if (conn_ >= 0) close(conn_);
    close(fd_);
  }
  int port() const { return port_; }
  // Reads until `text` holds `lines` lines or the deadline passes.
  const std::string& WaitLines(size_t lines) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::count(text_.begin(), text_.end(), '\n') < static_cast<long>(lines) &&
           std::chrono::steady_clock::now() < deadline) {
      pollfd p{conn_ >= 0 ? conn_ : fd_, POLLIN, 0};
      if (poll(&p, 1, 50) != 1) continue;
      if (conn_ < 0) {
        conn_ = accept(fd_, nullptr, nullptr);
        continue;
      }
      char buf[4096];
      const ssize_t n = read(conn_, buf, sizeof(buf));
      if (n <= 0) {
        close(conn_);
        conn_ = -1;
      } else {
        text_.append(buf, static_cast<size_t>(n));
      }
    }
    return text_;
  }

 private:
  int fd_ = -1;
  int conn_ = -1;
  int port_ = 0;
  std::string text_;
};

double Stat(common::StatsRegistry& stats, const std::string& name) {
  for (const auto& s : stats.Snapshot()) {
    if (s.name == name) return s.value;
  }
  return -1;
}

common::HealthState Health(common::StatsRegistry& stats) {
  for (const auto& h : stats.Health()) {
    if (h.component == "forward.vm") return h.state;
  }
  return common::HealthState::kFailed;
}

bool Eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

TEST_CASE("the pattern is searched in the whole name, tags included") {
  auto re = CompileForwardPattern("^app\\.|;env=prod");
  REQUIRE(re.ok());
  CHECK(re2::RE2::PartialMatch("app.cpu", **re));
  CHECK(re2::RE2::PartialMatch("db.cpu;env=prod", **re));
  CHECK_FALSE(re2::RE2::PartialMatch("db.cpu;env=dev", **re));
  CHECK_FALSE(CompileForwardPattern("(?<=a)b").ok());  // lookbehind: RE2 cannot
}

TEST_CASE("matching points reach the backend, and queue on disk while it is down") {
  TempDir dir;
  common::StatsRegistry stats;
  auto backend = std::make_unique<Backend>();
  const int port = backend->port();
  ForwarderOptions options{.name = "vm",
                           .carbon = "127.0.0.1:" + std::to_string(port),
                           .pattern = "^app\\.",
                           .dir = dir.path() + "/vm",
                           .resend_window_ms = 0,
                           .unreachable_after_ms = 200,
                           .backoff_max_ms = 200};
  auto forwarder = Forwarder::Create(options, stats);
  REQUIRE(forwarder.ok());
  (*forwarder)->Start();
  const std::vector<store::Point> first{{"app.a", 100, 1.5}, {"db.b", 100, 2}, {"app.c", 100, 3}};
  (*forwarder)->Enqueue(first);
  CHECK(backend->WaitLines(2) == "app.a 1.5 100\napp.c 3 100\n");
  CHECK(Eventually([&] { return Stat(stats, "forward.vm.sent_points") == 2; }));
  CHECK(Eventually([&] { return Stat(stats, "forward.vm.connected") == 1; }));

  backend.reset();  // the backend goes away
  CHECK(Eventually([&] { return Stat(stats, "forward.vm.connected") == 0; }));
  (*forwarder)->Enqueue(std::vector<store::Point>{{"app.d", 110, 4}});
  CHECK(Eventually([&] { return Stat(stats, "forward.vm.queued_bytes") > 0; }));
  CHECK(Eventually([&] { return Health(stats) == common::HealthState::kDegraded; }));
  CHECK(Eventually([&] { return Stat(stats, "forward.vm.lag_seconds") > 0; }));

  // Restarted while the backend is still down: the queue survives.
  (*forwarder)->Stop();
  forwarder->reset();
  forwarder = Forwarder::Create(options, stats);
  REQUIRE(forwarder.ok());
  (*forwarder)->Start();
  (*forwarder)->Enqueue(std::vector<store::Point>{{"app.e", 120, 5}});
  Backend again(port);
  CHECK(again.WaitLines(2) == "app.d 4 110\napp.e 5 120\n");
  CHECK(Eventually([&] { return Stat(stats, "forward.vm.queued_bytes") == 0; }));
  CHECK(Eventually([&] { return Health(stats) == common::HealthState::kOk; }));
  CHECK(Stat(stats, "forward.vm.dropped_points") == 0);
}

TEST_CASE("one large batch past the bound keeps its newest points") {
  TempDir dir;
  common::StatsRegistry stats;
  const int port = Backend().port();  // nothing listens there until later
  ForwarderOptions options{.name = "vm",
                           .carbon = "127.0.0.1:" + std::to_string(port),
                           .dir = dir.path() + "/vm",
                           .queue = {.max_bytes = 16 << 10},
                           .backoff_max_ms = 100};
  auto forwarder = Forwarder::Create(options, stats);
  REQUIRE(forwarder.ok());
  (*forwarder)->Start();
  std::vector<store::Point> points;
  for (int i = 0; i < 3000; ++i) points.push_back({"a.b", 1000 + i, double(i)});
  (*forwarder)->Enqueue(points);  // about 45 KB of lines, one call
  CHECK(Eventually([&] { return Stat(stats, "forward.vm.dropped_points") > 0; }));
  const auto dropped = static_cast<size_t>(Stat(stats, "forward.vm.dropped_points"));
  CHECK(dropped < 3000);
  Backend backend(port);
  const std::string& text = backend.WaitLines(3000 - dropped);
  CHECK(std::count(text.begin(), text.end(), '\n') == static_cast<long>(3000 - dropped));
  CHECK(text.starts_with(fmt::format("a.b {} {}\n", dropped, 1000 + dropped)));
  CHECK(text.ends_with("a.b 2999 3999\n"));
}

}  // namespace
}  // namespace hourglass::forward
