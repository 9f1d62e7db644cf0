#include "ingest/statsd/statsd_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "common/listen_address.h"
#include "ingest/statsd/statsd_parser.h"

namespace hourglass::ingest {
namespace {

constexpr size_t kBatch = 64;               // datagrams per recvmmsg call
constexpr size_t kMaxDatagram = 64 * 1024;  // the largest UDP payload, and a bit

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family() const { return storage.ss_family; }
};

common::Result<SocketAddress> ToSocketAddress(const common::ListenAddress& address) {
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
    return common::Status::Error("not a numeric address: " + address.host);
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
common::Result<common::UniqueFd> BindUdp(const SocketAddress& address, bool reuse_port,
                                         size_t buffer_bytes) {
  common::UniqueFd fd(socket(address.family(), SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return common::Status::Error(std::strerror(errno));
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
    return common::Status::Error(std::strerror(errno));
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

struct StatsdReceiver::Counters {
  explicit Counters(common::StatsRegistry& stats)
      : receive_errors(stats.GetCounter("statsd.receive_errors",
                                        "recvmmsg calls that failed (other than no data)")) {}
  common::Counter& receive_errors;
};

StatsdReceiver::StatsdReceiver(aggregator::Aggregator& aggregator, common::StatsRegistry& stats)
    : aggregator_(aggregator), counters_(std::make_unique<Counters>(stats)) {}

StatsdReceiver::~StatsdReceiver() { Stop(); }

common::Result<std::unique_ptr<StatsdReceiver>> StatsdReceiver::Start(
    const StatsdReceiverOptions& options, aggregator::Aggregator& aggregator,
    common::StatsRegistry& stats) {
  const auto fail = [&](const std::string& reason) {
    return common::Status::Error("cannot listen for statsd on udp " + options.listen + ": " +
                                 reason);
  };
  auto listen = common::ParseListenAddress(options.listen);
  if (!listen) return fail(listen.status().message());
  auto address = ToSocketAddress(*listen);
  if (!address) return fail(address.status().message());

  // Probe: an exclusive bind tells "port in use" apart and picks port 0.
  uint16_t port = listen->port;
  {
    auto probe = BindUdp(*address, false, 0);
    if (!probe) return fail(probe.status().message());
    port = PortOf(probe->get());
  }
  listen->port = port;
  address = ToSocketAddress(*listen);

  std::unique_ptr<StatsdReceiver> receiver(new StatsdReceiver(aggregator, stats));
  for (size_t i = 0; i < aggregator.shard_count(); ++i) {
    auto fd = BindUdp(*address, true, options.socket_buffer_bytes);
    if (!fd) return fail(fd.status().message());
    receiver->sockets_.push_back(std::move(*fd));
  }
  receiver->socket_buffer_bytes_ = ReceiveBufferOf(receiver->sockets_.front().get());
  receiver->bound_address_ = common::FormatAddress(listen->host, port);
  receiver->stop_event_ = common::UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!receiver->stop_event_.valid()) return fail(std::strerror(errno));
  for (size_t i = 0; i < receiver->sockets_.size(); ++i) {
    receiver->threads_.emplace_back([r = receiver.get(), i] { r->Run(i); });
  }
  return receiver;
}

void StatsdReceiver::Stop() {
  if (threads_.empty()) return;
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(stop_event_.get(), &one, sizeof(one));
  for (auto& thread : threads_) thread.join();
  threads_.clear();
  sockets_.clear();
}

void StatsdReceiver::Run(size_t index) {
  const int fd = sockets_[index].get();
  aggregator::Shard& shard = aggregator_.shard(index);
  std::vector<char> buffers(kBatch * kMaxDatagram);
  mmsghdr messages[kBatch];
  iovec iovecs[kBatch];
  std::string scratch;
  pollfd fds[2] = {{fd, POLLIN, 0}, {stop_event_.get(), POLLIN, 0}};
  bool stopping = false;
  while (!stopping) {
    if (poll(fds, 2, -1) < 0 && errno != EINTR) counters_->receive_errors.Add();
    stopping = (fds[1].revents & POLLIN) != 0;
    // Drain what the socket holds (all of it once stopping: nothing read is lost).
    for (;;) {
      for (size_t i = 0; i < kBatch; ++i) {
        iovecs[i] = {buffers.data() + i * kMaxDatagram, kMaxDatagram};
        messages[i] = {};
        messages[i].msg_hdr.msg_iov = &iovecs[i];
        messages[i].msg_hdr.msg_iovlen = 1;
      }
      const int n = recvmmsg(fd, messages, kBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) {
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          counters_->receive_errors.Add();
        }
        break;
      }
      auto batch = shard.BeginBatch();
      for (int i = 0; i < n; ++i) {
        const std::string_view datagram(buffers.data() + i * kMaxDatagram, messages[i].msg_len);
        const ParseCounts counts = ParseDatagram(
            datagram, scratch, [&](const aggregator::Sample& sample) { batch.Add(sample); });
        batch.CountPacket(counts.metrics, counts.bad_lines);
      }
    }
  }
}

}  // namespace hourglass::ingest
