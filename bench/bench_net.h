// Clock and socket pieces shared by the bench load generators
// (statsd_loadgen, syslog_loadgen): seconds on a clock as a double, a sleep,
// and a socket connected to a numeric address. Start-up errors print
// "PROGRAM: ..." and exit (2 for a usage error, 1 otherwise).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace hourglass::bench {

// Seconds on `clock` (CLOCK_MONOTONIC: for durations; CLOCK_REALTIME: epoch).
inline double Now(clockid_t clock = CLOCK_MONOTONIC) {
  timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

inline void SleepFor(double seconds) {
  if (seconds <= 0) return;
  timespec ts;
  ts.tv_sec = static_cast<time_t>(seconds);
  ts.tv_nsec = static_cast<long>((seconds - static_cast<double>(ts.tv_sec)) * 1e9);
  nanosleep(&ts, nullptr);
}

// A socket of `type` (SOCK_DGRAM, SOCK_STREAM) connected to `host` (a numeric
// IPv4 or IPv6 address) and `port`; `sndbuf` >= 0 sets SO_SNDBUF first.
inline int ConnectNumeric(const char* program, const std::string& host, uint16_t port, int type,
                          int sndbuf = -1) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_INET;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof *v4;
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    family = AF_INET6;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof *v6;
  } else {
    std::fprintf(stderr, "%s: --target host must be a numeric address: %s\n", program,
                 host.c_str());
    std::exit(2);
  }
  int fd = socket(family, type | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    std::fprintf(stderr, "%s: socket: %s\n", program, std::strerror(errno));
    std::exit(1);
  }
  if (sndbuf >= 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    std::fprintf(stderr, "%s: connect %s:%u: %s\n", program, host.c_str(), port,
                 std::strerror(errno));
    std::exit(1);
  }
  return fd;
}

}  // namespace hourglass::bench
