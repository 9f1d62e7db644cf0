#include "common/tcp_server.h"

#include "common/listen_address.h"

namespace hourglass::common {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {
constexpr auto kStopWait = std::chrono::seconds(10);
constexpr auto kStallWait = std::chrono::seconds(5);
}  // namespace

TcpServer::TcpServer(TcpServerOptions options, StatsRegistry& stats, const Clock& clock)
    : options_(std::move(options)),
      stats_(stats),
      clock_(clock),
      open_(stats.GetGauge(options_.name + ".connections_open",
                           options_.what + " TCP connections open")),
      accepted_(stats.GetCounter(options_.name + ".connections_accepted",
                                 options_.name + " TCP connections accepted")),
      idle_(stats.GetCounter(options_.name + ".idle_timeouts",
                             options_.name + " connections closed for being idle")),
      bytes_(
          stats.GetCounter(options_.name + ".bytes_received", options_.what + " bytes received")) {}

TcpServer::~TcpServer() { Stop({}); }

Status TcpServer::Listen(const std::string& listen, const std::string& log_name, Factory factory) {
  auto fail = [&](const Status& status) {
    return Status::Error("cannot listen for " + log_name + " on tcp " + listen + ": " +
                         status.message());
  };
  auto address = ParseListenAddress(listen);
  if (!address) return fail(address.status());
  // Every listener shares the <name>.* stats and <name>.max_connections.
  auto acceptor = TcpAcceptor::Open(ioc_, *address,
                                    {.log_name = log_name,
                                     .metric_prefix = options_.name,
                                     .cap_key = options_.name + ".max_connections"},
                                    stats_, clock_);
  if (!acceptor) return fail(acceptor.status());
  listeners_.emplace_back(std::move(*acceptor), std::move(factory));
  return Status::Ok();
}

void TcpServer::Run(size_t threads) {
  work_.emplace(ioc_.get_executor());
  for (auto& [acceptor, factory] : listeners_) {
    acceptor->Start([this, f = &factory](Socket& socket) { return Admit(*f, socket); });
  }
  for (size_t i = 0; i < std::max<size_t>(threads, 1); ++i) {
    threads_.emplace_back([this] { ioc_.run(); });
  }
}

const std::string& TcpServer::bound_address(size_t i) const {
  return listeners_.at(i).first->bound_address();
}

// Connections past <name>.max_connections, over all listeners, are refused.
bool TcpServer::Admit(const Factory& factory, Socket& socket) {
  std::shared_ptr<TcpConnection> session;
  {
    std::lock_guard lock(mu_);
    if (stopping_ || sessions_.size() >= options_.max_connections) return false;
    accepted_.Add();
    error_code opt_ec;
    socket.set_option(asio::socket_base::keep_alive(true), opt_ec);
    const uint64_t id = next_id_++;
    session = factory(std::move(socket), id);
    sessions_.emplace(id, session);
    open_.Set(static_cast<double>(sessions_.size()));
  }
  session->Start();
  return true;
}

void TcpServer::Unregister(uint64_t id) {
  std::lock_guard lock(mu_);
  sessions_.erase(id);
  open_.Set(static_cast<double>(sessions_.size()));
  cv_.notify_all();
}

void TcpServer::Stop(const OnStall& on_stall) {
  std::vector<std::shared_ptr<TcpConnection>> live;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [id, weak] : sessions_) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  for (auto& [acceptor, factory] : listeners_) acceptor->Close();
  for (auto& session : live) session->Shutdown();
  live.clear();
  {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, kStopWait, [&] { return sessions_.empty(); })) {
      const size_t busy = sessions_.size();
      lock.unlock();
      const bool wait_more = on_stall ? on_stall(busy) : false;
      if (!on_stall) {
        spdlog::error("{}: {} connection(s) still busy at shutdown; closing them", options_.name,
                      busy);
      }
      lock.lock();
      if (wait_more) cv_.wait_for(lock, kStallWait, [&] { return sessions_.empty(); });
    }
  }
  work_.reset();
  ioc_.stop();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

}  // namespace hourglass::common
