#include "ingest/syslog/syslog_server.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include "common/listen_address.h"
#include "common/peer_address.h"
#include "common/rate_limited_log.h"
#include "common/tcp_acceptor.h"
#include "ingest/syslog/syslog_framer.h"
#include "ingest/syslog/syslog_parser.h"
#include "ingest/syslog/syslog_tls_context.h"

namespace hourglass::ingest {
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using TlsStream = ssl::stream<tcp::socket>;
using boost::system::error_code;
using common::PeerAddress;

namespace {

constexpr auto kStopWait = std::chrono::seconds(10);
// While stopping, a TLS read that brings nothing for this long means the
// stream is drained (TLS buffers bytes the kernel no longer shows).
constexpr auto kDrainPoll = std::chrono::milliseconds(50);
struct Counters {
  explicit Counters(common::StatsRegistry& s)
      : open(s.GetGauge("syslog.connections_open", "syslog TCP connections open")),
        accepted(s.GetCounter("syslog.connections_accepted", "syslog TCP connections accepted")),
        idle(s.GetCounter("syslog.idle_timeouts", "syslog connections closed for being idle")),
        messages(s.GetCounter("syslog.messages_received", "syslog messages received")),
        bytes(s.GetCounter("syslog.bytes_received", "syslog bytes received")),
        unparsed(s.GetCounter("syslog.messages_unparsed",
                              "syslog messages kept as unparsed (no PRI, bad RFC 5424 header)")),
        truncated(s.GetCounter("syslog.messages_truncated",
                               "syslog messages cut at syslog.max_message_size")),
        framing_errors(s.GetCounter("syslog.framing_errors",
                                    "unusable octet counts and frames cut by a closed stream")),
        tls_handshake_failures(s.GetCounter(
            "syslog.tls_handshake_failures",
            "syslog TLS handshakes that failed or timed out (no TLS, old version, bad cert)")) {}
  common::Gauge& open;
  common::Counter& accepted;
  common::Counter& idle;
  common::Counter& messages;
  common::Counter& bytes;
  common::Counter& unparsed;
  common::Counter& truncated;
  common::Counter& framing_errors;
  common::Counter& tls_handshake_failures;
};

// What the core knows of a session, whatever its stream.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void Start() = 0;
  // Reads what is already there, hands it over, then closes.
  virtual void Shutdown() = 0;
};

}  // namespace

namespace detail {

// Everything the acceptors and the sessions share. `mu` guards sessions and
// stopping; the rest is set up before the io threads start.
class SyslogServerCore {
 public:
  SyslogServerCore(const SyslogServerOptions& options, archive::AuditWriter& writer,
                   common::StatsRegistry& stats, const common::Clock& clock)
      : options(options), writer(writer), clock(clock), counters(stats) {}

  // Binds the plain (tls = false) or TLS listener, with a clear line on failure.
  common::Status Listen(common::StatsRegistry& stats, bool tls);
  // The acceptors' connection hook: starts a session, or refuses (false).
  bool Admit(bool tls, tcp::socket& socket);
  std::shared_ptr<SessionBase> NewSession(bool tls, tcp::socket socket, uint64_t id);
  void ReportFrameProblems(const std::string& peer, uint64_t framing_errors, uint64_t truncated,
                           int64_t now_s);
  void HandshakeFailed(const std::string& peer, const std::string& reason);
  void Unregister(uint64_t id);
  void Stop();

  const SyslogServerOptions options;
  archive::AuditWriter& writer;
  const common::Clock& clock;
  Counters counters;
  common::RateLimitedLog framing_log, truncated_log, handshake_log;
  std::unique_ptr<ssl::context> tls_context;  // set when TLS is on

  std::mutex mu;
  std::condition_variable cv;
  std::map<uint64_t, std::weak_ptr<SessionBase>> sessions;
  uint64_t next_id = 0;
  bool stopping = false;

  // Declared last: destroyed first, while the members above still exist.
  asio::io_context ioc;
  std::unique_ptr<common::TcpAcceptor> plain;
  std::unique_ptr<common::TcpAcceptor> tls;  // set when TLS is on
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
};

}  // namespace detail

namespace {

// One connection, on its own strand: (TLS: handshake,) read, frame, parse,
// hand the batch to the writer, and read again once the writer has it.
// Stream is tcp::socket or TlsStream; everything else is shared.
template <typename Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Session(detail::SyslogServerCore& core, Stream stream, uint64_t id)
      : core_(core),
        stream_(std::move(stream)),
        idle_(stream_.get_executor()),
        id_(id),
        peer_(PeerAddress(Socket())),
        buffer_(std::max<size_t>(core.options.read_buffer_bytes, 512)),
        framer_(SyslogFramerOptions{.max_message_size = core.options.max_message_size,
                                    .max_frame_size = core.options.max_frame_size}) {}
  ~Session() override { core_.Unregister(id_); }

  void Start() override {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->Handshake();
      } else {
        self->ReadNext();
      }
    });
  }

  void Shutdown() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->draining_ = true;
      error_code ec;
      self->Socket().cancel(ec);
      self->idle_.cancel();
    });
  }

 private:
  tcp::socket& Socket() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }
  void ArmTimer(std::chrono::steady_clock::duration after);
  void Handshake();
  void OnHandshake(error_code ec);
  void ReadNext();
  void OnRead(error_code ec, size_t n);
  void Deliver(bool last);
  void OnWritten(const common::Status& status, bool last);
  void Close();

  detail::SyslogServerCore& core_;
  Stream stream_;
  asio::steady_timer idle_;
  const uint64_t id_;
  const std::string peer_;
  std::vector<char> buffer_;
  SyslogFramer framer_;
  std::vector<SyslogFrame> frames_;
  bool draining_ = false;   // Stop(): read only what is already there
  bool timed_out_ = false;  // idle (or a handshake) past idle_timeout_s
  bool drained_ = false;    // Stop(), TLS: a read found nothing within kDrainPoll
};

// Cancels the pending operation (handshake or read) once `after` has passed.
template <typename Stream>
void Session<Stream>::ArmTimer(std::chrono::steady_clock::duration after) {
  idle_.expires_after(after);
  idle_.async_wait([self = this->shared_from_this()](error_code ec) {
    if (ec) return;  // re-armed or cancelled
    if (self->draining_) {
      self->drained_ = true;
    } else {
      self->timed_out_ = true;
      self->core_.counters.idle.Add();
    }
    self->Socket().cancel(ec);
  });
}

template <typename Stream>
void Session<Stream>::Handshake() {
  if (draining_) return Close();
  ArmTimer(std::chrono::seconds(core_.options.idle_timeout_s));
  stream_.async_handshake(ssl::stream_base::server, [self = this->shared_from_this()](
                                                        error_code ec) { self->OnHandshake(ec); });
}

template <typename Stream>
void Session<Stream>::OnHandshake(error_code ec) {
  idle_.cancel();
  if (!ec && !timed_out_) return ReadNext();
  if (timed_out_) {
    core_.HandshakeFailed(peer_, "no handshake within syslog.idle_timeout");
  } else if (!draining_) {
    core_.HandshakeFailed(peer_, ec.message());
  }
  Close();
}

template <typename Stream>
void Session<Stream>::ReadNext() {
  if (!draining_) {
    ArmTimer(std::chrono::seconds(core_.options.idle_timeout_s));
  } else if constexpr (kTls) {
    ArmTimer(kDrainPoll);  // the TLS layer may hold bytes the kernel no longer shows
  } else {
    error_code ec;
    if (Socket().available(ec) == 0 || ec) {
      framer_.Finish(frames_);
      return Deliver(true);
    }
  }
  stream_.async_read_some(
      asio::buffer(buffer_),
      [self = this->shared_from_this()](error_code ec, size_t n) { self->OnRead(ec, n); });
}

template <typename Stream>
void Session<Stream>::OnRead(error_code ec, size_t n) {
  idle_.cancel();
  if (n > 0) {
    core_.counters.bytes.Add(n);
    framer_.Feed(std::string_view(buffer_.data(), n), frames_);
  }
  if (!ec) drained_ = false;  // the poll fired as data came: keep draining
  const bool stop_requested =
      ec == asio::error::operation_aborted && draining_ && !timed_out_ && !drained_;
  const bool last = (ec && !stop_requested) || timed_out_;
  if (last) framer_.Finish(frames_);
  Deliver(last);
}

template <typename Stream>
void Session<Stream>::Deliver(bool last) {
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
  frames_.clear();
  core_.ReportFrameProblems(peer_, framing_errors, truncated, now / 1'000'000);
  core_.writer.Submit(std::move(entries), [self = this->shared_from_this(), last](const auto& s) {
    asio::post(self->stream_.get_executor(), [self, s, last] { self->OnWritten(s, last); });
  });
}

template <typename Stream>
void Session<Stream>::OnWritten(const common::Status& status, bool last) {
  if (!status.ok() || last) return Close();
  ReadNext();
}

// Closes the TCP connection (TLS: without a close_notify; the peer sees the
// stream end either way).
template <typename Stream>
void Session<Stream>::Close() {
  error_code ec;
  Socket().shutdown(tcp::socket::shutdown_both, ec);
  Socket().close(ec);
  idle_.cancel();
}

}  // namespace

namespace detail {

common::Status SyslogServerCore::Listen(common::StatsRegistry& stats, bool tls) {
  const std::string& text = tls ? options.tls_listen : options.listen;
  const std::string name = tls ? "syslog-tls" : "syslog";
  auto fail = [&](const common::Status& status) {
    return common::Status::Error("cannot listen for " + name + " on tcp " + text + ": " +
                                 status.message());
  };
  auto address = common::ParseListenAddress(text);
  if (!address) return fail(address.status());
  // Plain and TLS share the syslog.* stats and syslog.max_connections.
  auto acceptor = common::TcpAcceptor::Open(
      ioc, *address,
      {.log_name = name, .metric_prefix = "syslog", .cap_key = "syslog.max_connections"}, stats,
      clock);
  if (!acceptor) return fail(acceptor.status());
  (tls ? this->tls : plain) = std::move(*acceptor);
  return common::Status::Ok();
}

// Plain and TLS connections count against the same syslog.max_connections.
bool SyslogServerCore::Admit(bool tls, tcp::socket& socket) {
  std::shared_ptr<SessionBase> session;
  {
    std::lock_guard lock(mu);
    if (stopping || sessions.size() >= options.max_connections) return false;
    counters.accepted.Add();
    error_code opt_ec;
    socket.set_option(asio::socket_base::keep_alive(true), opt_ec);
    const uint64_t id = next_id++;
    session = NewSession(tls, std::move(socket), id);
    sessions.emplace(id, session);
    counters.open.Set(static_cast<double>(sessions.size()));
  }
  session->Start();
  return true;
}

std::shared_ptr<SessionBase> SyslogServerCore::NewSession(bool tls, tcp::socket socket,
                                                          uint64_t id) {
  if (tls) {
    return std::make_shared<Session<TlsStream>>(*this, TlsStream(std::move(socket), *tls_context),
                                                id);
  }
  return std::make_shared<Session<tcp::socket>>(*this, std::move(socket), id);
}

void SyslogServerCore::ReportFrameProblems(const std::string& peer, uint64_t framing_errors,
                                           uint64_t truncated, int64_t now_s) {
  counters.truncated.Add(truncated);
  counters.framing_errors.Add(framing_errors);
  if (framing_errors > 0) {
    if (const uint64_t n = framing_log.Take(now_s)) {
      spdlog::warn(
          "syslog: framing error from {} (unusable octet count or a frame cut by the "
          "end of the stream; kept as a message); {} since the last report",
          peer, n);
    }
  }
  if (truncated > 0) {
    if (const uint64_t n = truncated_log.Take(now_s)) {
      spdlog::warn(
          "syslog: message from {} longer than {} bytes, truncated; {} since the last "
          "report",
          peer, options.max_message_size, n);
    }
  }
}

void SyslogServerCore::HandshakeFailed(const std::string& peer, const std::string& reason) {
  counters.tls_handshake_failures.Add();
  if (const uint64_t n = handshake_log.Take(clock.NowSeconds())) {
    spdlog::warn("syslog-tls: handshake with {} failed: {}; {} since the last report", peer, reason,
                 n);
  }
}

void SyslogServerCore::Unregister(uint64_t id) {
  std::lock_guard lock(mu);
  sessions.erase(id);
  counters.open.Set(static_cast<double>(sessions.size()));
  cv.notify_all();
}

void SyslogServerCore::Stop() {
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    std::lock_guard lock(mu);
    if (stopping) return;
    stopping = true;
    for (auto& [id, weak] : sessions) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  plain->Close();
  if (tls) tls->Close();
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
  if (!options.tls_listen.empty()) {
    auto context = MakeSyslogTlsContext(options);
    if (!context) return context.status();
    core->tls_context = std::move(*context);
  }
  if (auto status = core->Listen(stats, false); !status.ok()) return status;
  if (core->tls_context) {
    if (auto status = core->Listen(stats, true); !status.ok()) return status;
  }
  core->work.emplace(core->ioc.get_executor());
  auto* c = core.get();
  c->plain->Start([c](tcp::socket& socket) { return c->Admit(false, socket); });
  if (c->tls) c->tls->Start([c](tcp::socket& socket) { return c->Admit(true, socket); });
  for (size_t i = 0; i < std::max<size_t>(options.threads, 1); ++i) {
    core->threads.emplace_back([c = core.get()] { c->ioc.run(); });
  }
  return std::unique_ptr<SyslogServer>(new SyslogServer(std::move(core)));
}

const std::string& SyslogServer::bound_address() const { return core_->plain->bound_address(); }

const std::string& SyslogServer::tls_bound_address() const {
  static const std::string kNone;
  return core_->tls ? core_->tls->bound_address() : kNone;
}

void SyslogServer::Stop() {
  if (core_) core_->Stop();
}

}  // namespace hourglass::ingest
