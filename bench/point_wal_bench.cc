// point_wal_bench: append throughput (points/s) and bytes per point of the
// store's WAL (store/point_wal.h) with fsync "never" and "interval" (1 s),
// then replay throughput. Synthetic carbon-like batches: 10k series, batch of
// BATCH points stamped within a second or two, values of a slow random walk.
// Usage: point_wal_bench [DIR] [POINTS] [BATCH]   (DIR default $TMPDIR/...;
// its wal-*.log files are removed). Indicative figures only.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_flags.h"
#include "store/point_wal.h"

namespace store = hourglass::store;

namespace {

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) total += e.file_size();
  return total;
}

int Run(const std::string& dir, store::WalFsync policy, const char* label, uint64_t points,
        uint64_t batch_size) {
  std::filesystem::remove_all(dir);
  store::PointWalOptions options;
  options.fsync = policy;
  auto wal = store::PointWal::Open(dir, options);
  if (!wal.ok()) {
    std::fprintf(stderr, "%s\n", wal.status().message().c_str());
    return 1;
  }
  std::mt19937_64 rng(42);
  std::normal_distribution<double> step(0.0, 1.0);
  std::vector<double> values(10'000, 100.0);
  std::vector<store::WalPoint> batch(batch_size);
  int64_t now = 1'700'000'000;
  uint64_t series = 0;
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t done = 0; done < points; done += batch_size) {
    for (auto& p : batch) {
      const uint64_t s = series++ % values.size();
      values[s] += step(rng);
      p = {s * 0x9E3779B97F4A7C15ull >> 20, now + static_cast<int64_t>(rng() % 2), values[s]};
    }
    if (series % values.size() < batch_size) now += 10;
    if (auto seq = wal->Append(batch); !seq.ok()) {
      std::fprintf(stderr, "%s\n", seq.status().message().c_str());
      return 1;
    }
  }
  if (auto status = wal->Sync(); !status.ok()) return 1;
  const double append_s = Seconds(std::chrono::steady_clock::now() - start);
  const uint64_t bytes = DirBytes(dir);

  const auto replay_start = std::chrono::steady_clock::now();
  auto stats = store::PointWal::Replay(dir, options, {});
  const double replay_s = Seconds(std::chrono::steady_clock::now() - replay_start);
  if (!stats.ok()) return 1;
  std::printf(
      "fsync=%-8s batch=%-5llu points=%llu  append %.2f M points/s  %.2f bytes/point  "
      "segments=%zu  replay %.2f M points/s\n",
      label, static_cast<unsigned long long>(batch_size),
      static_cast<unsigned long long>(stats->points), stats->points / append_s / 1e6,
      static_cast<double>(bytes) / static_cast<double>(stats->points), wal->segment_count(),
      stats->points / replay_s / 1e6);
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir =
      argc > 1 ? argv[1] : (std::filesystem::temp_directory_path() / "hg-point-wal-bench").string();
  const uint64_t points =
      argc > 2 ? hourglass::bench::ParseUint(argv[0], "POINTS", argv[2]) : 5'000'000;
  const uint64_t batch = argc > 3 ? hourglass::bench::ParseUint(argv[0], "BATCH", argv[3]) : 1000;
  if (batch == 0) return 2;
  int rc = Run(dir, store::WalFsync::kNever, "never", points, batch);
  rc |= Run(dir, store::WalFsync::kInterval, "interval", points, batch);
  rc |= Run(dir, store::WalFsync::kNever, "never", points / 10, 10);
  return rc;
}
