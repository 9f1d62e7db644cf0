#include "common/datagram_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/listen_address.h"

namespace hourglass::common {
namespace {

constexpr size_t kMaxBatch = 64;               // datagrams per recvmmsg call
constexpr size_t kBatchBufferBytes = 4 << 20;  // fewer per call when they may be large

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family() const { return storage.ss_family; }
};

Result<SocketAddress> ToSocketAddress(const ListenAddress& address) {
  SocketAddress out;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
  if (inet_pton(AF_INET, address.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(address.port);
    out.length = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, address.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(address.port);
    out.length = sizeof(sockaddr_in6);
  } else {
    return Status::Error("not a numeric address: " + address.host);
  }
  return out;
}

uint16_t PortOf(int fd) {
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0) return 0;
  if (bound.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

// Opens and binds one UDP socket. `reuse_port` lets the receive threads share
// the address; the first bind is made without it, so a port that another
// process already holds is reported instead of silently shared.
Result<UniqueFd> BindUdp(const SocketAddress& address, bool reuse_port, size_t buffer_bytes) {
  UniqueFd fd(socket(address.family(), SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return Status::Error(std::strerror(errno));
  const int one = 1;
  const int zero = 0;
  if (reuse_port) setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (address.family() == AF_INET6) {
    setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
  }
  const int buffer = static_cast<int>(std::min<size_t>(buffer_bytes, INT32_MAX / 2));
  if (setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof(buffer)) != 0) {
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
  }
  if (bind(fd.get(), reinterpret_cast<const sockaddr*>(&address.storage), address.length) != 0) {
    return Status::Error(std::strerror(errno));
  }
  return fd;
}

size_t ReceiveBufferOf(int fd) {
  int value = 0;
  socklen_t length = sizeof(value);
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &value, &length);
  return static_cast<size_t>(value) / 2;  // Linux reports twice what it grants for data
}

}  // namespace

std::string FormatSender(const sockaddr_storage& from) {
  char text[INET6_ADDRSTRLEN] = {};
  if (from.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(from);
    inet_ntop(AF_INET, &v4.sin_addr, text, sizeof(text));
    return FormatAddress(text, ntohs(v4.sin_port));
  }
  if (from.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(from);
    if (IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr)) {
      inet_ntop(AF_INET, &v6.sin6_addr.s6_addr[12], text, sizeof(text));
    } else {
      inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof(text));
    }
    return FormatAddress(text, ntohs(v6.sin6_port));
  }
  return "";
}

Result<UdpGroup> BindUdpGroup(std::string_view listen_text, size_t count, size_t buffer_bytes) {
  auto listen = ParseListenAddress(listen_text);
  if (!listen) return listen.status();
  auto address = ToSocketAddress(*listen);
  if (!address) return address.status();
  // Probe: an exclusive bind tells "port in use" apart and picks port 0.
  {
    auto probe = BindUdp(*address, false, 0);
    if (!probe) return probe.status();
    listen->port = PortOf(probe->get());
  }
  address = ToSocketAddress(*listen);
  UdpGroup group;
  for (size_t i = 0; i < std::max<size_t>(count, 1); ++i) {
    auto fd = BindUdp(*address, true, buffer_bytes);
    if (!fd) return fd.status();
    group.sockets.push_back(std::move(*fd));
  }
  group.buffer_bytes = ReceiveBufferOf(group.sockets.front().get());
  group.address = FormatAddress(listen->host, listen->port);
  return group;
}

DatagramReceiver::DatagramReceiver(std::vector<UniqueFd> sockets, size_t max_datagram,
                                   Handler handler, Counter& receive_errors)
    : sockets_(std::move(sockets)),
      max_datagram_(std::max<size_t>(max_datagram, 1)),
      handler_(std::move(handler)),
      receive_errors_(receive_errors) {}

DatagramReceiver::~DatagramReceiver() { Stop(); }

Result<std::unique_ptr<DatagramReceiver>> DatagramReceiver::Start(std::vector<UniqueFd> sockets,
                                                                  size_t max_datagram,
                                                                  Handler handler,
                                                                  Counter& receive_errors) {
  std::unique_ptr<DatagramReceiver> receiver(
      new DatagramReceiver(std::move(sockets), max_datagram, std::move(handler), receive_errors));
  receiver->stop_event_ = UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!receiver->stop_event_.valid()) return Status::Error(std::strerror(errno));
  for (size_t i = 0; i < receiver->sockets_.size(); ++i) {
    receiver->threads_.emplace_back([r = receiver.get(), i] { r->Run(i); });
  }
  return receiver;
}

void DatagramReceiver::Stop() {
  if (threads_.empty()) return;
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(stop_event_.get(), &one, sizeof(one));
  for (auto& thread : threads_) thread.join();
  threads_.clear();
  sockets_.clear();
}

void DatagramReceiver::Run(size_t index) {
  const int fd = sockets_[index].get();
  const size_t batch = std::clamp<size_t>(kBatchBufferBytes / max_datagram_, 1, kMaxBatch);
  std::vector<char> buffers(batch * max_datagram_);
  std::vector<mmsghdr> messages(batch);
  std::vector<iovec> iovecs(batch);
  std::vector<sockaddr_storage> senders(batch);
  std::vector<Datagram> datagrams;
  pollfd fds[2] = {{fd, POLLIN, 0}, {stop_event_.get(), POLLIN, 0}};
  bool stopping = false;
  while (!stopping) {
    if (poll(fds, 2, -1) < 0 && errno != EINTR) receive_errors_.Add();
    stopping = (fds[1].revents & POLLIN) != 0;
    // Drain what the socket holds (all of it once stopping: nothing read is lost).
    for (;;) {
      for (size_t i = 0; i < batch; ++i) {
        iovecs[i] = {buffers.data() + i * max_datagram_, max_datagram_};
        messages[i] = {};
        messages[i].msg_hdr.msg_iov = &iovecs[i];
        messages[i].msg_hdr.msg_iovlen = 1;
        messages[i].msg_hdr.msg_name = &senders[i];
        messages[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      }
      const int n = recvmmsg(fd, messages.data(), batch, MSG_DONTWAIT, nullptr);
      if (n <= 0) {
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          receive_errors_.Add();
        }
        break;
      }
      datagrams.clear();
      for (int i = 0; i < n; ++i) {
        const msghdr& header = messages[i].msg_hdr;
        if (header.msg_namelen == 0) senders[i].ss_family = AF_UNSPEC;  // unnamed unix sender
        datagrams.push_back(Datagram{
            .data = std::string_view(buffers.data() + i * max_datagram_, messages[i].msg_len),
            .truncated = (header.msg_flags & MSG_TRUNC) != 0,
            .from = &senders[i]});
      }
      handler_(index, datagrams);
    }
  }
}

}  // namespace hourglass::common
