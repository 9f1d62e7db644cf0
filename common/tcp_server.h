// TcpServer and TcpSession: the TCP connection handling the carbon and syslog
// servers share. TcpServer owns the io threads, one or more TcpAcceptors, the
// connection cap, the <name>.connections_* / idle / bytes stats and an orderly
// Stop; TcpSession<Derived, Stream> is one connection's read loop on its own
// strand (idle timer re-armed per read, drain on Stop). The protocol supplies
// only what to do with the bytes read (OnData / OnReadEnd / OnDrained).
#pragma once

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/peer_address.h"
#include "common/stats.h"
#include "common/status.h"
#include "common/tcp_acceptor.h"

namespace hourglass::common {

// What the server knows of a connection, whatever its protocol and stream.
class TcpConnection {
 public:
  virtual ~TcpConnection() = default;
  virtual void Start() = 0;
  // Reads what is already there, hands it over, then closes.
  virtual void Shutdown() = 0;
};

struct TcpServerOptions {
  std::string name;               // "carbon": metric prefix, log prefix, <name>.max_connections
  std::string what;               // "carbon plaintext": named in the open/bytes metric help
  size_t max_connections = 1024;  // more are accepted and closed at once
  std::chrono::seconds idle_timeout{3600};
  size_t read_buffer_bytes = 64 * 1024;
};

// The TCP part of a server's options (its max_connections, idle_timeout_s
// and read_buffer_bytes).
template <typename ServerOptions>
TcpServerOptions TcpOptionsOf(std::string name, std::string what, const ServerOptions& options) {
  return {.name = std::move(name),
          .what = std::move(what),
          .max_connections = options.max_connections,
          .idle_timeout = std::chrono::seconds(options.idle_timeout_s),
          .read_buffer_bytes = options.read_buffer_bytes};
}

class TcpServer {
 public:
  using Socket = boost::asio::ip::tcp::socket;
  // Makes the connection for an accepted socket (called under the server's lock).
  using Factory = std::function<std::shared_ptr<TcpConnection>(Socket socket, uint64_t id)>;
  // Called (unlocked) when connections are still open after 10 s of Stop, with
  // their count; returns true to wait up to 5 s more before stopping anyway.
  using OnStall = std::function<bool(size_t busy)>;

  // `stats` and `clock` must outlive the server.
  TcpServer(TcpServerOptions options, StatsRegistry& stats, const Clock& clock);
  ~TcpServer();  // Stop()
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  // Binds `listen` ("0.0.0.0:2003"); accepted sockets become `factory`'s
  // connections once Run is called. Fails with "cannot listen for <log_name>
  // on tcp <listen>: ...". Call before Run.
  Status Listen(const std::string& listen, const std::string& log_name, Factory factory);
  // Starts accepting on every listener and `threads` (at least 1) io threads.
  void Run(size_t threads);
  // The i-th listener's bound address ("127.0.0.1:40123").
  const std::string& bound_address(size_t i = 0) const;

  // Stops accepting, drains and closes every connection (waiting up to 10 s,
  // then `on_stall`), and joins the io threads. Idempotent.
  void Stop(const OnStall& on_stall);

  // For sessions.
  void Unregister(uint64_t id);
  const TcpServerOptions& options() const { return options_; }
  Counter& idle_timeouts() { return idle_; }
  Counter& bytes_received() { return bytes_; }

 private:
  bool Admit(const Factory& factory, Socket& socket);

  const TcpServerOptions options_;
  StatsRegistry& stats_;
  const Clock& clock_;
  Gauge& open_;
  Counter& accepted_;
  Counter& idle_;
  Counter& bytes_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, std::weak_ptr<TcpConnection>> sessions_;  // under mu_
  uint64_t next_id_ = 0;                                       // under mu_
  bool stopping_ = false;                                      // under mu_

  // Declared last: destroyed first, while the members above still exist.
  boost::asio::io_context ioc_;
  std::vector<std::pair<std::unique_ptr<TcpAcceptor>, Factory>> listeners_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
};

// One connection's read loop, on its own strand. Stream is a tcp::socket or a
// stream over one (TLS). Derived provides:
//   void OnData(std::string_view bytes);   // each read's bytes (counted already)
//   void OnReadEnd(error_code ec, bool last);  // after each read: hand over what
//       was read, then ReadNext(), or Close() when `last`
//   void OnDrained();  // Stop(), plain stream: nothing more to read; hand over, Close()
// and may override OnStart() (default ReadNext(); TLS: handshake first).
template <typename Derived, typename Stream>
class TcpSession : public TcpConnection, public std::enable_shared_from_this<Derived> {
 public:
  using error_code = boost::system::error_code;
  using Socket = boost::asio::ip::tcp::socket;
  // Not a bare socket (TLS): the stream may hold bytes the kernel no longer shows.
  static constexpr bool kLayered = !std::is_same_v<Stream, Socket>;
  // While stopping, a layered read that brings nothing for this long means
  // the stream is drained.
  static constexpr auto kDrainPoll = std::chrono::milliseconds(50);

  TcpSession(TcpServer& server, Stream stream, uint64_t id)
      : server_(server),
        stream_(std::move(stream)),
        idle_(stream_.get_executor()),
        id_(id),
        peer_(PeerAddress(Sock())),
        buffer_(std::max<size_t>(server.options().read_buffer_bytes, 512)) {}
  ~TcpSession() override { server_.Unregister(id_); }

  void Start() override {
    boost::asio::dispatch(stream_.get_executor(),
                          [self = this->shared_from_this()] { self->OnStart(); });
  }

  void Shutdown() override {
    boost::asio::post(stream_.get_executor(), [this, self = this->shared_from_this()] {
      draining_ = true;
      error_code ec;
      Sock().cancel(ec);
      idle_.cancel();
    });
  }

 protected:
  void OnStart() { ReadNext(); }

  Socket& Sock() {
    if constexpr (kLayered) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  // Cancels the pending operation (handshake or read) once `after` has passed.
  void ArmTimer(std::chrono::steady_clock::duration after) {
    idle_.expires_after(after);
    idle_.async_wait([this, self = this->shared_from_this()](error_code ec) {
      if (ec) return;  // re-armed or cancelled
      if (draining_) {
        drained_ = true;
      } else {
        timed_out_ = true;
        server_.idle_timeouts().Add();
      }
      Sock().cancel(ec);
    });
  }
  void ArmIdleTimer() { ArmTimer(server_.options().idle_timeout); }

  void ReadNext() {
    if (!draining_) {
      ArmIdleTimer();
    } else if constexpr (kLayered) {
      ArmTimer(kDrainPoll);
    } else {
      error_code ec;
      if (Sock().available(ec) == 0 || ec) return self().OnDrained();
    }
    stream_.async_read_some(
        boost::asio::buffer(buffer_),
        [self = this->shared_from_this()](error_code ec, size_t n) { self->OnRead(ec, n); });
  }

  // Closes the TCP connection (TLS: without a close_notify; the peer sees the
  // stream end either way).
  void Close() {
    error_code ec;
    Sock().shutdown(Socket::shutdown_both, ec);
    Sock().close(ec);
    idle_.cancel();
  }

  TcpServer& server_;
  Stream stream_;
  boost::asio::steady_timer idle_;
  const uint64_t id_;
  const std::string peer_;
  bool draining_ = false;   // Stop(): read only what is already there
  bool timed_out_ = false;  // idle (or a handshake) past the idle timeout
  bool drained_ = false;    // Stop(), layered: a read found nothing within kDrainPoll

 private:
  Derived& self() { return static_cast<Derived&>(*this); }

  void OnRead(error_code ec, size_t n) {
    idle_.cancel();
    if (n > 0) {
      server_.bytes_received().Add(n);
      self().OnData(std::string_view(buffer_.data(), n));
    }
    if (!ec) drained_ = false;  // the poll fired as data came: keep draining
    const bool stop_requested =
        ec == boost::asio::error::operation_aborted && draining_ && !timed_out_ && !drained_;
    self().OnReadEnd(ec, (ec && !stop_requested) || timed_out_);
  }

  std::vector<char> buffer_;
};

}  // namespace hourglass::common
