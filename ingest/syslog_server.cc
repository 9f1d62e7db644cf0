#include "ingest/syslog_server.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/listen_address.h"
#include "ingest/syslog_framer.h"
#include "ingest/syslog_parser.h"

namespace hourglass::ingest {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto kStopWait = std::chrono::seconds(10);
constexpr int64_t kLogIntervalS = 10;

// Lets one log line through per interval and says how many events it covers.
class RateLimitedLog {
 public:
  // Counts one event; returns the events since the last line if a line may
  // be logged now, else 0.
  uint64_t Take(int64_t now_s) {
    count_.fetch_add(1, std::memory_order_relaxed);
    int64_t next = next_.load(std::memory_order_relaxed);
    if (now_s < next || !next_.compare_exchange_strong(next, now_s + kLogIntervalS)) return 0;
    return count_.exchange(0);
  }

 private:
  std::atomic<int64_t> next_{0};
  std::atomic<uint64_t> count_{0};
};

std::string PeerOf(const tcp::socket& socket) {
  error_code ec;
  const tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  asio::ip::address address = peer.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return common::FormatAddress(address.to_string(), peer.port());
}

struct Counters {
  explicit Counters(common::StatsRegistry& s)
      : open(s.GetGauge("syslog.connections_open", "syslog TCP connections open")),
        accepted(s.GetCounter("syslog.connections_accepted", "syslog TCP connections accepted")),
        refused(s.GetCounter("syslog.connections_refused",
                             "syslog connections closed at once: syslog.max_connections reached")),
        idle(s.GetCounter("syslog.idle_timeouts", "syslog connections closed for being idle")),
        messages(s.GetCounter("syslog.messages_received", "syslog messages received")),
        bytes(s.GetCounter("syslog.bytes_received", "syslog bytes received")),
        unparsed(s.GetCounter("syslog.messages_unparsed",
                              "syslog messages kept as unparsed (no PRI, bad RFC 5424 header)")),
        truncated(s.GetCounter("syslog.messages_truncated",
                               "syslog messages cut at syslog.max_message_size")),
        framing_errors(s.GetCounter("syslog.framing_errors",
                                    "unusable octet counts and frames cut by a closed stream")) {}
  common::Gauge& open;
  common::Counter& accepted;
  common::Counter& refused;
  common::Counter& idle;
  common::Counter& messages;
  common::Counter& bytes;
  common::Counter& unparsed;
  common::Counter& truncated;
  common::Counter& framing_errors;
};

class Session;

}  // namespace

namespace detail {

// Everything the acceptor and the sessions share. `mu` guards sessions and
// stopping; the rest is set up before the io threads start.
class SyslogServerCore {
 public:
  SyslogServerCore(const SyslogServerOptions& options, archive::AuditWriter& writer,
                   common::StatsRegistry& stats, const common::Clock& clock)
      : options(options),
        writer(writer),
        clock(clock),
        counters(stats),
        acceptor(asio::make_strand(ioc)),
        accept_retry(acceptor.get_executor()) {}

  common::Status Listen();
  void Accept();
  void OnAccept(const error_code& ec, tcp::socket socket);
  void Unregister(uint64_t id);
  void Stop();

  const SyslogServerOptions options;
  archive::AuditWriter& writer;
  const common::Clock& clock;
  Counters counters;
  RateLimitedLog refused_log, framing_log, truncated_log, accept_log;
  std::string bound_address;

  std::mutex mu;
  std::condition_variable cv;
  std::map<uint64_t, std::weak_ptr<Session>> sessions;
  uint64_t next_id = 0;
  bool stopping = false;

  // Declared last: destroyed first, while the members above still exist.
  asio::io_context ioc;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
};

}  // namespace detail

namespace {

// One connection, on its own strand: read, frame, parse, hand the batch to
// the writer, and read again once the writer has it.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(detail::SyslogServerCore& core, tcp::socket socket, uint64_t id)
      : core_(core),
        socket_(std::move(socket)),
        idle_(socket_.get_executor()),
        id_(id),
        peer_(PeerOf(socket_)),
        buffer_(std::max<size_t>(core.options.read_buffer_bytes, 512)),
        framer_(SyslogFramerOptions{.max_message_size = core.options.max_message_size}) {}
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
  void Deliver(bool last);
  void OnWritten(const common::Status& status, bool last);
  void Close();

  detail::SyslogServerCore& core_;
  tcp::socket socket_;
  asio::steady_timer idle_;
  const uint64_t id_;
  const std::string peer_;
  std::vector<char> buffer_;
  SyslogFramer framer_;
  std::vector<SyslogFrame> frames_;
  bool draining_ = false;  // Stop(): read only what is already there
  bool timed_out_ = false;
};

void Session::ReadNext() {
  if (draining_) {
    error_code ec;
    if (socket_.available(ec) == 0 || ec) {
      framer_.Finish(frames_);
      return Deliver(true);
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
  if (n > 0) {
    core_.counters.bytes.Add(n);
    framer_.Feed(std::string_view(buffer_.data(), n), frames_);
  }
  const bool stop_requested = ec == asio::error::operation_aborted && draining_ && !timed_out_;
  const bool last = (ec && !stop_requested) || timed_out_;
  if (last) framer_.Finish(frames_);
  Deliver(last);
}

void Session::Deliver(bool last) {
  if (frames_.empty()) {
    if (last) return Close();
    return ReadNext();
  }
  const int64_t now = core_.clock.NowMicros();
  std::vector<archive::AuditEntry> entries;
  entries.reserve(frames_.size());
  uint64_t framing_errors = 0, truncated = 0, unparsed = 0;
  for (const SyslogFrame& frame : frames_) {
    archive::AuditRecord record = ParseSyslog(frame.data);
    record.received_micros = now;
    record.peer = peer_;
    record.truncated = frame.truncated;
    framing_errors += frame.framing_error;
    truncated += frame.truncated;
    unparsed += record.format == archive::SyslogFormat::kUnparsed;
    archive::AuditEntry& entry = entries.emplace_back();
    entry.received_micros = now;
    archive::AppendAuditLine(core_.writer.format(), record, entry.line);
  }
  core_.counters.messages.Add(frames_.size());
  core_.counters.unparsed.Add(unparsed);
  core_.counters.truncated.Add(truncated);
  core_.counters.framing_errors.Add(framing_errors);
  frames_.clear();
  if (framing_errors > 0) {
    if (const uint64_t n = core_.framing_log.Take(now / 1'000'000)) {
      spdlog::warn(
          "syslog: framing error from {} (unusable octet count or a frame cut by the "
          "end of the stream; kept as a message); {} since the last report",
          peer_, n);
    }
  }
  if (truncated > 0) {
    if (const uint64_t n = core_.truncated_log.Take(now / 1'000'000)) {
      spdlog::warn(
          "syslog: message from {} longer than {} bytes, truncated; {} since the last "
          "report",
          peer_, core_.options.max_message_size, n);
    }
  }
  core_.writer.Submit(std::move(entries), [self = shared_from_this(), last](const auto& status) {
    asio::post(self->socket_.get_executor(),
               [self, status, last] { self->OnWritten(status, last); });
  });
}

void Session::OnWritten(const common::Status& status, bool last) {
  if (!status.ok() || last) return Close();
  ReadNext();
}

void Session::Close() {
  error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  idle_.cancel();
}

}  // namespace

namespace detail {

common::Status SyslogServerCore::Listen() {
  auto listen = common::ParseListenAddress(options.listen);
  if (!listen) return listen.status();
  error_code ec;
  const auto address = asio::ip::make_address(listen->host, ec);
  if (ec) return common::Status::Error("not a numeric address: " + listen->host);
  const tcp::endpoint endpoint(address, listen->port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec && address.is_v6()) acceptor.set_option(asio::ip::v6_only(false), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return common::Status::Error(ec.message());
  const tcp::endpoint bound = acceptor.local_endpoint(ec);
  if (ec) return common::Status::Error(ec.message());
  bound_address = common::FormatAddress(bound.address().to_string(), bound.port());
  return common::Status::Ok();
}

void SyslogServerCore::Accept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](error_code ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void SyslogServerCore::OnAccept(const error_code& ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
  if (ec) {  // EMFILE and the like: log, back off a little, keep accepting
    if (const uint64_t n = accept_log.Take(clock.NowSeconds())) {
      spdlog::error("syslog: accept failed: {}; {} since the last report", ec.message(), n);
    }
    accept_retry.expires_after(std::chrono::milliseconds(100));
    accept_retry.async_wait([this](error_code wait_ec) {
      if (!wait_ec) Accept();
    });
    return;
  }
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mu);
    if (!stopping && sessions.size() < options.max_connections) {
      counters.accepted.Add();
      error_code opt_ec;
      socket.set_option(asio::socket_base::keep_alive(true), opt_ec);
      const uint64_t id = next_id++;
      session = std::make_shared<Session>(*this, std::move(socket), id);
      sessions.emplace(id, session);
      counters.open.Set(static_cast<double>(sessions.size()));
    }
  }
  if (session) {
    session->Start();
  } else {
    counters.refused.Add();
    if (const uint64_t n = refused_log.Take(clock.NowSeconds())) {
      spdlog::warn(
          "syslog: refused connection from {}: {} connections open "
          "(syslog.max_connections); {} refused since the last report",
          PeerOf(socket), options.max_connections, n);
    }
    error_code close_ec;
    socket.close(close_ec);
  }
  Accept();
}

void SyslogServerCore::Unregister(uint64_t id) {
  std::lock_guard lock(mu);
  sessions.erase(id);
  counters.open.Set(static_cast<double>(sessions.size()));
  cv.notify_all();
}

void SyslogServerCore::Stop() {
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(mu);
    if (stopping) return;
    stopping = true;
    for (auto& [id, weak] : sessions) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  asio::post(acceptor.get_executor(), [this] {
    error_code ec;
    acceptor.close(ec);
    accept_retry.cancel();
  });
  for (auto& session : live) session->Shutdown();
  live.clear();
  {
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, kStopWait, [&] { return sessions.empty(); })) {
      spdlog::error("syslog: audit writes stalled at shutdown; giving up on {} connection(s)",
                    sessions.size());
      lock.unlock();
      writer.FailPending();
      lock.lock();
      cv.wait_for(lock, std::chrono::seconds(5), [&] { return sessions.empty(); });
    }
  }
  work.reset();
  ioc.stop();
  for (auto& thread : threads) thread.join();
  threads.clear();
}

}  // namespace detail

SyslogServer::SyslogServer(std::unique_ptr<detail::SyslogServerCore> core)
    : core_(std::move(core)) {}

SyslogServer::~SyslogServer() { Stop(); }

common::Result<std::unique_ptr<SyslogServer>> SyslogServer::Start(
    const SyslogServerOptions& options, archive::AuditWriter& writer, common::StatsRegistry& stats,
    const common::Clock& clock) {
  auto core = std::make_unique<detail::SyslogServerCore>(options, writer, stats, clock);
  if (auto status = core->Listen(); !status.ok()) {
    return common::Status::Error("cannot listen for syslog on tcp " + options.listen + ": " +
                                 status.message());
  }
  core->work.emplace(core->ioc.get_executor());
  core->Accept();
  for (size_t i = 0; i < std::max<size_t>(options.threads, 1); ++i) {
    core->threads.emplace_back([c = core.get()] { c->ioc.run(); });
  }
  return std::unique_ptr<SyslogServer>(new SyslogServer(std::move(core)));
}

const std::string& SyslogServer::bound_address() const { return core_->bound_address; }

void SyslogServer::Stop() {
  if (core_) core_->Stop();
}

}  // namespace hourglass::ingest
