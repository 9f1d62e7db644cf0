#include "ingest/carbon/carbon_server.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>
#include <vector>

#include "common/listen_address.h"
#include "common/peer_address.h"
#include "common/rate_limited_log.h"
#include "common/seen_set.h"
#include "common/tcp_acceptor.h"
#include "ingest/carbon/carbon_parser.h"

namespace hourglass::ingest {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using common::PeerAddress;

namespace {

constexpr auto kStopWait = std::chrono::seconds(10);
struct Counters {
  explicit Counters(common::StatsRegistry& s)
      : open(s.GetGauge("carbon.connections_open", "carbon plaintext TCP connections open")),
        accepted(s.GetCounter("carbon.connections_accepted", "carbon TCP connections accepted")),
        idle(s.GetCounter("carbon.idle_timeouts", "carbon connections closed for being idle")),
        bytes(s.GetCounter("carbon.bytes_received", "carbon plaintext bytes received")),
        lines(s.GetCounter("carbon.lines_received", "carbon plaintext lines received")),
        bad(s.GetCounter("carbon.bad_lines",
                         "carbon lines ignored: not `name value timestamp`, a bad number or "
                         "name, or longer than carbon.max_line_length")),
        too_long(s.GetCounter("carbon.lines_too_long",
                              "carbon lines dropped for exceeding carbon.max_line_length")),
        written(s.GetCounter("carbon.points_written", "carbon points handed to the store")),
        write_errors(s.GetCounter("carbon.points_failed",
                                  "carbon points lost because the store write failed")) {}
  common::Gauge& open;
  common::Counter& accepted;
  common::Counter& idle;
  common::Counter& bytes;
  common::Counter& lines;
  common::Counter& bad;
  common::Counter& too_long;
  common::Counter& written;
  common::Counter& write_errors;
};

class Session;

}  // namespace

namespace detail {

// Everything the acceptor and the sessions share. `mu` guards sessions and
// stopping; `names_mu` guards known_names; the rest is set before the io
// thread starts.
class CarbonServerCore {
 public:
  CarbonServerCore(const CarbonServerOptions& options, CarbonSink sink,
                   common::StatsRegistry& stats, const common::Clock& clock)
      : options(options),
        sink(std::move(sink)),
        clock(clock),
        counters(stats),
        known_names(options.max_known_names) {}

  // The acceptor's connection hook: starts a session, or refuses (false).
  bool Admit(tcp::socket& socket);
  void Unregister(uint64_t id);
  void Stop();
  // Hands one batch to the sink with the names not passed before.
  void Deliver(std::vector<store::Point>& points, const std::string& peer);

  const CarbonServerOptions options;
  const CarbonSink sink;
  const common::Clock& clock;
  Counters counters;
  common::RateLimitedLog bad_log, too_long_log, write_log;

  std::mutex names_mu;
  common::SeenSet known_names;  // hashes of names already passed

  std::mutex mu;
  std::condition_variable cv;
  std::map<uint64_t, std::weak_ptr<Session>> sessions;
  uint64_t next_id = 0;
  bool stopping = false;

  // Declared last: destroyed first, while the members above still exist.
  asio::io_context ioc;
  std::unique_ptr<common::TcpAcceptor> acceptor;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
};

}  // namespace detail

namespace {

// One connection, on its own strand: read, split, parse, deliver, read again.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(detail::CarbonServerCore& core, tcp::socket socket, uint64_t id)
      : core_(core),
        socket_(std::move(socket)),
        idle_(socket_.get_executor()),
        id_(id),
        peer_(PeerAddress(socket_)),
        buffer_(std::max<size_t>(core.options.read_buffer_bytes, 512)),
        splitter_(core.options.max_line_length) {}
  ~Session() { core_.Unregister(id_); }

  void Start() {
    asio::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->ReadNext(); });
  }

  // Reads what the kernel already holds, hands it over, then closes.
  void Shutdown() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      self->draining_ = true;
      error_code ec;
      self->socket_.cancel(ec);
      self->idle_.cancel();
    });
  }

 private:
  void ReadNext();
  void OnRead(error_code ec, size_t n);
  void ParseLine(std::string_view line, int64_t now_s);
  void Flush();
  void Close();

  detail::CarbonServerCore& core_;
  tcp::socket socket_;
  asio::steady_timer idle_;
  const uint64_t id_;
  const std::string peer_;
  std::vector<char> buffer_;
  CarbonLineSplitter splitter_;
  CarbonLine line_;
  std::vector<store::Point> points_;
  uint64_t lines_ = 0, bad_ = 0;
  bool draining_ = false;  // Stop(): read only what is already there
  bool timed_out_ = false;
};

void Session::ReadNext() {
  if (draining_) {
    error_code ec;
    if (socket_.available(ec) == 0 || ec) {
      const int64_t now_s = core_.clock.NowSeconds();
      splitter_.Finish([&](std::string_view line) { ParseLine(line, now_s); });
      Flush();
      return Close();
    }
  } else {
    idle_.expires_after(std::chrono::seconds(core_.options.idle_timeout_s));
    idle_.async_wait([self = shared_from_this()](error_code ec) {
      if (ec) return;  // re-armed or cancelled
      self->timed_out_ = true;
      self->core_.counters.idle.Add();
      self->socket_.cancel(ec);
    });
  }
  socket_.async_read_some(
      asio::buffer(buffer_),
      [self = shared_from_this()](error_code ec, size_t n) { self->OnRead(ec, n); });
}

void Session::OnRead(error_code ec, size_t n) {
  idle_.cancel();
  const int64_t now_s = core_.clock.NowSeconds();
  if (n > 0) {
    core_.counters.bytes.Add(n);
    const size_t too_long = splitter_.Feed(std::string_view(buffer_.data(), n),
                                           [&](std::string_view line) { ParseLine(line, now_s); });
    if (too_long > 0) {
      lines_ += too_long;
      bad_ += too_long;
      core_.counters.too_long.Add(too_long);
      if (const uint64_t total = core_.too_long_log.Take(now_s, too_long)) {
        spdlog::warn("carbon: line from {} longer than {} bytes, dropped; {} since the last report",
                     peer_, core_.options.max_line_length, total);
      }
    }
  }
  const bool stop_requested = ec == asio::error::operation_aborted && draining_ && !timed_out_;
  const bool last = (ec && !stop_requested) || timed_out_;
  if (last && ec == asio::error::eof) {  // a clean end: the unterminated last line counts
    splitter_.Finish([&](std::string_view line) { ParseLine(line, now_s); });
  }
  Flush();
  if (last) return Close();
  ReadNext();
}

void Session::ParseLine(std::string_view line, int64_t now_s) {
  const CarbonLineStatus status = ParseCarbonLine(line, now_s, line_);
  if (status == CarbonLineStatus::kBlank) return;
  ++lines_;
  if (status == CarbonLineStatus::kPoint) {
    points_.push_back({line_.name, line_.timestamp, line_.value});
  } else if (status != CarbonLineStatus::kNanValue) {
    ++bad_;
    if (const uint64_t total = core_.bad_log.Take(now_s)) {
      constexpr size_t kShown = 200;  // as carbon: the start of the line, escaped
      std::string shown(line.substr(0, kShown));
      for (char& c : shown) c = (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
      spdlog::warn("carbon: invalid line from {}, ignoring [{}{}]; {} since the last report", peer_,
                   shown, line.size() > kShown ? "..." : "", total);
    }
  }
}

void Session::Flush() {
  core_.counters.lines.Add(lines_);
  core_.counters.bad.Add(bad_);
  lines_ = bad_ = 0;
  if (!points_.empty()) core_.Deliver(points_, peer_);
  points_.clear();
}

void Session::Close() {
  error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  idle_.cancel();
}

}  // namespace

namespace detail {

void CarbonServerCore::Deliver(std::vector<store::Point>& points, const std::string& peer) {
  std::vector<std::string> new_names;
  std::unordered_set<uint64_t> new_hashes;
  {
    std::lock_guard lock(names_mu);
    for (const store::Point& p : points) {
      const uint64_t h = std::hash<std::string_view>{}(p.name);
      if (!known_names.Contains(h) && new_hashes.insert(h).second) new_names.push_back(p.name);
    }
  }
  const common::Status status = sink(points, new_names);
  if (!status.ok()) {
    counters.write_errors.Add(points.size());
    if (const uint64_t n = write_log.Take(clock.NowSeconds())) {
      spdlog::error(
          "carbon: writing {} points from {} failed: {}; {} failed writes since the last "
          "report",
          points.size(), peer, status.message(), n);
    }
    return;
  }
  counters.written.Add(points.size());
  if (new_hashes.empty()) return;
  std::lock_guard lock(names_mu);
  for (const uint64_t h : new_hashes) known_names.Insert(h);
}

// Carbon connections past carbon.max_connections are refused.
bool CarbonServerCore::Admit(tcp::socket& socket) {
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mu);
    if (stopping || sessions.size() >= options.max_connections) return false;
    counters.accepted.Add();
    error_code opt_ec;
    socket.set_option(asio::socket_base::keep_alive(true), opt_ec);
    const uint64_t id = next_id++;
    session = std::make_shared<Session>(*this, std::move(socket), id);
    sessions.emplace(id, session);
    counters.open.Set(static_cast<double>(sessions.size()));
  }
  session->Start();
  return true;
}

void CarbonServerCore::Unregister(uint64_t id) {
  std::lock_guard lock(mu);
  sessions.erase(id);
  counters.open.Set(static_cast<double>(sessions.size()));
  cv.notify_all();
}

void CarbonServerCore::Stop() {
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(mu);
    if (stopping) return;
    stopping = true;
    for (auto& [id, weak] : sessions) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  acceptor->Close();
  for (auto& session : live) session->Shutdown();
  live.clear();
  {
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, kStopWait, [&] { return sessions.empty(); })) {
      spdlog::error("carbon: {} connection(s) still busy at shutdown; closing them",
                    sessions.size());
    }
  }
  work.reset();
  ioc.stop();
  for (auto& thread : threads) thread.join();
  threads.clear();
}

}  // namespace detail

CarbonServer::CarbonServer(std::unique_ptr<detail::CarbonServerCore> core)
    : core_(std::move(core)) {}

CarbonServer::~CarbonServer() { Stop(); }

common::Result<std::unique_ptr<CarbonServer>> CarbonServer::Start(
    const CarbonServerOptions& options, CarbonSink sink, common::StatsRegistry& stats,
    const common::Clock& clock) {
  auto core = std::make_unique<detail::CarbonServerCore>(options, std::move(sink), stats, clock);
  auto fail = [&](const common::Status& status) {
    return common::Status::Error("cannot listen for carbon on tcp " + options.listen + ": " +
                                 status.message());
  };
  auto address = common::ParseListenAddress(options.listen);
  if (!address) return fail(address.status());
  auto acceptor = common::TcpAcceptor::Open(
      core->ioc, *address,
      {.log_name = "carbon", .metric_prefix = "carbon", .cap_key = "carbon.max_connections"}, stats,
      clock);
  if (!acceptor) return fail(acceptor.status());
  core->acceptor = std::move(*acceptor);
  core->work.emplace(core->ioc.get_executor());
  core->acceptor->Start([c = core.get()](tcp::socket& socket) { return c->Admit(socket); });
  core->threads.emplace_back([c = core.get()] { c->ioc.run(); });
  return std::unique_ptr<CarbonServer>(new CarbonServer(std::move(core)));
}

const std::string& CarbonServer::bound_address() const { return core_->acceptor->bound_address(); }

void CarbonServer::Stop() {
  if (core_) core_->Stop();
}

}  // namespace hourglass::ingest
