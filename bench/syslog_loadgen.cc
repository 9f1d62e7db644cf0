// syslog_loadgen: a TCP syslog load generator for throughput benchmarks.
// Each connection has its own thread, blocking socket and send buffer of
// --batch framed RFC 5424 messages, built once at start; before each write
// only the fixed-width sequence numbers are patched in place, so one write()
// carries many messages and nothing is allocated per message. Every message
// has a unique `seq=NNNNNNNNNN` (connection c of N sends c, c+N, c+2N, ...),
// so `--check` can later prove that a file holds each message exactly once.
// Prints one machine-readable line on stdout at the end:
//   sent_messages=N sent_bytes=B seconds=S rate=R start_epoch=E ...
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

constexpr size_t kSeqDigits = 10;  // seq=0000000000 .. 9999999999
constexpr std::string_view kSeqTag = "seq=";

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 5140;
  unsigned connections = 4;
  bool octet = true;   // --framing octet (RFC 6587 octet counting) or lf
  size_t size = 200;   // bytes per message, framing excluded
  uint64_t count = 0;  // total messages (0: until --duration)
  double duration = 0;
  unsigned batch = 256;                  // messages per write()
  unsigned pri = 134;                    // local0.info
  std::vector<std::string> check_files;  // --check mode
  uint64_t expect = 0;                   // --check: messages that must be there
};

[[noreturn]] void Usage(const char* why) {
  if (why) std::fprintf(stderr, "syslog_loadgen: %s\n", why);
  std::fprintf(
      stderr,
      "usage: syslog_loadgen [--target HOST:PORT] [--connections N] [--framing octet|lf]\n"
      "         [--size BYTES] (--count MESSAGES | --duration S) [--batch MESSAGES_PER_WRITE]\n"
      "         [--pri N]\n"
      "       syslog_loadgen --check FILE... [--expect MESSAGES]\n"
      "  Sends as fast as the receiver reads. Prints one line at the end:\n"
      "  sent_messages=N sent_bytes=B seconds=S rate=R start_epoch=E connections=N ...\n"
      "  --check reads audit/log files and counts lines, distinct sequence numbers,\n"
      "  duplicates and (with --expect M) the numbers in 0..M-1 that are missing:\n"
      "  lines=N with_seq=N distinct=N duplicates=N missing=N out_of_range=N complete=yes|no\n");
  std::exit(2);
}

double ParseDouble(const char* flag, const char* s) {
  return hourglass::bench::ParseDouble("syslog_loadgen", flag, s);
}

uint64_t ParseUint(const char* flag, const char* s) {
  return hourglass::bench::ParseUint("syslog_loadgen", flag, s);
}

void ParseTarget(std::string_view t, Options& o) {
  if (!hourglass::bench::ParseTarget(t, o.host, o.port)) {
    Usage("--target must be HOST:PORT with a port from 1 to 65535");
  }
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  bool check = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "-h" || a == "--help") Usage(nullptr);
    if (a == "--check") {
      check = true;
      while (i + 1 < argc && std::strncmp(argv[i + 1], "--", 2) != 0)
        o.check_files.push_back(argv[++i]);
      continue;
    }
    if (i + 1 >= argc) Usage(("missing value for " + std::string(a)).c_str());
    const char* v = argv[++i];
    if (a == "--target")
      ParseTarget(v, o);
    else if (a == "--connections")
      o.connections = static_cast<unsigned>(ParseUint("--connections", v));
    else if (a == "--framing") {
      if (std::string_view(v) == "octet")
        o.octet = true;
      else if (std::string_view(v) == "lf")
        o.octet = false;
      else
        Usage("--framing must be octet or lf");
    } else if (a == "--size")
      o.size = ParseUint("--size", v);
    else if (a == "--count")
      o.count = ParseUint("--count", v);
    else if (a == "--duration")
      o.duration = ParseDouble("--duration", v);
    else if (a == "--batch")
      o.batch = static_cast<unsigned>(ParseUint("--batch", v));
    else if (a == "--pri")
      o.pri = static_cast<unsigned>(ParseUint("--pri", v));
    else if (a == "--expect")
      o.expect = ParseUint("--expect", v);
    else
      Usage(("unknown flag " + std::string(a)).c_str());
  }
  if (check) {
    if (o.check_files.empty()) Usage("--check needs at least one file");
    return o;
  }
  if (o.connections == 0 || o.connections > 1024) Usage("--connections must be 1..1024");
  if (o.batch == 0 || o.batch > 65536) Usage("--batch must be 1..65536");
  if (o.size < 120 || o.size > 60000) Usage("--size must be 120..60000");
  if (o.pri > 191) Usage("--pri must be 0..191");
  if (o.count == 0 && o.duration <= 0) Usage("give --count or --duration");
  if (o.count >= 10'000'000'000ULL) Usage("--count must be below 10^10");
  return o;
}

// ---- messages --------------------------------------------------------------

// One connection's write buffer: `batch` framed messages of `stride` bytes;
// message i's sequence digits start at i * stride + seq_offset.
struct SendBuffer {
  std::string bytes;
  size_t stride = 0;
  size_t seq_offset = 0;
};

std::string Rfc3339Now() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tm utc;
  gmtime_r(&ts.tv_sec, &utc);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                ts.tv_nsec / 1000);
  return buf;
}

// `<PRI>1 TIME bench-host syslog_loadgen PID BENCH [bench@32473 conn="C"] seq=0000000000 text`
// padded with text to exactly o.size bytes. Digits are patched later.
std::string BuildMessage(const Options& o, unsigned conn, const std::string& timestamp) {
  char head[256];
  int n = std::snprintf(head, sizeof head,
                        "<%u>1 %s bench-host syslog_loadgen %d BENCH [bench@32473 conn=\"%u\"] ",
                        o.pri, timestamp.c_str(), static_cast<int>(getpid()), conn);
  std::string msg(head, static_cast<size_t>(n));
  msg += kSeqTag;
  msg.append(kSeqDigits, '0');
  static constexpr std::string_view kText =
      " user=alice action=login result=success src=10.1.2.3 session=7f3a9c"
      " the quick brown fox jumps over the lazy dog 0123456789";
  while (msg.size() < o.size) {
    msg.append(kText.substr(0, std::min(kText.size(), o.size - msg.size())));
  }
  if (msg.size() > o.size) {
    std::fprintf(stderr, "syslog_loadgen: --size %zu is too small for the header (%zu bytes)\n",
                 o.size, msg.size());
    std::exit(2);
  }
  if (msg.back() == ' ') msg.back() = '.';  // receivers may trim trailing spaces
  return msg;
}

SendBuffer BuildBuffer(const Options& o, unsigned conn, const std::string& timestamp) {
  std::string msg = BuildMessage(o, conn, timestamp);
  std::string frame = o.octet ? std::to_string(msg.size()) + " " + msg : msg + "\n";
  SendBuffer b;
  b.stride = frame.size();
  b.seq_offset = frame.find(kSeqTag) + kSeqTag.size();
  b.bytes.reserve(frame.size() * o.batch);
  for (unsigned i = 0; i < o.batch; ++i) b.bytes += frame;
  return b;
}

// Writes `v` as exactly kSeqDigits decimal digits at `out`.
void PutDigits(char* out, uint64_t v) {
  static constexpr char kPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  for (size_t i = kSeqDigits; i >= 2; i -= 2) {
    const char* p = kPairs + (v % 100) * 2;
    out[i - 2] = p[0];
    out[i - 1] = p[1];
    v /= 100;
  }
}

// ---- sending ---------------------------------------------------------------

using hourglass::bench::Now;

int Connect(const Options& o) {
  return hourglass::bench::ConnectNumeric("syslog_loadgen", o.host, o.port, SOCK_STREAM);
}

// Writes all of [data, data+size); false on an error (reported).
bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "syslog_loadgen: write: %s\n", std::strerror(errno));
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

struct ConnResult {
  uint64_t messages = 0;
  uint64_t bytes = 0;
  uint64_t writes = 0;
  bool failed = false;
};

// Connection `conn` of `o.connections` sends seq conn, conn+N, conn+2N, ...
// `limit` messages (0: no limit), stopping early at the deadline or a signal.
void SendLoop(const Options& o, int fd, SendBuffer buffer, unsigned conn, uint64_t limit,
              double deadline, ConnResult& result) {
  uint64_t seq = conn;
  char* base = buffer.bytes.data();
  for (;;) {
    if (g_stop.load(std::memory_order_relaxed)) break;
    if (Now() >= deadline) break;
    uint64_t n = o.batch;
    if (limit) n = std::min<uint64_t>(n, limit - result.messages);
    if (n == 0) break;
    for (uint64_t i = 0; i < n; ++i, seq += o.connections) {
      PutDigits(base + i * buffer.stride + buffer.seq_offset, seq);
    }
    if (!WriteAll(fd, base, n * buffer.stride)) {
      result.failed = true;
      break;
    }
    result.messages += n;
    result.bytes += n * buffer.stride;
    ++result.writes;
  }
  shutdown(fd, SHUT_WR);  // the receiver sees EOF after the last frame
  close(fd);
}

int RunSend(const Options& o) {
  std::string timestamp = Rfc3339Now();
  std::vector<SendBuffer> buffers;
  std::vector<int> fds;
  for (unsigned c = 0; c < o.connections; ++c) {
    buffers.push_back(BuildBuffer(o, c, timestamp));
    fds.push_back(Connect(o));
  }
  std::fprintf(stderr,
               "syslog_loadgen: target=%s:%u connections=%u framing=%s size=%zu frame=%zu "
               "batch=%u write_bytes=%zu\n",
               o.host.c_str(), o.port, o.connections, o.octet ? "octet" : "lf", o.size,
               buffers[0].stride, o.batch, buffers[0].bytes.size());

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);
  std::vector<ConnResult> results(o.connections);
  std::vector<std::thread> threads;
  const double start_epoch = Now(CLOCK_REALTIME);
  const double start = Now();
  const double deadline = o.duration > 0 ? start + o.duration : 1e300;
  for (unsigned c = 0; c < o.connections; ++c) {
    uint64_t limit = o.count ? o.count / o.connections + (c < o.count % o.connections ? 1 : 0) : 0;
    if (o.count && limit == 0) {
      close(fds[c]);
      continue;
    }
    threads.emplace_back([&, c, limit] {
      SendLoop(o, fds[c], std::move(buffers[c]), c, limit, deadline, results[c]);
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = Now() - start;

  ConnResult total;
  for (const auto& r : results) {
    total.messages += r.messages;
    total.bytes += r.bytes;
    total.writes += r.writes;
    total.failed = total.failed || r.failed;
  }
  std::printf("sent_messages=%" PRIu64 " sent_bytes=%" PRIu64
              " seconds=%.3f rate=%.0f start_epoch=%.6f connections=%u framing=%s size=%zu"
              " writes=%" PRIu64 " errors=%d\n",
              total.messages, total.bytes, seconds, static_cast<double>(total.messages) / seconds,
              start_epoch, o.connections, o.octet ? "octet" : "lf", o.size, total.writes,
              total.failed ? 1 : 0);
  return total.failed ? 1 : 0;
}

// ---- --check ---------------------------------------------------------------

struct CheckResult {
  uint64_t lines = 0;
  uint64_t with_seq = 0;
  uint64_t duplicates = 0;
  std::vector<uint64_t> seen;  // bitmap over sequence numbers
  uint64_t distinct = 0;
};

void CheckLine(std::string_view line, CheckResult& r) {
  ++r.lines;
  size_t at = line.find(kSeqTag);
  if (at == std::string_view::npos || line.size() - at - kSeqTag.size() < kSeqDigits) return;
  uint64_t seq = 0;
  const char* d = line.data() + at + kSeqTag.size();
  auto [p, ec] = std::from_chars(d, d + kSeqDigits, seq);
  if (ec != std::errc() || p != d + kSeqDigits) return;
  ++r.with_seq;
  size_t word = seq / 64;
  if (word >= r.seen.size()) r.seen.resize(std::max(word + 1, r.seen.size() * 2));
  uint64_t bit = 1ULL << (seq % 64);
  if (r.seen[word] & bit) {
    ++r.duplicates;
  } else {
    r.seen[word] |= bit;
    ++r.distinct;
  }
}

bool CheckFile(const std::string& path, CheckResult& r) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    std::fprintf(stderr, "syslog_loadgen: %s: %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  std::vector<char> buf(8 << 20);
  size_t have = 0;  // bytes of an unfinished line at the front of buf
  for (;;) {
    size_t n = std::fread(buf.data() + have, 1, buf.size() - have, f);
    if (n == 0) break;
    size_t end = have + n, begin = 0;
    for (;;) {
      const void* lf = std::memchr(buf.data() + begin, '\n', end - begin);
      if (!lf) break;
      size_t pos = static_cast<size_t>(static_cast<const char*>(lf) - buf.data());
      CheckLine(std::string_view(buf.data() + begin, pos - begin), r);
      begin = pos + 1;
    }
    have = end - begin;
    std::memmove(buf.data(), buf.data() + begin, have);
    if (have == buf.size()) buf.resize(buf.size() * 2);  // a very long line
  }
  if (have > 0) CheckLine(std::string_view(buf.data(), have), r);  // no final LF
  std::fclose(f);
  return true;
}

int RunCheck(const Options& o) {
  CheckResult r;
  bool ok = true;
  for (const auto& path : o.check_files) ok = CheckFile(path, r) && ok;
  uint64_t missing = 0, out_of_range = 0;
  if (o.expect) {
    uint64_t present = 0;
    for (size_t w = 0; w < r.seen.size(); ++w) {
      uint64_t bits = r.seen[w];
      for (; bits; bits &= bits - 1) {
        uint64_t seq = w * 64 + static_cast<uint64_t>(__builtin_ctzll(bits));
        if (seq < o.expect)
          ++present;
        else
          ++out_of_range;
      }
    }
    missing = o.expect - present;
  }
  bool complete = ok && r.duplicates == 0 && r.with_seq == r.lines &&
                  (o.expect ? missing == 0 && out_of_range == 0 : true);
  std::printf("lines=%" PRIu64 " with_seq=%" PRIu64 " distinct=%" PRIu64 " duplicates=%" PRIu64
              " missing=%" PRIu64 " out_of_range=%" PRIu64 " complete=%s\n",
              r.lines, r.with_seq, r.distinct, r.duplicates, missing, out_of_range,
              complete ? "yes" : "no");
  return complete ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseArgs(argc, argv);
  return o.check_files.empty() ? RunSend(o) : RunCheck(o);
}
