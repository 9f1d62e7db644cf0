#include "ingest/carbon/carbon_server.h"

#include <boost/asio.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <thread>

#include "common/listen_address.h"
#include "tests/ingest/emfile_connect.h"
#include "tests/ingest/tcp_client.h"

namespace hourglass::ingest {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::literals;

constexpr int64_t kNow = 1700000000;

// A sink that records every batch; can be told to fail.
struct Recorder {
  std::mutex mu;
  std::vector<store::Point> points;
  std::vector<std::string> new_names;
  size_t calls = 0;
  bool fail = false;
  std::chrono::milliseconds delay{0};  // each call sleeps this long first

  common::Status Take(std::span<const store::Point> p, std::span<const std::string> names) {
    std::this_thread::sleep_for(delay);
    std::lock_guard lock(mu);
    ++calls;
    if (fail) return common::Status::Error("disk full");
    points.insert(points.end(), p.begin(), p.end());
    new_names.insert(new_names.end(), names.begin(), names.end());
    return common::Status::Ok();
  }
  std::vector<std::string> Names() {
    std::lock_guard lock(mu);
    std::vector<std::string> out;
    for (const auto& p : points) out.push_back(p.name);
    return out;
  }
};

struct Fixture : testing::TcpClientFixture {
  common::ManualClock clock{kNow * 1'000'000};
  Recorder recorder;
  std::unique_ptr<CarbonServer> server;

  explicit Fixture(CarbonServerOptions options = {}) {
    options.listen = "127.0.0.1:0";
    auto s = CarbonServer::Start(
        options, [this](auto p, auto n) { return recorder.Take(p, n); }, stats, clock);
    REQUIRE(s.ok());
    server = std::move(*s);
  }
  ~Fixture() { server->Stop(); }

  tcp::socket Connect() { return ConnectTo(server->bound_address()); }
};

TEST_CASE("carbon server: lines become points, names are passed as new once") {
  Fixture f;
  auto socket = f.Connect();
  f.Send(socket, "a.b 1 1600000000\nc;z=1;y=2 2.5 -1\n");
  f.Send(socket, "a.b 3 1600000010\nsplit.across 4 ");
  f.Send(socket, "1600000020\nno.newline.at.the.end 5 1600000030");
  socket.close();
  f.WaitFor("carbon.points_written", 5);
  std::lock_guard lock(f.recorder.mu);
  const auto& p = f.recorder.points;
  REQUIRE(p.size() == 5);
  CHECK((p[0].name == "a.b" && p[0].value == 1 && p[0].timestamp == 1600000000));
  CHECK((p[1].name == "c;y=2;z=1" && p[1].value == 2.5 && p[1].timestamp == kNow));
  CHECK(p[3].name == "split.across");
  CHECK(p[4].name == "no.newline.at.the.end");
  CHECK(f.recorder.new_names ==
        std::vector<std::string>{"a.b", "c;y=2;z=1", "split.across", "no.newline.at.the.end"});
  CHECK(f.Stat("carbon.lines_received") == 5);
  CHECK(f.Stat("carbon.bad_lines") == 0);
}

TEST_CASE("carbon server: bad and overlong lines are counted, the rest kept") {
  CarbonServerOptions options;
  options.max_line_length = 64;
  Fixture f(options);
  auto socket = f.Connect();
  f.Send(socket, "good 1 1600000000\nbad line\n" + std::string(200, 'x') +
                     " 1 2\n\nx nan 1600000000\nalso.good 2 1600000000\n");
  socket.close();
  f.WaitFor("carbon.points_written", 2);
  f.WaitFor("carbon.bad_lines", 2);
  CHECK(f.Stat("carbon.lines_too_long") == 1);
  CHECK(f.Stat("carbon.lines_received") == 5);  // the blank line is not a line
  CHECK(f.recorder.Names() == std::vector<std::string>{"good", "also.good"});
}

TEST_CASE("carbon server: a failed write is counted and names are offered again") {
  Fixture f;
  f.recorder.fail = true;
  auto socket = f.Connect();
  f.Send(socket, "a 1 1600000000\n");
  f.WaitFor("carbon.points_failed", 1);
  {
    std::lock_guard lock(f.recorder.mu);
    f.recorder.fail = false;
  }
  f.Send(socket, "a 2 1600000010\n");
  f.WaitFor("carbon.points_written", 1);
  std::lock_guard lock(f.recorder.mu);
  CHECK(f.recorder.new_names == std::vector<std::string>{"a"});
}

TEST_CASE("carbon server: connections past max_connections are refused") {
  CarbonServerOptions options;
  options.max_connections = 1;
  Fixture f(options);
  testing::CheckConnectionCap(f, "carbon", "still.works 1 1600000000\n", "carbon.points_written");
}

// The shared acceptor (common::TcpAcceptor): accept errors back off.
TEST_CASE("carbon server: out of descriptors, accepting backs off (counted) and then resumes") {
  Fixture f;
  testing::CheckAcceptBacksOff(f, "carbon", "after.emfile 1 1600000000\n", "carbon.points_written");
}

TEST_CASE("carbon server: idle connections are closed") {
  CarbonServerOptions options;
  options.idle_timeout_s = 1;
  Fixture f(options);
  auto socket = f.Connect();
  f.WaitFor("carbon.connections_open", 1);
  f.WaitFor("carbon.idle_timeouts", 1);
  for (int i = 0; i < 400 && f.Stat("carbon.connections_open") > 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  CHECK(f.Stat("carbon.connections_open") == 0);
}

TEST_CASE("carbon server: Stop delivers what was received, then closes") {
  Fixture f;
  auto socket = f.Connect();
  f.Send(socket, "before.stop 1 1600000000\nunterminated 2 1600000000");
  f.WaitFor("carbon.points_written", 1);
  f.server->Stop();
  CHECK(f.recorder.Names() == std::vector<std::string>{"before.stop", "unterminated"});
  CHECK(f.Stat("carbon.connections_open") == 0);
}

TEST_CASE("carbon server: a name new in two batches queued at once is passed as new once") {
  Fixture f;
  f.recorder.delay = 200ms;  // the first batch is still being written when the second is parsed
  auto socket = f.Connect();
  f.Send(socket, "twice 1 1600000000\n");
  f.WaitFor("carbon.lines_received", 1);
  f.Send(socket, "twice 2 1600000010\n");
  f.WaitFor("carbon.points_written", 2);
  std::lock_guard lock(f.recorder.mu);
  CHECK(f.recorder.calls == 2);
  CHECK(f.recorder.new_names == std::vector<std::string>{"twice"});
}

TEST_CASE("carbon server: with a slow store and a queue of one, Stop writes every line read") {
  CarbonServerOptions options;
  options.write_queue_batches = 1;
  options.read_buffer_bytes = 512;  // many reads, so many batches
  Fixture f(options);
  f.recorder.delay = 5ms;  // the writer falls behind: the io thread waits on the queue
  auto socket = f.Connect();
  std::string feed;
  std::vector<std::string> expected;
  for (int i = 0; i < 400; ++i) {
    expected.push_back("slow.s" + std::to_string(i));
    feed += expected.back() + " " + std::to_string(i) + " 1600000000\n";
  }
  f.Send(socket, feed);
  f.WaitFor("carbon.lines_received", 400);  // all read and parsed, not all written
  f.server->Stop();
  CHECK(f.Stat("carbon.points_written") == 400);
  CHECK(f.recorder.Names() == expected);  // in order
}

}  // namespace
}  // namespace hourglass::ingest
