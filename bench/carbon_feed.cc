// carbon_feed: writes the store benchmark's carbon plaintext feed to a file
// (bench/store_ingest.sh streams it): N series of statsd-like shapes, H hours
// at a fixed step, time-ordered (every series' point for one timestamp, then
// the next). Deterministic: the same flags give the same bytes.
// Plain C++20, no project libraries.
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Options {
  long series = 10000;
  long hours = 5;
  long step = 10;
  long start = 1796083200;  // 2026-12-01T00:00Z; the script passes a recent hour
  std::string out;
  std::string prefix = "bench";
};

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: carbon_feed --out FILE [--series N] [--hours H] [--step S]\n"
               "                   [--start EPOCH] [--prefix P]\n"
               "Prints 'points=P bytes=B last_series=NAME last_timestamp=T' on stdout.\n");
  std::exit(2);
}

uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// One series: its name and the state its shape walks.
struct Series {
  std::string name;  // with the trailing space
  int kind = 0;      // 0 counter, 1 gauge, 2 timer mean, 3 percentile
  uint64_t rng = 0;
  long level = 0;  // gauge: cents; timer: base in ms; percentile: current step
};

std::string series_name(const Options& o, long i, int kind) {
  static const char* const kinds[] = {"count", "gauge", "mean", "upper_90"};
  return o.prefix + ".svc" + std::to_string(i / 400) + ".host" + std::to_string((i / 4) % 100) +
         ".m" + std::to_string(i) + "." + kinds[kind] + " ";
}

// Appends "value" for one point of `s`, as a statsd flush would write it.
char* append_value(Series& s, char* p, char* end) {
  const uint64_t r = splitmix(s.rng);
  switch (s.kind) {
    case 0: {  // small integer counter, mostly zeros
      const long v = (r % 100 < 65) ? 0 : static_cast<long>((r >> 8) % 12);
      return std::to_chars(p, end, v).ptr;
    }
    case 1: {  // gauge: slow random walk, two decimals
      s.level += static_cast<long>((r % 21)) - 10;
      const long a = s.level < 0 ? -s.level : s.level;
      if (s.level < 0) *p++ = '-';
      p = std::to_chars(p, end, a / 100).ptr;
      *p++ = '.';
      *p++ = static_cast<char>('0' + (a / 10) % 10);
      *p++ = static_cast<char>('0' + a % 10);
      return p;
    }
    case 2: {  // timer mean: base plus noise, full double precision
      const double noise = (static_cast<double>((r >> 11) % 1000000) / 1e6 - 0.5) * 0.4;
      return std::to_chars(p, end, static_cast<double>(s.level) * (1.0 + noise)).ptr;
    }
    default: {  // percentile: a level that steps now and then
      if (r % 40 == 0) s.level = 20 + static_cast<long>((r >> 16) % 480);
      return std::to_chars(p, end, s.level).ptr;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage();
    const char* v = argv[++i];
    if (a == "--series")
      o.series = std::atol(v);
    else if (a == "--hours")
      o.hours = std::atol(v);
    else if (a == "--step")
      o.step = std::atol(v);
    else if (a == "--start")
      o.start = std::atol(v);
    else if (a == "--out")
      o.out = v;
    else if (a == "--prefix")
      o.prefix = v;
    else
      usage();
  }
  if (o.out.empty() || o.series <= 0 || o.hours <= 0 || o.step <= 0) usage();

  std::vector<Series> series(static_cast<size_t>(o.series));
  for (long i = 0; i < o.series; ++i) {
    Series& s = series[static_cast<size_t>(i)];
    s.kind = static_cast<int>(i % 4);
    s.name = series_name(o, i, s.kind);
    s.rng = 0x5EED0000ull + static_cast<uint64_t>(i);
    const uint64_t r = splitmix(s.rng);
    s.level = s.kind == 1 ? static_cast<long>(r % 100000) : 20 + static_cast<long>(r % 480);
  }

  FILE* f = std::fopen(o.out.c_str(), "wb");
  if (!f) {
    std::perror(o.out.c_str());
    return 1;
  }
  std::vector<char> buf(1 << 20);
  size_t used = 0;
  uint64_t bytes = 0, points = 0;
  const long steps = o.hours * 3600 / o.step;
  long ts = o.start;
  for (long k = 0; k < steps; ++k) {
    ts = o.start + k * o.step;
    char stamp[24];
    char* stamp_end = std::to_chars(stamp, stamp + sizeof stamp, ts).ptr;
    const size_t stamp_len = static_cast<size_t>(stamp_end - stamp);
    for (Series& s : series) {
      if (buf.size() - used < s.name.size() + 64) {
        bytes += std::fwrite(buf.data(), 1, used, f);
        used = 0;
      }
      char* p = buf.data() + used;
      std::memcpy(p, s.name.data(), s.name.size());
      p += s.name.size();
      p = append_value(s, p, buf.data() + buf.size());
      *p++ = ' ';
      std::memcpy(p, stamp, stamp_len);
      p += stamp_len;
      *p++ = '\n';
      used = static_cast<size_t>(p - buf.data());
      ++points;
    }
  }
  bytes += std::fwrite(buf.data(), 1, used, f);
  if (std::fclose(f) != 0) {
    std::perror(o.out.c_str());
    return 1;
  }
  std::string last = series.back().name;
  last.pop_back();
  std::printf("points=%llu bytes=%llu last_series=%s last_timestamp=%ld\n",
              static_cast<unsigned long long>(points), static_cast<unsigned long long>(bytes),
              last.c_str(), ts);
  return 0;
}
