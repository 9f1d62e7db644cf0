#include "ingest/syslog/syslog_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <vector>

#include "common/rate_limited_log.h"
#include "common/tcp_server.h"
#include "ingest/syslog/syslog_framer.h"
#include "ingest/syslog/syslog_parser.h"
#include "ingest/syslog/syslog_tls_context.h"

namespace hourglass::ingest {
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using TlsStream = ssl::stream<tcp::socket>;
using boost::system::error_code;

namespace {

struct Counters {
  explicit Counters(common::StatsRegistry& s)
      : messages(s.GetCounter("syslog.messages_received", "syslog messages received")),
        unparsed(s.GetCounter("syslog.messages_unparsed",
                              "syslog messages kept as unparsed (no PRI, bad RFC 5424 header)")),
        truncated(s.GetCounter("syslog.messages_truncated",
                               "syslog messages cut at syslog.max_message_size")),
        framing_errors(s.GetCounter("syslog.framing_errors",
                                    "unusable octet counts and frames cut by a closed stream")),
        tls_handshake_failures(s.GetCounter(
            "syslog.tls_handshake_failures",
            "syslog TLS handshakes that failed or timed out (no TLS, old version, bad cert)")) {}
  common::Counter& messages;
  common::Counter& unparsed;
  common::Counter& truncated;
  common::Counter& framing_errors;
  common::Counter& tls_handshake_failures;
};

}  // namespace

namespace detail {

// What the sessions share besides the TCP server; set up before the io
// threads start.
class SyslogServerCore {
 public:
  SyslogServerCore(const SyslogServerOptions& options, archive::AuditWriter& writer,
                   common::StatsRegistry& stats, const common::Clock& clock)
      : options(options),
        writer(writer),
        clock(clock),
        counters(stats),
        server(common::TcpOptionsOf("syslog", "syslog", options), stats, clock) {}

  // Binds the plain (tls = false) or TLS listener, with a clear line on failure.
  common::Status Listen(bool tls);
  void ReportFrameProblems(const std::string& peer, uint64_t framing_errors, uint64_t truncated,
                           int64_t now_s);
  void HandshakeFailed(const std::string& peer, const std::string& reason);
  void Stop();

  const SyslogServerOptions options;
  archive::AuditWriter& writer;
  const common::Clock& clock;
  Counters counters;
  common::RateLimitedLog framing_log, truncated_log, handshake_log;
  std::unique_ptr<ssl::context> tls_context;  // set when TLS is on

  // Declared last: stopped and destroyed first, while the members above exist.
  common::TcpServer server;
};

}  // namespace detail

namespace {

// One connection: (TLS: handshake,) then each read is framed, parsed and
// handed to the writer, and the connection reads again once the writer has
// it (common::TcpSession runs the loop). Stream is tcp::socket or TlsStream.
template <typename Stream>
class Session final : public common::TcpSession<Session<Stream>, Stream> {
  using Base = common::TcpSession<Session<Stream>, Stream>;
  using Base::ArmIdleTimer;
  using Base::Close;
  using Base::draining_;
  using Base::idle_;
  using Base::peer_;
  using Base::ReadNext;
  using Base::stream_;
  using Base::timed_out_;

 public:
  Session(detail::SyslogServerCore& core, Stream stream, uint64_t id)
      : Base(core.server, std::move(stream), id),
        core_(core),
        framer_(SyslogFramerOptions{.max_message_size = core.options.max_message_size,
                                    .max_frame_size = core.options.max_frame_size}) {}

  void OnStart() {
    if constexpr (Base::kLayered) {
      Handshake();
    } else {
      ReadNext();
    }
  }
  void OnData(std::string_view bytes) { framer_.Feed(bytes, frames_); }
  void OnReadEnd(error_code, bool last) {
    if (last) framer_.Finish(frames_);
    Deliver(last);
  }
  void OnDrained() {
    framer_.Finish(frames_);
    Deliver(true);
  }

 private:
  void Handshake();
  void OnHandshake(error_code ec);
  void Deliver(bool last);
  void OnWritten(const common::Status& status, bool last);

  detail::SyslogServerCore& core_;
  SyslogFramer framer_;
  std::vector<SyslogFrame> frames_;
};

template <typename Stream>
void Session<Stream>::Handshake() {
  if (draining_) return Close();
  ArmIdleTimer();
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
    archive::AuditRecord record =
        ParseSyslog(frame.data, SyslogOrigin{.received_micros = now, .peer = peer_});
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

}  // namespace

namespace detail {

// Plain and TLS share the syslog.* stats and syslog.max_connections.
common::Status SyslogServerCore::Listen(bool tls) {
  if (tls) {
    return server.Listen(options.tls_listen, "syslog-tls", [this](tcp::socket socket, uint64_t id) {
      return std::make_shared<Session<TlsStream>>(*this, TlsStream(std::move(socket), *tls_context),
                                                  id);
    });
  }
  return server.Listen(options.listen, "syslog", [this](tcp::socket socket, uint64_t id) {
    return std::make_shared<Session<tcp::socket>>(*this, std::move(socket), id);
  });
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

void SyslogServerCore::Stop() {
  server.Stop([this](size_t busy) {
    spdlog::error("syslog: audit writes stalled at shutdown; giving up on {} connection(s)", busy);
    writer.FailPending();
    return true;
  });
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
  if (auto status = core->Listen(false); !status.ok()) return status;
  if (core->tls_context) {
    if (auto status = core->Listen(true); !status.ok()) return status;
  }
  core->server.Run(options.threads);
  return std::unique_ptr<SyslogServer>(new SyslogServer(std::move(core)));
}

const std::string& SyslogServer::bound_address() const { return core_->server.bound_address(0); }

const std::string& SyslogServer::tls_bound_address() const {
  static const std::string kNone;
  return core_->tls_context ? core_->server.bound_address(1) : kNone;
}

void SyslogServer::Stop() {
  if (core_) core_->Stop();
}

}  // namespace hourglass::ingest
