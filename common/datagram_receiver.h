// DatagramReceiver: datagram sockets (UDP or Unix), each read by a thread of
// its own in recvmmsg batches and handed to a callback on that thread; and
// BindUdpGroup, the SO_REUSEPORT sockets that spread one UDP address over
// several threads. Shared by the statsd and syslog datagram receivers.
// Start/Stop from one (control) thread; the receiver owns its threads.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/stats.h"
#include "common/status.h"
#include "common/unique_fd.h"

namespace hourglass::common {

struct Datagram {
  std::string_view data;                   // at most max_datagram bytes
  bool truncated = false;                  // the sender's datagram was longer (MSG_TRUNC)
  const sockaddr_storage* from = nullptr;  // the sender; AF_UNIX senders may be unnamed
};

// "1.2.3.4:5678" / "[::1]:5678" (IPv4-mapped IPv6 shown as IPv4); "" for
// anything else.
std::string FormatSender(const sockaddr_storage& from);

struct UdpGroup {
  std::vector<UniqueFd> sockets;  // non-blocking, bound to the same address
  std::string address;            // "127.0.0.1:40123": the address actually bound
  size_t buffer_bytes = 0;        // receive buffer the kernel granted per socket
};

// Binds `count` UDP sockets to `listen` ("host:port", port 0: one free port
// for all). A port another process holds is reported, never shared. Fails
// with the reason only; callers name the address.
Result<UdpGroup> BindUdpGroup(std::string_view listen, size_t count, size_t buffer_bytes);

class DatagramReceiver {
 public:
  // Called on socket `index`'s thread with each batch read from it. The views
  // are valid until it returns.
  using Handler = std::function<void(size_t index, std::span<const Datagram> batch)>;

  // One thread per socket (non-blocking sockets). Datagrams longer than
  // `max_datagram` are cut to it and flagged truncated.
  static Result<std::unique_ptr<DatagramReceiver>> Start(std::vector<UniqueFd> sockets,
                                                         size_t max_datagram, Handler handler,
                                                         Counter& receive_errors);
  ~DatagramReceiver();  // Stop()
  DatagramReceiver(const DatagramReceiver&) = delete;
  DatagramReceiver& operator=(const DatagramReceiver&) = delete;

  // Reads what the sockets hold, hands it over, then joins the threads and
  // closes the sockets: once it returns the handler is not called again.
  // Idempotent.
  void Stop();

 private:
  DatagramReceiver(std::vector<UniqueFd> sockets, size_t max_datagram, Handler handler,
                   Counter& receive_errors);
  void Run(size_t index);

  std::vector<UniqueFd> sockets_;
  const size_t max_datagram_;
  const Handler handler_;
  Counter& receive_errors_;
  UniqueFd stop_event_;  // eventfd, readable once Stop() is called
  std::vector<std::thread> threads_;
};

}  // namespace hourglass::common
