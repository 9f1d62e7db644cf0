#include "forward/forwarder.h"

// DESIGN: delivery. Carbon plaintext has no acknowledgement, so a point
// written to the socket may still be lost when the backend dies (in its
// receive buffer, or ours). The sender keeps, per batch written, (time, end,
// points); a batch counts as delivered (DiskQueue::Ack, the persisted cursor
// moves, whole segments are deleted) resend_window after it was written with
// the connection still up. A broken connection rewinds the queue to the last
// acked batch and sends the rest again. So every point arrives at least once;
// a resend repeats the same name, value and timestamp, which carbon backends
// keep once (whisper and go-carbon overwrite the slot; VictoriaMetrics with
// -dedup.minScrapeInterval keeps one sample).

#include <fcntl.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <iterator>

#include <fmt/format.h>

#include "common/regex.h"

namespace hourglass::forward {
namespace {

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Sent {
  int64_t at_ms;
  uint64_t end;
  uint64_t points;
};

}  // namespace

struct Forwarder::Stats {
  common::Gauge& queued_bytes;
  common::Counter& sent_points;
  common::Counter& dropped_points;
  common::Gauge& lag_seconds;
  common::Gauge& connected;
  common::Counter& reconnects;
  std::deque<Sent> unacked;  // sender thread only
};

common::Result<std::unique_ptr<const re2::RE2>> CompileForwardPattern(const std::string& pattern) {
  if (pattern.empty()) return std::unique_ptr<const re2::RE2>();
  auto compiled = common::CompileRegex(pattern, common::RegexDialect::kPython);
  if (!compiled) {
    return common::Status::Error(
        fmt::format("pattern {:?}: {}", pattern, compiled.status().message()));
  }
  return std::move(compiled).value();
}

common::Result<std::unique_ptr<Forwarder>> Forwarder::Create(const ForwarderOptions& options,
                                                             common::StatsRegistry& stats) {
  auto pattern = CompileForwardPattern(options.pattern);
  if (!pattern) {
    return common::Status::Error(
        fmt::format("forward {}: {}", options.name, pattern.status().message()));
  }
  auto queue = DiskQueue::Open(options.dir, options.queue);
  if (!queue) {
    return common::Status::Error(
        fmt::format("forward {}: {}", options.name, queue.status().message()));
  }
  const QueueCounts counts = (*queue)->Counts();
  if (counts.repaired_bytes > 0) {
    spdlog::warn("forward {}: cut {} bytes of a torn queue tail", options.name,
                 counts.repaired_bytes);
  }
  return std::unique_ptr<Forwarder>(
      new Forwarder(options, std::move(pattern).value(), std::move(queue).value(), stats));
}

Forwarder::Forwarder(ForwarderOptions options, std::unique_ptr<const re2::RE2> pattern,
                     std::unique_ptr<DiskQueue> queue, common::StatsRegistry& stats)
    : options_(std::move(options)),
      pattern_(std::move(pattern)),
      queue_(std::move(queue)),
      registry_(stats) {
  const std::string p = "forward." + options_.name + ".";
  stats_.reset(new Stats{
      stats.GetGauge(p + "queued_bytes", "bytes queued on disk, not yet sent"),
      stats.GetCounter(p + "sent_points", "points written to the backend (resends included)"),
      stats.GetCounter(p + "dropped_points", "points never sent: the queue bound, or disk errors"),
      stats.GetGauge(p + "lag_seconds", "age of the oldest unsent point in the queue"),
      stats.GetGauge(p + "connected", "1 while connected to the backend"),
      stats.GetCounter(p + "reconnects", "connections to the backend opened"),
      {}});
  UpdateGauges(SteadyMs());
  registry_.SetHealth("forward." + options_.name, common::HealthState::kOk,
                      "sending to " + options_.carbon);
}

Forwarder::~Forwarder() { Stop(); }

void Forwarder::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Forwarder::Enqueue(std::span<const store::Point> points) {
  // Records of at most about record_bytes(): a large batch is split, so that
  // the queue's bound drops its oldest points, not all of it.
  const size_t record_bytes = queue_->record_bytes();
  std::string lines;
  uint64_t count = 0;
  for (const store::Point& p : points) {
    if (pattern_ && !re2::RE2::PartialMatch(p.name, *pattern_)) continue;
    fmt::format_to(std::back_inserter(lines), "{} {} {}\n", p.name, p.value, p.timestamp);
    ++count;
    if (lines.size() >= record_bytes) {
      (void)queue_->Append(lines, count);  // a failure is counted in dropped_points
      lines.clear();
      count = 0;
    }
  }
  if (count > 0) (void)queue_->Append(lines, count);
  wake_.notify_one();
}

void Forwarder::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) {
    // A clean close: the backend reads up to our FIN. Wait (bounded) until
    // the peer has acknowledged every byte, then count all as delivered.
    shutdown(fd_, SHUT_WR);
    const int64_t deadline = SteadyMs() + 1000;
    int outq = 1;
    while (SteadyMs() < deadline && ioctl(fd_, SIOCOUTQ, &outq) == 0 && outq > 0) usleep(10'000);
    if (outq == 0) {
      for (const Sent& s : stats_->unacked) queue_->Ack(s.end, s.points);
    }
    Disconnect();
  }
  if (auto status = queue_->Close(); !status) {
    spdlog::error("forward {}: {}", options_.name, status.message());
  }
}

void Forwarder::Wait(int64_t ms) {
  std::unique_lock lock(mu_);
  wake_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; });
}

bool Forwarder::Connect() {
  const size_t colon = options_.carbon.rfind(':');
  std::string host = options_.carbon.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  const std::string port = options_.carbon.substr(colon + 1);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return false;
  for (addrinfo* a = found; a != nullptr && fd_ < 0; a = a->ai_next) {
    const int fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int error = 0;
    socklen_t len = sizeof(error);
    pollfd p{fd, POLLOUT, 0};
    const bool ok = (connect(fd, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS) &&
                    poll(&p, 1, static_cast<int>(options_.io_timeout_ms)) == 1 &&
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == 0 && error == 0;
    if (ok) {
      fd_ = fd;
    } else {
      close(fd);
    }
  }
  freeaddrinfo(found);
  return fd_ >= 0;
}

bool Forwarder::SendAll(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
    pollfd p{fd_, POLLOUT, 0};
    if (poll(&p, 1, static_cast<int>(options_.io_timeout_ms)) != 1) return false;
    if (p.revents & (POLLERR | POLLHUP)) return false;
  }
  return true;
}

// The backend closed or reset the connection (it sends nothing otherwise).
bool Forwarder::PeerClosed() const {
  char byte;
  const ssize_t n = recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

void Forwarder::Disconnect() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  stats_->connected.Set(0);
}

void Forwarder::UpdateGauges(int64_t now_ms) {
  const QueueCounts counts = queue_->Counts();
  stats_->queued_bytes.Set(static_cast<double>(counts.unsent_bytes));
  if (counts.dropped_points > dropped_seen_) {
    stats_->dropped_points.Add(counts.dropped_points - dropped_seen_);
    dropped_seen_ = counts.dropped_points;
  }
  const int64_t oldest = queue_->OldestUnsentMicros();
  const int64_t wall = common::SystemClock().NowMicros();
  stats_->lag_seconds.Set(oldest == 0 ? 0.0 : std::max<int64_t>(0, wall - oldest) / 1e6);
}

void Forwarder::Run() {
  int64_t backoff = options_.backoff_min_ms;
  int64_t next_attempt = 0, last_sync = SteadyMs(), last_gauges = 0;
  bool degraded = false;
  auto& unacked = stats_->unacked;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    const int64_t now = SteadyMs();
    if (now - last_sync >= options_.fsync_interval_ms) {
      if (options_.queue.fsync == store::WalFsync::kInterval) {
        if (auto status = queue_->Sync(); !status) {
          spdlog::warn("forward {}: {}", options_.name, status.message());
        }
      }
      last_sync = now;
    }
    while (!unacked.empty() && now - unacked.front().at_ms >= options_.resend_window_ms) {
      queue_->Ack(unacked.front().end, unacked.front().points);
      unacked.pop_front();
    }
    if (now - last_gauges >= 100) {
      UpdateGauges(now);
      last_gauges = now;
    }
    if (fd_ >= 0 && PeerClosed()) {
      Disconnect();
      unacked.clear();
      queue_->Rewind();
    }
    if (fd_ < 0) {
      if (unreachable_since_ms_ == 0) unreachable_since_ms_ = now;
      if (!degraded && now - unreachable_since_ms_ >= options_.unreachable_after_ms) {
        degraded = true;
        spdlog::warn("forward {}: backend {} unreachable; queueing on disk", options_.name,
                     options_.carbon);
        registry_.SetHealth("forward." + options_.name, common::HealthState::kDegraded,
                            "backend " + options_.carbon + " unreachable");
      }
      if (now < next_attempt) {
        Wait(std::min<int64_t>(next_attempt - now, 100));
        continue;
      }
      if (!Connect()) {
        next_attempt = now + backoff;
        backoff = std::min(backoff * 2, options_.backoff_max_ms);
        continue;
      }
      stats_->reconnects.Add();
      stats_->connected.Set(1);
      backoff = options_.backoff_min_ms;
      unreachable_since_ms_ = 0;
      if (degraded) spdlog::info("forward {}: connected to {}", options_.name, options_.carbon);
      degraded = false;
      registry_.SetHealth("forward." + options_.name, common::HealthState::kOk,
                          "sending to " + options_.carbon);
    }
    auto batch = queue_->Read(options_.batch_bytes);
    if (!batch) {
      spdlog::error("forward {}: {}", options_.name, batch.status().message());
      Wait(1000);
      continue;
    }
    if (batch->end == queue_->read_position()) {
      Wait(100);
      continue;
    }
    if (!SendAll(batch->lines)) {
      Disconnect();
      unacked.clear();
      queue_->Rewind();
      next_attempt = now + backoff;
      continue;
    }
    queue_->MarkSent(batch->end, batch->points);
    stats_->sent_points.Add(batch->points);
    unacked.push_back({now, batch->end, batch->points});
  }
}

}  // namespace hourglass::forward
