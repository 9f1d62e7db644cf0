// aggregator_keys_bench: the aggregator's own memory per held statsd key.
// Feeds --keys distinct counters (about --key-len bytes each) through
// --shards shards for two windows (the first interns them, the second puts
// every key in every shard's window, as SO_REUSEPORT spreads a key's
// datagrams), flushes each, then prints the resident bytes per key held
// after the flush results are freed, and the peak during the flushes.
// Single-threaded; no sockets, no store.
#include <malloc.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "aggregator/aggregator.h"
#include "bench/bench_flags.h"

namespace {

// A "/proc/self/status" field in kB, as bytes.
double StatusBytes(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const size_t n = std::strlen(field);
  while (std::getline(in, line)) {
    if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':') {
      return std::stod(line.substr(n + 1)) * 1024;
    }
  }
  return 0;
}

std::string Key(uint64_t i, size_t len) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "prod.web.host-%04llu.api.hits-%07llu",
                static_cast<unsigned long long>(i % 1000), static_cast<unsigned long long>(i));
  std::string key(buf);
  if (key.size() < len) key.insert(0, len - key.size(), 'x');
  return key;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace hourglass;
  uint64_t keys = 1'000'000, shards = 2, key_len = 40;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--keys") {
      keys = bench::ParseUint(argv[0], "--keys", argv[i + 1]);
    } else if (flag == "--shards") {
      shards = bench::ParseUint(argv[0], "--shards", argv[i + 1]);
    } else if (flag == "--key-len") {
      key_len = bench::ParseUint(argv[0], "--key-len", argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: %s [--keys N] [--shards S] [--key-len L]\n", argv[0]);
      return 2;
    }
  }
  std::vector<std::string> names;
  names.reserve(keys);
  for (uint64_t i = 0; i < keys; ++i) names.push_back(Key(i, key_len));
  malloc_trim(0);
  const double base = StatusBytes("VmRSS");

  common::StatsRegistry stats;
  aggregator::AggregatorOptions options;
  options.max_keys = keys + 16;
  aggregator::Aggregator agg(options, shards, stats);
  auto feed = [&](bool every_shard) {
    for (uint64_t s = 0; s < shards; ++s) {
      auto batch = agg.shard(s).BeginBatch();
      for (uint64_t i = 0; i < keys; ++i) {
        if (!every_shard && i % shards != s) continue;
        aggregator::Sample sample;
        sample.key = names[i];
        sample.value = 1;
        batch.Add(sample);
      }
    }
  };
  size_t held = 0, points = 0;
  for (int window = 0; window < 2; ++window) {
    feed(window == 1);
    aggregator::FlushResult result = agg.Flush(1000 + 10 * window, 10);
    held = result.keys;
    points = result.points.size();
  }
  malloc_trim(0);
  const double rss = StatusBytes("VmRSS");
  const struct mallinfo2 heap = mallinfo2();
  const double peak = StatusBytes("VmHWM");
  std::printf("keys_held=%zu shards=%llu key_len=%zu points_per_flush=%zu\n", held,
              static_cast<unsigned long long>(shards), names.empty() ? 0 : names[0].size(), points);
  std::printf("held_bytes_per_key=%.0f peak_bytes_per_key=%.0f (peak includes the flush result)\n",
              (rss - base) / static_cast<double>(keys), (peak - base) / static_cast<double>(keys));
  std::printf("malloc_in_use_bytes=%zu malloc_free_bytes=%zu mmapped_bytes=%zu\n", heap.uordblks,
              heap.fordblks, heap.hblkhd);
  return 0;
}
