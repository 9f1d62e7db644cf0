// TcpAcceptor: one listening TCP socket shared by the syslog, carbon and HTTP
// servers. It binds a ListenAddress, accepts on its own strand (each new
// socket gets a strand of its own), backs off on accept errors (EMFILE,
// ENFILE, ENOBUFS...: counted, logged with a rate limit, never a spin) and
// asks the server whether to take each connection (the connection cap).
// Open/Start/Close from any thread; the handler runs on the acceptor's strand.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/listen_address.h"
#include "common/rate_limited_log.h"
#include "common/stats.h"
#include "common/status.h"

namespace hourglass::common {

struct TcpAcceptorOptions {
  std::string log_name{};       // "syslog-tls": names the listener in log lines
  std::string metric_prefix{};  // "syslog": syslog.accept_errors, syslog.connections_refused
  std::string cap_key{};        // "syslog.max_connections": named when refusing
  std::string refusal{};        // written (best effort) to a refused socket before closing
  std::chrono::milliseconds min_backoff{10};    // first wait after an accept error
  std::chrono::milliseconds max_backoff{1000};  // doubling up to this while errors persist
};

class TcpAcceptor {
 public:
  using Socket = boost::asio::ip::tcp::socket;
  // Takes a connected socket (moving it away) and returns true, or returns
  // false to refuse it (the connection cap is reached, or the server is
  // stopping): the acceptor then counts, logs, writes `refusal` and closes.
  using Handler = std::function<bool(Socket& socket)>;

  // Opens, binds (IPv6 also takes IPv4) and listens; one clear line on failure.
  // `stats` and `clock` must outlive the acceptor.
  static Result<std::unique_ptr<TcpAcceptor>> Open(boost::asio::io_context& ioc,
                                                   const ListenAddress& address,
                                                   TcpAcceptorOptions options, StatsRegistry& stats,
                                                   const Clock& clock);
  // Destroy only once the io_context no longer runs (its threads joined).
  ~TcpAcceptor() = default;
  TcpAcceptor(const TcpAcceptor&) = delete;
  TcpAcceptor& operator=(const TcpAcceptor&) = delete;

  // "127.0.0.1:40123" / "[::]:5140": the address bound (the real port for 0).
  const std::string& bound_address() const { return bound_address_; }

  // Starts the accept loop; call once.
  void Start(Handler handler);
  // Stops accepting (pending back-off included). Idempotent, any thread.
  void Close();

 private:
  TcpAcceptor(boost::asio::io_context& ioc, TcpAcceptorOptions options, StatsRegistry& stats,
              const Clock& clock);
  Status Listen(const ListenAddress& address);
  void Accept();
  void OnAccept(const boost::system::error_code& ec, Socket socket);
  void BackOff(const boost::system::error_code& ec);
  void Refuse(Socket& socket);

  boost::asio::io_context& ioc_;
  const TcpAcceptorOptions options_;
  const Clock& clock_;
  Counter& accept_errors_;
  Counter& refused_;
  RateLimitedLog error_log_, refused_log_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_;
  std::chrono::milliseconds backoff_{0};  // 0: the last accept succeeded
  bool closed_ = false;                   // on the strand
  Handler handler_;
  std::string bound_address_;
};

}  // namespace hourglass::common
