// render_bench: render and find latency through the query layer. Fills a
// temporary SeriesStore directly (bench.gGG.sSSS.value, --series names at
// --step s over the --hours before --now, values from BenchValue), then times
// ApiRouter::Handle (no sockets) for the dashboard queries of
// docs/PERFORMANCE.md and prints p50/p99 latency and points/s per query.
// Single-threaded; the store is deleted at exit unless --keep. Nothing is
// asserted: figures only.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "common/clock.h"
#include "common/stats.h"
#include "query/api_router.h"
#include "store/series_store.h"

namespace {

using namespace hourglass;
using Clock = std::chrono::steady_clock;

struct Options {
  size_t series = 100'000;  // multiple of 1000 (groups of 1000 names)
  int64_t hours = 24;
  int64_t step = 10;
  std::string retentions = "10s:6h,1m:7d,10m:5y";
  size_t iterations = 200;  // per query (heavy queries run a tenth, at least 5)
  std::string dir;          // default: a new directory under /tmp
  bool keep = false;
  bool compact = true;          // --no-compact: read the fill's unmerged operands
  std::string only;             // run only the queries whose label contains this
  int64_t now = 1'800'000'000;  // the store's clock; rounded down to the hour
};

[[noreturn]] void Usage(const char* why) {
  std::fprintf(
      stderr,
      "render_bench: %s\nusage: render_bench [--series N] [--hours H] [--step S] "
      "[--retentions R] [--iterations N] [--dir DIR] [--keep] [--no-compact] [--now EPOCH] "
      "[--only TEXT]\n",
      why);
  std::exit(2);
}

int64_t ToInt(std::string_view text) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v <= 0) Usage("bad number");
  return v;
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) Usage("missing value");
      return argv[++i];
    };
    if (arg == "--series")
      o.series = static_cast<size_t>(ToInt(value()));
    else if (arg == "--hours")
      o.hours = ToInt(value());
    else if (arg == "--step")
      o.step = ToInt(value());
    else if (arg == "--retentions")
      o.retentions = value();
    else if (arg == "--iterations")
      o.iterations = static_cast<size_t>(ToInt(value()));
    else if (arg == "--dir")
      o.dir = value();
    else if (arg == "--only")
      o.only = value();
    else if (arg == "--keep")
      o.keep = true;
    else if (arg == "--no-compact")
      o.compact = false;
    else if (arg == "--now")
      o.now = ToInt(value());
    else
      Usage("unknown flag");
  }
  if (o.series % 1000 != 0) Usage("--series must be a multiple of 1000");
  o.now -= o.now % 3600;
  return o;
}

std::string SeriesName(size_t i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "bench.g%02zu.s%03zu.value", i / 1000, i % 1000);
  return buf;
}

// Value of point k (at start + (k + 1) * step) of series i: a multiple of
// 1/8 below 125, so exact in a double and in its shortest decimal form, and
// reproducible in Python (bench/graphite_web/compare.py fills whisper files
// and Hourglass's carbon listener with the same formula).
double BenchValue(size_t i, size_t k) { return static_cast<double>((i * 7 + k * 13) % 1000) / 8; }

// Writes every series, 64 at a time; returns the points written.
uint64_t Fill(store::SeriesStore& store, const Options& o) {
  const int64_t start = o.now - o.hours * 3600;
  const size_t per_series = static_cast<size_t>(o.hours * 3600 / o.step);
  std::vector<store::Point> points;
  std::vector<std::string> names;
  uint64_t total = 0;
  const auto began = Clock::now();
  for (size_t i = 0; i < o.series; ++i) {
    names.push_back(SeriesName(i));
    for (size_t k = 0; k < per_series; ++k) {
      points.push_back(
          {names.back(), start + static_cast<int64_t>(k + 1) * o.step, BenchValue(i, k)});
    }
    if (names.size() == 64 || i + 1 == o.series) {
      if (!store.RegisterNames(names).ok() || !store.Write(points).ok()) {
        std::fprintf(stderr, "render_bench: store write failed\n");
        std::exit(1);
      }
      total += points.size();
      points.clear();
      names.clear();
    }
    if ((i + 1) % 10'000 == 0) {
      const double s = std::chrono::duration<double>(Clock::now() - began).count();
      std::fprintf(stderr, "  filled %zu series, %.0f s, %.2f M points/s\n", i + 1, s,
                   static_cast<double>(total) / s / 1e6);
    }
  }
  return total;
}

struct Query {
  std::string label;
  std::string target;   // request target for ApiRouter
  size_t input_series;  // series read, for points/s
  bool heavy;
};

// Datapoints in the first series of a render response ("[v, t]" pairs).
size_t CountPairs(const std::string& body) {
  const size_t from = body.find("\"datapoints\":[");
  if (from == std::string::npos) return 0;
  const size_t to = body.find("]]", from);
  return static_cast<size_t>(std::count(body.begin() + static_cast<long>(from),
                                        body.begin() + static_cast<long>(to), '[')) -
         1;
}

// The queries of docs/PERFORMANCE.md "Render and find", all over --hours.
std::vector<Query> DashboardQueries(const Options& o) {
  const std::string range = "&from=-" + std::to_string(o.hours) + "h&until=now&format=json";
  const size_t groups = o.series / 1000;
  const std::string ten_k = groups >= 10 ? "bench.g0*.*.value" : "bench.*.*.value";
  const size_t ten_k_series = std::min<size_t>(o.series, 10'000);
  const std::string ten = "bench.g00.s00*.value";  // 10 series, a dashboard panel's glob
  return {
      {"one series over " + std::to_string(o.hours) + " h",
       "/render?target=bench.g00.s000.value" + range, 1, false},
      {"glob: 10 series", "/render?target=" + ten + range, 10, false},
      {"sumSeries: 10 series", "/render?target=sumSeries(" + ten + ")" + range, 10, false},
      {"summarize 1h sum: 10 series",
       "/render?target=summarize(" + ten + ",\"1h\",\"sum\")" + range, 10, false},
      {"movingAverage 10: 10 series", "/render?target=movingAverage(" + ten + ",10)" + range, 10,
       false},
      {"aliasByNode 2: 10 series", "/render?target=aliasByNode(" + ten + ",2)" + range, 10, false},
      {"sumSeries(bench.g00.*.value): 1000 series",
       "/render?target=sumSeries(bench.g00.*.value)" + range, 1000, true},
      {"groupByNode(" + std::to_string(ten_k_series) + " series) mdp=1000",
       "/render?target=groupByNode(" + ten_k + ",1,\"sum\")&maxDataPoints=1000" + range,
       ten_k_series, true},
      {"find bench.* (" + std::to_string(groups) + " nodes)", "/metrics/find?query=bench.*", 0,
       false},
      {"find bench.g00.* (1000 nodes)", "/metrics/find?query=bench.g00.*", 0, false},
      {"find bench.g00.s123.* (leaf)", "/metrics/find?query=bench.g00.s123.*", 0, false},
  };
}

void Measure(const query::ApiRouter& router, const Query& q, size_t iterations,
             size_t points_per_series) {
  std::vector<double> ms;
  size_t bytes = 0;
  unsigned status = 0;
  for (size_t i = 0; i < iterations + 1; ++i) {
    const auto t0 = Clock::now();
    query::ApiResponse r =
        router.Handle({.method = "GET", .target = q.target, .content_type = "", .body = ""});
    query::ReadWholeBody(r);  // a large answer comes in parts
    const double elapsed = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    status = r.status;
    bytes = r.body.size();
    if (i > 0) ms.push_back(elapsed);  // the first run warms the caches
  }
  std::sort(ms.begin(), ms.end());
  const double p50 = ms[ms.size() / 2];
  const double p99 = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  const double points = static_cast<double>(q.input_series * points_per_series);
  std::printf("%-44s status=%u n=%zu p50=%.3f ms p99=%.3f ms points/s=%.3g body=%zu B\n",
              q.label.c_str(), status, ms.size(), p50, p99,
              points_per_series ? points / (p50 / 1000) : 0.0, bytes);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseArgs(argc, argv);
  common::ManualClock clock(o.now * 1'000'000);
  common::StatsRegistry stats;
  std::filesystem::path dir = o.dir.empty() ? std::filesystem::temp_directory_path() /
                                                  ("render_bench_" + std::to_string(getpid()))
                                            : std::filesystem::path(o.dir);
  auto retentions = store::ParseRetentions(o.retentions);
  if (!retentions.ok()) Usage("bad --retentions");
  const bool existing = std::filesystem::exists(dir / "CURRENT");
  store::StoreOptions options;
  options.path = dir.string();
  options.retentions = *retentions;
  auto opened = store::SeriesStore::Open(options, clock, stats);
  if (!opened.ok()) {
    std::fprintf(stderr, "render_bench: %s\n", opened.status().message().c_str());
    return 1;
  }
  store::SeriesStore& store = **opened;
  std::printf("store %s: %zu series, %lld h at %lld s ending at %lld, retentions %s\n", dir.c_str(),
              o.series, static_cast<long long>(o.hours), static_cast<long long>(o.step),
              static_cast<long long>(o.now), o.retentions.c_str());
  if (!existing) {
    const auto t0 = Clock::now();
    const uint64_t points = Fill(store, o);
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("fill: %llu points in %.1f s (%.2f M points/s)\n",
                static_cast<unsigned long long>(points), s, static_cast<double>(points) / s / 1e6);
  } else {
    std::printf("fill: reusing the store in --dir\n");
  }
  // A store that has run for a day holds most of it compacted into the
  // bottom level, one merged value per block; a fresh fill holds unmerged
  // operands that every read would merge. Compact so reads meet the former
  // (a reused store is as its fill left it). --no-compact measures
  // the latter: reads right after a backfill, every block merged at read.
  if (!existing && o.compact) {
    const auto compact_start = Clock::now();
    if (!store.Compact().ok()) std::fprintf(stderr, "render_bench: compaction failed\n");
    std::printf("compact: %.1f s\n",
                std::chrono::duration<double>(Clock::now() - compact_start).count());
  }
  std::fflush(stdout);

  // No render budget: groupByNode over 10,000 series reads 14.4 M points,
  // past the default http.max_points_read; the figures are about speed.
  query::ApiRouter router(store, stats, clock, "1.1.10", {}, {SIZE_MAX, SIZE_MAX});
  const std::vector<Query> queries = DashboardQueries(o);
  query::ApiResponse one =
      router.Handle({.method = "GET", .target = queries[0].target, .content_type = "", .body = ""});
  query::ReadWholeBody(one);
  const size_t per_series = CountPairs(one.body);
  std::printf("points per series over the range: %zu\n", per_series);
  for (const Query& q : queries) {
    if (q.label.find(o.only) == std::string::npos) continue;
    const size_t n = q.heavy ? std::max<size_t>(5, o.iterations / 10) : o.iterations;
    Measure(router, q, n, q.input_series ? per_series : 0);
  }
  opened->reset();
  if (!o.keep && o.dir.empty()) std::filesystem::remove_all(dir);
  return 0;
}
