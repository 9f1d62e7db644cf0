#include "ingest/syslog/syslog_datagram.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "common/rate_limited_log.h"
#include "ingest/syslog/syslog_parser.h"

namespace hourglass::ingest {

// What the receive threads and the writer's callbacks share: counters and the
// bytes handed to the writer and not yet written.
struct SyslogDatagramReceiver::Shared : std::enable_shared_from_this<Shared> {
  Shared(const SyslogDatagramOptions& options, archive::AuditWriter& writer,
         common::StatsRegistry& s, const common::Clock& clock)
      : writer(writer),
        clock(clock),
        max_pending_bytes(options.max_pending_bytes),
        received(s.GetCounter("syslog.datagrams_received",
                              "syslog datagrams received (UDP and the Unix socket)")),
        truncated(s.GetCounter("syslog.datagrams_truncated",
                               "syslog datagrams cut at syslog.max_message_size")),
        dropped(s.GetCounter("syslog.datagrams_dropped",
                             "syslog datagrams dropped: the audit writer was behind by more than "
                             "syslog.datagram_backlog, or gave up on them")),
        unparsed(s.GetCounter("syslog.messages_unparsed",
                              "syslog messages kept as unparsed (no PRI, bad RFC 5424 header)")),
        receive_errors(s.GetCounter("syslog.datagram_receive_errors",
                                    "recvmmsg calls on syslog datagram sockets that failed")) {}

  // Parses one batch read from a socket and hands it to the writer, or drops
  // it (counted) when the writer is too far behind. `peer` overrides the
  // sender's address (the Unix socket).
  void Deliver(std::span<const common::Datagram> datagrams, const std::string* peer);
  // Waits up to `timeout` for the writer to take every batch handed over.
  bool WaitIdle(std::chrono::milliseconds timeout);

  archive::AuditWriter& writer;
  const common::Clock& clock;
  const size_t max_pending_bytes;
  common::Counter& received;
  common::Counter& truncated;
  common::Counter& dropped;
  common::Counter& unparsed;
  common::Counter& receive_errors;
  common::RateLimitedLog truncated_log, dropped_log;

  // The host of a local socket's messages that name none, as imuxsock does.
  const std::string local_host = LocalHostName();

  std::mutex mu;
  std::condition_variable idle;
  size_t pending_bytes = 0;  // guarded by mu

  static std::string LocalHostName() {
    char name[256] = {};
    return gethostname(name, sizeof(name) - 1) == 0 ? std::string(name) : std::string();
  }
};

namespace {

// One datagram is one message; a trailing LF or NUL (Python's handler, logger)
// is not part of it, as rsyslog's imudp/imuxsock see it.
std::string_view StripTrailer(std::string_view data) {
  while (!data.empty() && (data.back() == '\n' || data.back() == '\0')) data.remove_suffix(1);
  return data;
}

// Binds a Unix datagram socket at `path` with `mode`. A socket file left by
// a previous run is replaced unless a process still reads it; any other file
// there is an error.
common::Result<common::UniqueFd> BindUnix(const std::string& path, mode_t mode, size_t buffer_bytes,
                                          ino_t& inode) {
  sockaddr_un address{};
  if (path.size() >= sizeof(address.sun_path)) {
    return common::Status::Error("path longer than " +
                                 std::to_string(sizeof(address.sun_path) - 1) + " bytes");
  }
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  const std::string dir = path.find('/') == std::string::npos
                              ? std::string(".")
                              : path.substr(0, std::max<size_t>(path.rfind('/'), 1));
  struct stat info {};
  if (stat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return common::Status::Error("directory " + dir + " does not exist");
  }
  common::UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return common::Status::Error(std::strerror(errno));
  const auto* name = reinterpret_cast<const sockaddr*>(&address);
  if (lstat(path.c_str(), &info) == 0) {
    if (!S_ISSOCK(info.st_mode)) return common::Status::Error("exists and is not a socket");
    if (connect(fd.get(), name, sizeof(address)) == 0) {
      return common::Status::Error("another process is reading this socket");
    }
    if (unlink(path.c_str()) != 0) {
      return common::Status::Error(std::string("cannot remove the stale socket: ") +
                                   std::strerror(errno));
    }
    fd = common::UniqueFd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd.valid()) return common::Status::Error(std::strerror(errno));
  }
  const int buffer = static_cast<int>(std::min<size_t>(buffer_bytes, INT32_MAX / 2));
  if (setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof(buffer)) != 0) {
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
  }
  if (bind(fd.get(), name, sizeof(address)) != 0)
    return common::Status::Error(std::strerror(errno));
  if (chmod(path.c_str(), mode) != 0 || lstat(path.c_str(), &info) != 0) {
    const std::string reason = std::strerror(errno);
    unlink(path.c_str());
    return common::Status::Error(reason);
  }
  inode = info.st_ino;
  return fd;
}

}  // namespace

void SyslogDatagramReceiver::Shared::Deliver(std::span<const common::Datagram> datagrams,
                                             const std::string* peer) {
  const int64_t now = clock.NowMicros();
  received.Add(datagrams.size());
  size_t bytes = 0;
  uint64_t cut = 0;
  for (const common::Datagram& datagram : datagrams) {
    bytes += datagram.data.size();
    cut += datagram.truncated;
  }
  if (cut != 0) {
    truncated.Add(cut);
    if (const uint64_t n = truncated_log.Take(now / 1'000'000, cut)) {
      spdlog::warn("syslog: {} datagram(s) longer than syslog.max_message_size truncated", n);
    }
  }
  {
    std::lock_guard lock(mu);
    // One batch is always let through when nothing is pending.
    if (pending_bytes != 0 && pending_bytes + bytes > max_pending_bytes) {
      dropped.Add(datagrams.size());
      if (const uint64_t n = dropped_log.Take(now / 1'000'000, datagrams.size())) {
        spdlog::warn(
            "syslog: {} datagram(s) dropped: the audit writer is behind by more than "
            "syslog.datagram_backlog",
            n);
      }
      return;
    }
    pending_bytes += bytes;
  }
  std::vector<archive::AuditEntry> entries;
  entries.reserve(datagrams.size());
  uint64_t bad = 0;
  std::string sender;
  for (const common::Datagram& datagram : datagrams) {
    if (peer == nullptr) sender = common::FormatSender(*datagram.from);
    const std::string_view from = peer != nullptr ? std::string_view(*peer) : sender;
    archive::AuditRecord record = ParseSyslog(StripTrailer(datagram.data),
                                              SyslogOrigin{.received_micros = now, .peer = from});
    // A local socket's sender is this host (imuxsock writes the local name).
    if (record.host.empty() && peer != nullptr) record.host = local_host;
    record.truncated = datagram.truncated;
    bad += record.format == archive::SyslogFormat::kUnparsed;
    archive::AuditEntry& entry = entries.emplace_back();
    entry.received_micros = now;
    archive::AppendAuditLine(writer.format(), record, entry.line);
  }
  unparsed.Add(bad);
  const size_t count = datagrams.size();
  writer.Submit(std::move(entries),
                [self = shared_from_this(), bytes, count](const common::Status& status) {
                  if (!status.ok()) self->dropped.Add(count);
                  std::lock_guard lock(self->mu);
                  self->pending_bytes -= bytes;
                  if (self->pending_bytes == 0) self->idle.notify_all();
                });
}

bool SyslogDatagramReceiver::Shared::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu);
  return idle.wait_for(lock, timeout, [this] { return pending_bytes == 0; });
}

SyslogDatagramReceiver::~SyslogDatagramReceiver() { Stop(); }

common::Result<std::unique_ptr<SyslogDatagramReceiver>> SyslogDatagramReceiver::Start(
    const SyslogDatagramOptions& options, archive::AuditWriter& writer,
    common::StatsRegistry& stats, const common::Clock& clock) {
  std::unique_ptr<SyslogDatagramReceiver> receiver(new SyslogDatagramReceiver());
  auto shared = std::make_shared<Shared>(options, writer, stats, clock);
  receiver->shared_ = shared;
  if (!options.udp_listen.empty()) {
    const auto fail = [&](const common::Status& status) {
      return common::Status::Error("cannot listen for syslog on udp " + options.udp_listen + ": " +
                                   status.message());
    };
    const size_t threads = options.udp_threads != 0
                               ? options.udp_threads
                               : std::max(1u, std::thread::hardware_concurrency());
    auto group = common::BindUdpGroup(options.udp_listen, threads, options.socket_buffer_bytes);
    if (!group) return fail(group.status());
    receiver->udp_address_ = group->address;
    auto started = common::DatagramReceiver::Start(
        std::move(group->sockets), options.max_message_size,
        [shared](size_t, std::span<const common::Datagram> batch) {
          shared->Deliver(batch, nullptr);
        },
        shared->receive_errors);
    if (!started) return fail(started.status());
    receiver->udp_ = std::move(*started);
  }
  if (!options.unix_socket.empty()) {
    const auto fail = [&](const common::Status& status) {
      return common::Status::Error("cannot listen for syslog on unix socket " +
                                   options.unix_socket + ": " + status.message());
    };
    auto fd = BindUnix(options.unix_socket, options.unix_socket_mode, options.socket_buffer_bytes,
                       receiver->unix_inode_);
    if (!fd) return fail(fd.status());
    receiver->unix_socket_ = options.unix_socket;  // from here on Stop() removes it
    std::vector<common::UniqueFd> sockets;
    sockets.push_back(std::move(*fd));
    auto started = common::DatagramReceiver::Start(
        std::move(sockets), options.max_message_size,
        [shared, peer = "unix:" + options.unix_socket](
            size_t, std::span<const common::Datagram> batch) { shared->Deliver(batch, &peer); },
        shared->receive_errors);
    if (!started) return fail(started.status());
    receiver->unix_ = std::move(*started);
  }
  return receiver;
}

void SyslogDatagramReceiver::Stop() {
  if (udp_) udp_->Stop();
  if (unix_) unix_->Stop();
  if (!unix_socket_.empty()) {
    struct stat info {};
    if (lstat(unix_socket_.c_str(), &info) == 0 && info.st_ino == unix_inode_) {
      unlink(unix_socket_.c_str());
    }
    unix_socket_.clear();
  }
  if (shared_ && !shared_->WaitIdle(std::chrono::seconds(10))) {
    spdlog::warn("syslog: the audit writer did not take the last datagrams within 10 s");
  }
}

}  // namespace hourglass::ingest
