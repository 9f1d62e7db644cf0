// series_block_bench: bytes per point and encode/decode ns per point of the
// series block codec (store/series_block.h) on the shapes bench/carbon_feed.cc
// generates (counters, 2-decimal gauges, noisy timer means, stepped
// percentiles), full 360-slot blocks, with and without the decimal path.
// Figures are indicative (shared machine). Usage: series_block_bench [SERIES] [HOURS]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "store/series_block.h"

namespace store = hourglass::store;

namespace {

uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The value carbon_feed writes for one point of a series of `kind`, as the
// double the carbon parser reads back (shortest round-trip text).
struct Shape {
  int kind = 0;
  uint64_t rng = 0;
  long level = 0;
  double Next() {
    const uint64_t r = splitmix(rng);
    switch (kind) {
      case 0:
        return (r % 100 < 65) ? 0 : static_cast<double>((r >> 8) % 12);
      case 1:
        level += static_cast<long>(r % 21) - 10;
        return static_cast<double>(level) / 100;
      case 2: {
        const double noise = (static_cast<double>((r >> 11) % 1000000) / 1e6 - 0.5) * 0.4;
        return static_cast<double>(level) * (1.0 + noise);
      }
      default:
        if (r % 40 == 0) level = 20 + static_cast<long>((r >> 16) % 480);
        return static_cast<double>(level);
    }
  }
};

double Now() {
  return std::chrono::duration<double, std::nano>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Totals {
  double points = 0, bytes = 0, xor_bytes = 0, encode_ns = 0, decode_ns = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const long series = argc > 1 ? std::atol(argv[1]) : 4000;
  const long hours = argc > 2 ? std::atol(argv[2]) : 6;
  static const char* const kNames[] = {"counter", "gauge", "timer_mean", "percentile"};
  Totals shapes[4];
  std::vector<double> values(store::kSlotsPerBlock);
  std::vector<store::SeriesBlockPoint> decoded;
  for (long i = 0; i < series; ++i) {
    Shape s;
    s.kind = static_cast<int>(i % 4);
    s.rng = 0x5EED0000ull + static_cast<uint64_t>(i);
    const uint64_t r = splitmix(s.rng);
    s.level = s.kind == 1 ? static_cast<long>(r % 100000) : 20 + static_cast<long>(r % 480);
    Totals& t = shapes[s.kind];
    for (long h = 0; h < hours; ++h) {
      for (double& v : values) v = s.Next();
      const double t0 = Now();
      store::SeriesBlockWriter w;
      for (int k = 0; k < store::kSlotsPerBlock; ++k) w.Append(static_cast<uint16_t>(k), values[k]);
      const double t1 = Now();
      if (!store::DecodeSeriesBlock(w.bytes(), &decoded)) {
        std::fprintf(stderr, "decode failed\n");
        return 1;
      }
      const double t2 = Now();
      store::SeriesBlockWriter x(false);
      for (int k = 0; k < store::kSlotsPerBlock; ++k) x.Append(static_cast<uint16_t>(k), values[k]);
      t.points += store::kSlotsPerBlock;
      t.bytes += static_cast<double>(w.bytes().size());
      t.xor_bytes += static_cast<double>(x.bytes().size());
      t.encode_ns += t1 - t0;
      t.decode_ns += t2 - t1;
    }
  }
  std::printf("series=%ld hours=%ld, full 360-slot blocks (figures indicative)\n", series, hours);
  std::printf("%-12s %10s %10s %14s %12s %12s\n", "shape", "points", "B/point", "B/point(XOR)",
              "enc ns/pt", "dec ns/pt");
  Totals all;
  for (int k = 0; k < 4; ++k) {
    const Totals& t = shapes[k];
    std::printf("%-12s %10.0f %10.3f %14.3f %12.1f %12.1f\n", kNames[k], t.points,
                t.bytes / t.points, t.xor_bytes / t.points, t.encode_ns / t.points,
                t.decode_ns / t.points);
    all.points += t.points, all.bytes += t.bytes, all.xor_bytes += t.xor_bytes;
    all.encode_ns += t.encode_ns, all.decode_ns += t.decode_ns;
  }
  std::printf("%-12s %10.0f %10.3f %14.3f %12.1f %12.1f\n", "all", all.points,
              all.bytes / all.points, all.xor_bytes / all.points, all.encode_ns / all.points,
              all.decode_ns / all.points);
  std::printf("with the 13-byte key per block: %.3f B/point (before RocksDB's own compression)\n",
              (all.bytes + 13.0 * all.points / store::kSlotsPerBlock) / all.points);
  return 0;
}
