// statsd_loadgen: a UDP statsd load generator for capacity benchmarks.
// Packets are built once at start into one read-only pool; each sender thread
// owns a connected UDP socket and walks the pool with sendmmsg in batches,
// paced by its own token bucket (metrics/s or packets/s). Nothing is allocated
// per packet. At the end it prints one machine-readable line on stdout:
//   sent_metrics=N sent_packets=N seconds=S rate=R pps=P send_errors=N
// Key i always has the same type (types cycle over --types), so the set of
// distinct series a receiver sees is fixed by --keys and --types.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "bench/bench_flags.h"
#include "bench/bench_net.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cinttypes>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

std::atomic<bool> g_stop{false};  // set by SIGINT/SIGTERM: stop and report
extern "C" void OnSignal(int) { g_stop.store(true); }

constexpr size_t kMaxPacket = 1400;       // --mode multi payload budget (fits 1500 MTU)
constexpr size_t kMaxBatch = 1024;        // UIO_MAXIOV
constexpr size_t kPoolBudget = 64 << 20;  // bytes of precomputed packets, at most

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 8125;
  bool multi = false;
  uint64_t keys = 10000;
  double rate = 0;  // metrics/s in total; 0 = as fast as possible
  double pps = 0;   // packets/s in total (instead of --rate)
  double duration = 10;
  uint64_t count = 0;  // stop after this many metrics (0 = no limit)
  unsigned threads = 1;
  unsigned batch = 64;
  size_t packet_size = kMaxPacket;
  std::string prefix = "bench";
  std::vector<std::string> types{"c", "ms", "g", "s", "h"};
  int sndbuf = 4 << 20;
};

[[noreturn]] void Usage(const char* why) {
  if (why) std::fprintf(stderr, "statsd_loadgen: %s\n", why);
  std::fprintf(stderr,
               "usage: statsd_loadgen [--target HOST:PORT] [--mode single|multi]\n"
               "         [--keys N] [--rate METRICS_PER_S | --pps PACKETS_PER_S]\n"
               "         [--duration S] [--count METRICS] [--threads T] [--batch B]\n"
               "         [--packet-size BYTES] [--prefix P] [--types c,ms,g,s,h]\n"
               "  --rate 0 (default) sends as fast as possible. Key i has type\n"
               "  types[i %% len(types)]. Prints one line at the end:\n"
               "  sent_metrics=N sent_packets=N seconds=S rate=R pps=P send_errors=N\n");
  std::exit(2);
}

double ParseDouble(const char* flag, const char* s) {
  return hourglass::bench::ParseDouble("statsd_loadgen", flag, s);
}

uint64_t ParseUint(const char* flag, const char* s) {
  return hourglass::bench::ParseUint("statsd_loadgen", flag, s);
}

std::vector<std::string> SplitComma(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    size_t c = s.find(',');
    std::string_view part = s.substr(0, c);
    if (!part.empty()) out.emplace_back(part);
    if (c == std::string_view::npos) break;
    s.remove_prefix(c + 1);
  }
  return out;
}

void ParseTarget(std::string_view t, Options& o) {
  if (!hourglass::bench::ParseTarget(t, o.host, o.port)) {
    Usage("--target must be HOST:PORT with a port from 1 to 65535");
  }
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "-h" || a == "--help") Usage(nullptr);
    if (i + 1 >= argc) Usage(("missing value for " + std::string(a)).c_str());
    const char* v = argv[++i];
    if (a == "--target")
      ParseTarget(v, o);
    else if (a == "--mode") {
      if (std::string_view(v) == "single")
        o.multi = false;
      else if (std::string_view(v) == "multi")
        o.multi = true;
      else
        Usage("--mode must be single or multi");
    } else if (a == "--keys")
      o.keys = ParseUint("--keys", v);
    else if (a == "--rate")
      o.rate = ParseDouble("--rate", v);
    else if (a == "--pps")
      o.pps = ParseDouble("--pps", v);
    else if (a == "--duration")
      o.duration = ParseDouble("--duration", v);
    else if (a == "--count")
      o.count = ParseUint("--count", v);
    else if (a == "--threads")
      o.threads = static_cast<unsigned>(ParseUint("--threads", v));
    else if (a == "--batch")
      o.batch = static_cast<unsigned>(ParseUint("--batch", v));
    else if (a == "--packet-size")
      o.packet_size = ParseUint("--packet-size", v);
    else if (a == "--prefix")
      o.prefix = v;
    else if (a == "--types")
      o.types = SplitComma(v);
    else if (a == "--sndbuf")
      o.sndbuf = static_cast<int>(ParseUint("--sndbuf", v));
    else
      Usage(("unknown flag " + std::string(a)).c_str());
  }
  if (o.keys == 0) Usage("--keys must be > 0");
  if (o.threads == 0 || o.threads > 64) Usage("--threads must be 1..64");
  if (o.batch == 0 || o.batch > kMaxBatch) Usage("--batch must be 1..1024");
  if (o.packet_size < 64 || o.packet_size > 65000) Usage("--packet-size must be 64..65000");
  if (o.rate > 0 && o.pps > 0) Usage("give --rate or --pps, not both");
  if (o.types.empty()) Usage("--types is empty");
  for (const auto& t : o.types) {
    if (t != "c" && t != "ms" && t != "g" && t != "s" && t != "h" && t != "d")
      Usage("--types accepts c, ms, g, s, h, d");
  }
  if (o.duration <= 0 && o.count == 0) Usage("--duration must be > 0 (or give --count)");
  return o;
}

// ---- packet pool -----------------------------------------------------------

struct Pool {
  std::string bytes;             // all payloads back to back
  std::vector<uint32_t> offset;  // packet i = bytes[offset[i], offset[i]+length[i])
  std::vector<uint32_t> length;
  std::vector<uint32_t> metrics;  // metric lines in packet i
};

// One statsd line for key `k` in pass `pass` (values vary between passes so
// timers and sets get distinct samples). Appends to `out` without a newline.
void AppendLine(const Options& o, uint64_t k, uint64_t pass, std::string& out) {
  const std::string& type = o.types[k % o.types.size()];
  char buf[128];
  uint64_t mix = (k * 2654435761u + pass * 40503u) % 1000;
  int n = 0;
  if (type == "c") {
    n = std::snprintf(buf, sizeof buf, "%s.k%" PRIu64 ":1|c", o.prefix.c_str(), k);
  } else if (type == "g") {
    n = std::snprintf(buf, sizeof buf, "%s.k%" PRIu64 ":%" PRIu64 "|g", o.prefix.c_str(), k, mix);
  } else if (type == "s") {
    n = std::snprintf(buf, sizeof buf, "%s.k%" PRIu64 ":u%" PRIu64 "|s", o.prefix.c_str(), k,
                      pass % 64);
  } else {  // ms, h, d: a value in 0.0 .. 999.9
    n = std::snprintf(buf, sizeof buf, "%s.k%" PRIu64 ":%" PRIu64 ".%" PRIu64 "|%s",
                      o.prefix.c_str(), k, mix, pass % 10, type.c_str());
  }
  out.append(buf, static_cast<size_t>(n));
}

void ClosePacket(Pool& pool, size_t start, uint32_t metrics) {
  pool.offset.push_back(static_cast<uint32_t>(start));
  pool.length.push_back(static_cast<uint32_t>(pool.bytes.size() - start));
  pool.metrics.push_back(metrics);
}

// Builds whole passes over all keys (each pass sends every key once) until
// the byte budget is used, so the pool cycles over keys evenly.
Pool BuildPool(const Options& o) {
  Pool pool;
  pool.bytes.reserve(std::min<size_t>(kPoolBudget, o.keys * 40 * 4) + kMaxPacket);
  std::string line;
  for (uint64_t pass = 0;; ++pass) {
    size_t start = pool.bytes.size();
    uint32_t in_packet = 0;
    for (uint64_t k = 0; k < o.keys; ++k) {
      line.clear();
      AppendLine(o, k, pass, line);
      if (!o.multi) {
        start = pool.bytes.size();
        pool.bytes += line;
        ClosePacket(pool, start, 1);
        continue;
      }
      size_t used = pool.bytes.size() - start;
      if (in_packet > 0 && used + 1 + line.size() > o.packet_size) {
        ClosePacket(pool, start, in_packet);
        start = pool.bytes.size();
        in_packet = 0;
      }
      if (in_packet > 0) pool.bytes += '\n';
      pool.bytes += line;
      ++in_packet;
    }
    if (o.multi && in_packet > 0) ClosePacket(pool, start, in_packet);
    if (pool.bytes.size() * (pass + 2) / (pass + 1) > kPoolBudget || pass >= 7) break;
  }
  return pool;
}

// ---- sending ---------------------------------------------------------------

using hourglass::bench::Now;
using hourglass::bench::SleepFor;

struct ThreadResult {
  uint64_t metrics = 0;
  uint64_t packets = 0;
  uint64_t errors = 0;
};

int OpenSocket(const Options& o) {
  return hourglass::bench::ConnectNumeric("statsd_loadgen", o.host, o.port, SOCK_DGRAM, o.sndbuf);
}

// Token bucket: `per_s` tokens per second (0 = unlimited), burst capped at
// `burst` tokens so that a stall is not followed by a flood.
class Bucket {
 public:
  Bucket(double per_s, double burst, double start)
      : per_s_(per_s), burst_(burst), tokens_(0), last_(start) {}
  bool unlimited() const { return per_s_ <= 0; }
  // Tokens available now (refills first).
  double Available(double now) {
    tokens_ = std::min(burst_, tokens_ + (now - last_) * per_s_);
    last_ = now;
    return tokens_;
  }
  void Take(double n) { tokens_ -= n; }
  // Seconds until `n` tokens are available.
  double WaitFor(double n) const { return (n - tokens_) / per_s_; }

 private:
  double per_s_, burst_, tokens_, last_;
};

void SendLoop(const Options& o, const Pool& pool, unsigned index, double start, double deadline,
              std::atomic<bool>& stop, ThreadResult& result) {
  int fd = OpenSocket(o);
  const size_t n_packets = pool.offset.size();
  size_t next = (n_packets / o.threads) * index;  // threads start spread over the pool
  double per_thread = (o.rate > 0 ? o.rate : o.pps) / o.threads;
  bool by_packets = o.pps > 0;
  // Burst: at most one batch or 2 ms worth, whichever is larger.
  double avg_metrics = static_cast<double>(o.multi ? 0 : 1);
  if (o.multi) {
    uint64_t total = 0;
    for (uint32_t m : pool.metrics) total += m;
    avg_metrics = static_cast<double>(total) / static_cast<double>(n_packets);
  }
  double batch_tokens = by_packets ? o.batch : o.batch * avg_metrics;
  Bucket bucket(per_thread, std::max(batch_tokens, per_thread * 0.002), start);
  uint64_t count_limit = o.count ? (o.count + o.threads - 1 - index) / o.threads : 0;

  std::vector<mmsghdr> msgs(o.batch);
  std::vector<iovec> iovs(o.batch);
  for (unsigned i = 0; i < o.batch; ++i) {
    msgs[i] = mmsghdr{};
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  char* base = const_cast<char*>(pool.bytes.data());  // sendmmsg never writes to it
  unsigned iter = 0;
  for (;;) {
    double now = (++iter & 15) == 0 || !bucket.unlimited() ? Now() : 0;
    if (now >= deadline || stop.load(std::memory_order_relaxed)) break;
    double tokens = bucket.unlimited() ? 1e18 : bucket.Available(now);
    // Fill as many packets as the tokens (and the --count limit) allow.
    unsigned n = 0;
    double need = 0;
    uint64_t batch_metrics = 0;
    size_t p = next;
    while (n < o.batch) {
      double cost = by_packets ? 1.0 : pool.metrics[p];
      if (need + cost > tokens) break;
      if (count_limit && result.metrics + batch_metrics + pool.metrics[p] > count_limit) break;
      iovs[n].iov_base = base + pool.offset[p];
      iovs[n].iov_len = pool.length[p];
      need += cost;
      batch_metrics += pool.metrics[p];
      ++n;
      if (++p == n_packets) p = 0;
    }
    if (n == 0) {
      if (count_limit && result.metrics >= count_limit) break;
      if (count_limit && result.metrics + pool.metrics[next] > count_limit) break;
      // Not enough tokens for one packet: sleep until there are (short waits spin).
      // Wait for 1 ms worth of tokens (at least one packet, at most a batch).
      double cost = by_packets ? 1.0 : pool.metrics[next];
      double wait = bucket.WaitFor(std::min(batch_tokens, std::max(cost, per_thread * 1e-3)));
      if (wait > 100e-6) SleepFor(std::min(wait, deadline - now));
      continue;
    }
    int sent = sendmmsg(fd, msgs.data(), n, 0);
    if (sent < 0) {
      ++result.errors;  // ECONNREFUSED (no listener yet), ENOBUFS, EAGAIN: try again
      if (errno != ECONNREFUSED && errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
        std::perror("statsd_loadgen: sendmmsg");
        break;
      }
      continue;
    }
    uint64_t m = 0;
    double taken = 0;
    for (int i = 0; i < sent; ++i) {
      m += pool.metrics[next];
      taken += by_packets ? 1.0 : pool.metrics[next];
      if (++next == n_packets) next = 0;
    }
    if (!bucket.unlimited()) bucket.Take(taken);
    result.metrics += m;
    result.packets += static_cast<uint64_t>(sent);
  }
  close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseArgs(argc, argv);
  Pool pool = BuildPool(o);
  uint64_t pool_metrics = 0;
  for (uint32_t m : pool.metrics) pool_metrics += m;
  std::fprintf(stderr,
               "statsd_loadgen: target=%s:%u mode=%s keys=%" PRIu64
               " pool_packets=%zu "
               "pool_metrics=%" PRIu64 " pool_bytes=%zu avg_packet=%.0f threads=%u\n",
               o.host.c_str(), o.port, o.multi ? "multi" : "single", o.keys, pool.offset.size(),
               pool_metrics, pool.bytes.size(),
               static_cast<double>(pool.bytes.size()) / static_cast<double>(pool.offset.size()),
               o.threads);

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::vector<ThreadResult> results(o.threads);
  std::vector<std::thread> threads;
  double start = Now();
  double deadline = o.duration > 0 ? start + o.duration : 1e300;
  for (unsigned t = 0; t < o.threads; ++t) {
    threads.emplace_back([&, t] { SendLoop(o, pool, t, start, deadline, g_stop, results[t]); });
  }
  for (auto& th : threads) th.join();
  double seconds = Now() - start;

  ThreadResult total;
  for (const auto& r : results) {
    total.metrics += r.metrics;
    total.packets += r.packets;
    total.errors += r.errors;
  }
  std::printf("sent_metrics=%" PRIu64 " sent_packets=%" PRIu64
              " seconds=%.3f rate=%.0f pps=%.0f send_errors=%" PRIu64 "\n",
              total.metrics, total.packets, seconds, static_cast<double>(total.metrics) / seconds,
              static_cast<double>(total.packets) / seconds, total.errors);
  return 0;
}
