// A block the store cannot read (a corrupt table file) fails the read of its
// series with an error, counted in store.read_errors: never an answer that
// silently lacks the block's points.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "store/series_store.h"
#include "temp_dir.h"

using namespace hourglass;
using namespace hourglass::store;

namespace {

constexpr int64_t kNow = 1'700'000'400;
constexpr int kSeries = 200;
constexpr int64_t kFrom = kNow - 5 * 3600;

double ValueAt(int series, int64_t t) {
  // Not compressible to nothing: the table files hold real blocks.
  return std::sin(double(t) * 0.001 + series) * 1e6 + series;
}

std::unique_ptr<SeriesStore> Open(const std::string& path, common::Clock& clock,
                                  common::StatsRegistry& stats) {
  auto r = SeriesStore::Open({.path = path, .retentions = *ParseRetentions("10s:6h,1m:7d")}, clock,
                             stats);
  REQUIRE(r.ok());
  return std::move(r).value();
}

}  // namespace

TEST_CASE("a corrupt block fails its series' read instead of answering without it", "[store]") {
  testing::TempDir dir;
  common::ManualClock clock(kNow * 1'000'000);
  {
    common::StatsRegistry stats;
    auto store = Open(dir.path(), clock, stats);
    std::vector<Point> points;
    for (int s = 0; s < kSeries; ++s) {
      for (int64_t t = kFrom; t < kNow - 3600; t += 10) {
        points.push_back({"corrupt.s" + std::to_string(s), t, ValueAt(s, t)});
      }
    }
    REQUIRE(store->Write(points).ok());
    REQUIRE(store->Compact().ok());  // seals the ended blocks into table files
    REQUIRE(store->Close().ok());
  }
  // Overwrite the middle of the largest table file (data blocks, not its
  // footer or index: the store still opens).
  std::filesystem::path largest;
  uintmax_t size = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (e.path().extension() == ".sst" && e.file_size() > size) {
      size = e.file_size();
      largest = e.path();
    }
  }
  REQUIRE(size > 64 * 1024);
  {
    std::fstream f(largest, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(std::streamoff(size / 3));
    const std::string garbage(16 * 1024, '\x5a');
    f.write(garbage.data(), std::streamsize(garbage.size()));
  }
  common::StatsRegistry stats;
  auto store = Open(dir.path(), clock, stats);
  int failed = 0;
  for (int s = 0; s < kSeries; ++s) {
    auto r = store->Read("corrupt.s" + std::to_string(s), kFrom, kNow - 3600, kNow);
    if (!r.ok()) {
      ++failed;
      CHECK(r.status().message().find("corrupt.s" + std::to_string(s)) != std::string::npos);
      continue;
    }
    // An answer is whole: every point written is there.
    size_t present = 0;
    for (size_t i = 0; i < r->values.size(); ++i) {
      const int64_t t = r->start + int64_t(i) * r->step;
      if (t >= kFrom && t < kNow - 3600) {
        REQUIRE(r->values[i] == ValueAt(s, t));
        ++present;
      }
    }
    REQUIRE(present == size_t((kNow - 3600 - r->start) / 10));  // the read starts after kFrom
  }
  CHECK(failed > 0);
  CHECK(stats.GetCounter("store.read_errors", "").Value() == uint64_t(failed));
}
