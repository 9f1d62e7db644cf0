// DESIGN: one async_accept is outstanding at a time, on the acceptor's
// strand. An accept error leaves the pending connection in the kernel's
// backlog, so accepting again at once would fail again at once (the spin
// of issue 9): instead the loop waits on a steady_timer, 10 ms doubling to
// 1 s while errors persist, and starts over at once after a success. Every
// error is counted (<prefix>.accept_errors) and logged at most once per 10 s.
#include "common/tcp_acceptor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "common/peer_address.h"

namespace hourglass::common {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

TcpAcceptor::TcpAcceptor(asio::io_context& ioc, TcpAcceptorOptions options, StatsRegistry& stats,
                         const Clock& clock)
    : ioc_(ioc),
      options_(std::move(options)),
      clock_(clock),
      accept_errors_(stats.GetCounter(
          options_.metric_prefix + ".accept_errors",
          options_.metric_prefix +
              " TCP accepts that failed (EMFILE, ENFILE, ENOBUFS...); accepting backs off")),
      refused_(stats.GetCounter(options_.metric_prefix + ".connections_refused",
                                options_.metric_prefix + " connections closed at once: " +
                                    options_.cap_key + " reached")),
      strand_(asio::make_strand(ioc)),
      acceptor_(strand_),
      retry_(strand_) {}

Result<std::unique_ptr<TcpAcceptor>> TcpAcceptor::Open(asio::io_context& ioc,
                                                       const ListenAddress& address,
                                                       TcpAcceptorOptions options,
                                                       StatsRegistry& stats, const Clock& clock) {
  std::unique_ptr<TcpAcceptor> acceptor(new TcpAcceptor(ioc, std::move(options), stats, clock));
  if (Status status = acceptor->Listen(address); !status.ok()) return status;
  return acceptor;
}

Status TcpAcceptor::Listen(const ListenAddress& listen) {
  error_code ec;
  const asio::ip::address address = asio::ip::make_address(listen.host, ec);
  if (ec) return Status::Error("not a numeric address: " + listen.host);
  const tcp::endpoint endpoint(address, listen.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec && address.is_v6()) acceptor_.set_option(asio::ip::v6_only(false), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::Error(ec.message());
  const tcp::endpoint bound = acceptor_.local_endpoint(ec);
  if (ec) return Status::Error(ec.message());
  bound_address_ = FormatAddress(bound.address().to_string(), bound.port());
  return Status::Ok();
}

void TcpAcceptor::Start(Handler handler) {
  handler_ = std::move(handler);
  asio::post(strand_, [this] { Accept(); });
}

void TcpAcceptor::Close() {
  asio::post(strand_, [this] {
    closed_ = true;
    error_code ec;
    acceptor_.close(ec);
    retry_.cancel();
  });
}

void TcpAcceptor::Accept() {
  if (closed_) return;
  acceptor_.async_accept(asio::make_strand(ioc_), [this](error_code ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void TcpAcceptor::OnAccept(const error_code& ec, tcp::socket socket) {
  if (closed_ || ec == asio::error::operation_aborted) return;
  if (ec) return BackOff(ec);
  backoff_ = std::chrono::milliseconds(0);
  if (!handler_(socket)) Refuse(socket);
  Accept();
}

void TcpAcceptor::BackOff(const error_code& ec) {
  accept_errors_.Add();
  backoff_ =
      backoff_.count() == 0 ? options_.min_backoff : std::min(backoff_ * 2, options_.max_backoff);
  if (const uint64_t n = error_log_.Take(clock_.NowSeconds())) {
    spdlog::error("{}: accept failed: {}; {} since the last report; retrying in {} ms",
                  options_.log_name, ec.message(), n, backoff_.count());
  }
  retry_.expires_after(backoff_);
  retry_.async_wait([this](error_code wait_ec) {
    if (!wait_ec) Accept();
  });
}

void TcpAcceptor::Refuse(tcp::socket& socket) {
  refused_.Add();
  if (const uint64_t n = refused_log_.Take(clock_.NowSeconds())) {
    spdlog::warn("{}: refused connection from {}: {} reached; {} refused since the last report",
                 options_.log_name, PeerAddress(socket), options_.cap_key, n);
  }
  error_code ec;
  if (!options_.refusal.empty()) {
    socket.non_blocking(true, ec);
    socket.write_some(asio::buffer(options_.refusal), ec);
  }
  socket.close(ec);
}

}  // namespace hourglass::common
