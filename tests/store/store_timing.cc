// store_timing: prints how long SeriesStore::Write takes for one 10 s flush of
// 529,000 points (100k statsd keys, a third timers; SCALE times that), the
// median latency of a 24 h read of one series, and how long the store takes
// to open again after a clean stop and after a crash (a child that writes and
// _exits). Figures only, no assertions.
// PAUSE_MS: time between flushes (the server flushes every 10 s, and a due
// checkpoint runs in that time, beside the next window; 0: back to back,
// so a flush may wait for the previous one's checkpoint).
// Usage: store_timing [DIR] [FLUSHES] [SCALE] [PAUSE_MS]
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "store/series_store.h"

using namespace hourglass;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<std::string> MakeNames(int scale) {
  // Per scale: ~33k timers x 13 series, 33k counters x 2, 34k gauges: 529k names.
  static const char* kTimerSuffixes[] = {
      "count", "count_ps",    "lower",    "upper",   "mean",   "median",  "std",
      "sum",   "sum_squares", "count_90", "mean_90", "sum_90", "upper_90"};
  std::vector<std::string> names;
  for (int i = 0; i < 33'000 * scale; ++i) {
    for (const char* s : kTimerSuffixes) {
      names.push_back("stats.timers.svc" + std::to_string(i % 50) + ".op" + std::to_string(i) +
                      "." + s);
    }
  }
  for (int i = 0; i < 33'000 * scale; ++i) {
    names.push_back("stats.svc" + std::to_string(i % 50) + ".hits" + std::to_string(i));
    names.push_back("stats_counts.svc" + std::to_string(i % 50) + ".hits" + std::to_string(i));
  }
  for (int i = 0; i < 34'000 * scale; ++i) {
    names.push_back("stats.gauges.svc" + std::to_string(i % 50) + ".g" + std::to_string(i));
  }
  return names;
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// CPU time of the calling thread, and of the whole process (RocksDB's
// background threads included), in ms.
double ThreadCpuMs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
double ProcessCpuMs() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  auto ms = [](timeval tv) { return tv.tv_sec * 1e3 + tv.tv_usec / 1e3; };
  return ms(ru.ru_utime) + ms(ru.ru_stime);
}

// Resident now (VmRSS), in MB.
double RssMb() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return double(resident) * double(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

double PeakRssMb() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : "/tmp/hg-store-timing";
  int flushes = argc > 2 ? std::atoi(argv[2]) : 18;
  const int scale = argc > 3 ? std::max(1, std::atoi(argv[3])) : 1;
  const int pause_ms = argc > 4 ? std::max(0, std::atoi(argv[4])) : 0;
  std::filesystem::remove_all(dir);
  const int64_t t0 = 1'700'000'400;
  common::ManualClock clock((t0 - 110) * 1'000'000);
  common::StatsRegistry stats;
  const store::StoreOptions options{.path = dir,
                                    .retentions = *store::ParseRetentions("10s:6h,1m:7d,10m:5y")};
  auto store = store::SeriesStore::Open(options, clock, stats);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().message().c_str());
    return 1;
  }
  std::vector<std::string> names = MakeNames(scale);
  auto start = Clock::now();
  (void)(*store)->RegisterNames(names);
  std::printf("RegisterNames(%zu names): %.0f ms, RSS %.0f MB\n", names.size(),
              Ms(Clock::now() - start), RssMb());

  // Flushes start 2 min before a 10 min boundary, so 18 of them cross the
  // emission of both a 1 min and a 10 min bucket.
  std::vector<store::Point> points(names.size());
  const double process_cpu_start = ProcessCpuMs();
  double wall_total = 0;
  for (int f = 0; f < flushes; ++f) {
    if (f > 0 && pause_ms > 0) usleep(useconds_t(pause_ms) * 1000);
    int64_t ts = t0 - 120 + 10 * f;
    clock.SetSeconds(ts + 10);  // a window is flushed when it ends
    for (size_t i = 0; i < names.size(); ++i) points[i] = {names[i], ts, double(i % 1000 + f)};
    start = Clock::now();
    double cpu = ThreadCpuMs();
    auto s = (*store)->Write(points);
    double wall = Ms(Clock::now() - start);
    wall_total += wall;
    std::printf(
        "flush %d: Write(%zu points) %.0f ms wall, %.0f ms cpu; heads %.0f (%.1f MB) %s\n", f,
        points.size(), wall, ThreadCpuMs() - cpu, stats.GetGauge("store.heads", "").Value(),
        stats.GetGauge("store.head_bytes", "").Value() / 1e6, s.ok() ? "" : s.message().c_str());
  }
  std::printf("mean Write %.0f ms wall; process cpu (incl. rocksdb threads) %.0f ms per flush\n",
              wall_total / flushes, (ProcessCpuMs() - process_cpu_start) / flushes);
  std::printf("RSS after the flushes %.0f MB (the names and points of this program included)\n",
              RssMb());

  // 24 h of one series at 10 s (written last, so it is in memtables and SSTs).
  const int64_t now = t0 + 10 * flushes;
  std::vector<store::Point> day;
  for (int64_t t = now - 86400; t < now; t += 10) day.push_back({"stats.read.me", t, 1.0});
  clock.SetSeconds(now);
  (void)(*store)->Write(day);
  for (int round = 0; round < 2; ++round) {
    if (round == 1) (void)(*store)->Compact();
    std::vector<double> us;
    for (int i = 0; i < 2000; ++i) {
      start = Clock::now();
      auto r = (*store)->Read("stats.read.me", now - 86400, now, now);
      us.push_back(Ms(Clock::now() - start) * 1000);
      if (!r.ok() || r->values.size() != 1440) std::printf("unexpected read result\n");
    }
    std::sort(us.begin(), us.end());
    std::printf("24 h read (%s): median %.0f us, p99 %.0f us\n",
                round == 0 ? "after writes" : "after full compaction", us[us.size() / 2],
                us[us.size() * 99 / 100]);
  }
  std::printf("peak RSS %.0f MB (the names and points of this program included)\n", PeakRssMb());

  // Restart: after a clean stop (heads checkpointed), then after a crash in
  // the middle of the next two flushes (heads replayed from the WAL).
  (void)(*store)->Close();
  store->reset();
  start = Clock::now();
  auto reopened = store::SeriesStore::Open(options, clock, stats);
  std::printf("open after a clean stop: %.0f ms (%zu series with heads)\n",
              Ms(Clock::now() - start), size_t(stats.GetGauge("store.heads", "").Value()));
  if (!reopened.ok()) return 1;
  reopened->reset();  // closes it again (a clean stop)
  std::filesystem::remove_all(dir + "-crash");
  std::filesystem::copy(dir, dir + "-crash", std::filesystem::copy_options::recursive);
  const pid_t child = fork();
  if (child == 0) {
    auto s = store::SeriesStore::Open({.path = dir + "-crash", .retentions = options.retentions},
                                      clock, stats);
    if (!s.ok()) _exit(1);
    for (int f = 0; f < 2; ++f) {
      const int64_t ts = now + 10 * f;
      clock.SetSeconds(ts + 10);
      for (size_t i = 0; i < names.size(); ++i) points[i] = {names[i], ts, double(f)};
      (void)(*s)->Write(points);
    }
    _exit(0);  // kill -9: no Close, no checkpoint
  }
  int status = 0;
  waitpid(child, &status, 0);
  start = Clock::now();
  auto crashed = store::SeriesStore::Open(
      {.path = dir + "-crash", .retentions = options.retentions}, clock, stats);
  std::printf("open after a crash: %.0f ms (%zu series with heads, WAL replayed)\n",
              Ms(Clock::now() - start), size_t(stats.GetGauge("store.heads", "").Value()));
  return 0;
}
