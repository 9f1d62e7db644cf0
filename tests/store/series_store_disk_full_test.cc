// The metric store on a disk that fills up: a fault-injecting RocksDB file
// system answers appends (and new files) with ENOSPC while `full` is set.
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

#include "store/series_store.h"
#include "temp_dir.h"

using namespace hourglass;
using namespace hourglass::store;

namespace {

constexpr int64_t kNow = 1'700'000'400;

enum class Full { kNo, kEverything, kTablesOnly };

rocksdb::IOStatus NoSpace() {
  auto s = rocksdb::IOStatus::NoSpace("injected", "No space left on device");
  s.SetRetryable(true);  // as RocksDB's posix file system marks ENOSPC
  return s;
}

class FaultFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultFile(std::unique_ptr<rocksdb::FSWritableFile> file, const std::atomic<Full>& full,
            bool table)
      : FSWritableFileOwnerWrapper(std::move(file)), full_(full), table_(table) {}
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    if (Failing()) return NoSpace();
    return FSWritableFileOwnerWrapper::Append(data, options, dbg);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    if (Failing()) return NoSpace();
    return FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
  }

 private:
  bool Failing() const {
    const Full f = full_.load();
    return f == Full::kEverything || (f == Full::kTablesOnly && table_);
  }
  const std::atomic<Full>& full_;
  const bool table_;
};

class FaultFs : public rocksdb::FileSystemWrapper {
 public:
  FaultFs() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "FaultFs"; }
  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    const bool table = name.ends_with(".sst");
    if (full == Full::kEverything) return NoSpace();
    auto s = FileSystemWrapper::NewWritableFile(name, options, result, dbg);
    if (s.ok()) *result = std::make_unique<FaultFile>(std::move(*result), full, table);
    return s;
  }
  rocksdb::IOStatus GetFreeSpace(const std::string& path, const rocksdb::IOOptions& options,
                                 uint64_t* free, rocksdb::IODebugContext* dbg) override {
    if (full != Full::kNo) {
      *free = 0;
      return rocksdb::IOStatus::OK();
    }
    return FileSystemWrapper::GetFreeSpace(path, options, free, dbg);
  }
  std::atomic<Full> full{Full::kNo};
};

struct Fixture {
  explicit Fixture(size_t retry_buffer_bytes = 128 << 20) {
    StoreOptions options{.path = dir.path(), .retentions = *ParseRetentions("10s:6h,1m:7d")};
    options.retry_buffer_bytes = retry_buffer_bytes;
    options.retry_interval_ms = 20;
    options.env = std::shared_ptr<rocksdb::Env>(rocksdb::NewCompositeEnv(fs));
    auto r = SeriesStore::Open(options, clock, stats);
    REQUIRE(r.ok());
    store = std::move(r).value();
  }
  double Gauge(const char* name) { return stats.GetGauge(name, "").Value(); }
  uint64_t Counter(const char* name) { return stats.GetCounter(name, "").Value(); }
  common::ComponentHealth Health() {
    for (auto& h : stats.Health()) {
      if (h.component == "store") return h;
    }
    return {};
  }
  // Waits (generously: a deadline for a stall, not a speed check).
  template <typename F>
  bool WaitFor(F done) {
    for (int i = 0; i < 1000; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  // The recovery thread reports the store ok again.
  bool WaitHealthy() {
    return WaitFor(
        [&] { return Health().state == common::HealthState::kOk && Gauge("store.writable") == 1; });
  }
  std::vector<double> Values(const std::string& name) {
    auto r = store->Read(name, kNow - 60, kNow, kNow);
    REQUIRE(r.ok());
    std::vector<double> out;
    for (double v : r->values) {
      if (!std::isnan(v)) out.push_back(v);
    }
    return out;
  }

  testing::TempDir dir;
  std::shared_ptr<FaultFs> fs = std::make_shared<FaultFs>();
  common::ManualClock clock{kNow * 1'000'000};
  common::StatsRegistry stats;
  std::unique_ptr<SeriesStore> store;
};

}  // namespace

TEST_CASE("a full disk holds writes in memory and writes them once, in order, after", "[store]") {
  Fixture f;
  REQUIRE(f.store->RegisterNames(std::vector<std::string>{"before"}).ok());
  REQUIRE(f.store->Write(std::vector<Point>{{"before", kNow - 30, 1}}).ok());
  // An hour later the points' span is sealed: "before" is sealed by the next
  // write, and the points below start new heads for their sealed block.
  f.clock.SetSeconds(kNow + 3900);

  f.fs->full = Full::kEverything;
  // Accepted while full: held, not yet readable. ".count" sums a slot's
  // writes, so a batch written twice would show as a doubled value.
  REQUIRE(f.store->RegisterNames(std::vector<std::string>{"during.count"}).ok());
  REQUIRE(f.store->Write(std::vector<Point>{{"during.count", kNow - 20, 5}}).ok());
  REQUIRE(
      f.store
          ->Write(std::vector<Point>{{"during.count", kNow - 20, 2}, {"during.last", kNow - 10, 7}})
          .ok());
  CHECK(f.Gauge("store.writable") == 0);
  // Held: the first write's batch (it seals "before"). The points themselves
  // are in heads, logged in the store's own WAL (not on the failing Env), so
  // the second write's empty batch is not held.
  CHECK(f.Gauge("store.held_points") == 1);
  CHECK(f.Counter("store.write_failures") >= 1);
  CHECK(f.Counter("store.write_errors") == 0);
  CHECK(f.Health().state == common::HealthState::kFailed);
  CHECK(f.Health().detail.find("disk full") != std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // retries fail meanwhile
  CHECK(f.Gauge("store.writable") == 0);

  f.fs->full = Full::kNo;
  REQUIRE(f.WaitHealthy());
  CHECK(f.Gauge("store.held_points") == 0);
  CHECK(f.Counter("store.recoveries") >= 1);
  CHECK(f.Values("before") == std::vector<double>{1});
  CHECK(f.Values("during.count") == std::vector<double>{7});
  CHECK(f.Values("during.last") == std::vector<double>{7});
  auto names = f.store->FindSeries("during.*");
  REQUIRE(names.ok());
  CHECK(*names == std::vector<std::string>{"during.count"});
  REQUIRE(f.store->Write(std::vector<Point>{{"after", kNow, 3}}).ok());
  CHECK(f.Values("after") == std::vector<double>{3});
  CHECK(f.store->Close().ok());
}

TEST_CASE("the retry buffer holds up to store.retry_buffer bytes, then drops and counts",
          "[store]") {
  // Older than the raw retention: written straight to the 1 min resolution in
  // RocksDB (recent points would go to the heads, in memory and the WAL).
  const int64_t old = kNow - 7 * 3600;
  const std::vector<Point> batch = {{"a", old, 1}, {"b", old, 2}};
  auto values = [&](auto& f, const std::string& name) {
    auto r = f.store->Read(name, old - 60, old + 60, kNow);
    REQUIRE(r.ok());
    std::vector<double> out;
    for (double v : r->values) {
      if (!std::isnan(v)) out.push_back(v);
    }
    return out;
  };
  size_t one_batch = 0;
  {
    Fixture f;
    f.fs->full = Full::kEverything;
    REQUIRE(f.store->Write(batch).ok());
    one_batch = size_t(f.Gauge("store.held_bytes"));
    REQUIRE(one_batch > 0);
    f.fs->full = Full::kNo;
  }
  Fixture f(one_batch);  // room for exactly one batch
  f.fs->full = Full::kEverything;
  REQUIRE(f.store->Write(batch).ok());
  CHECK(f.Gauge("store.held_bytes") == one_batch);
  auto refused = f.store->Write(batch);
  CHECK_FALSE(refused.ok());
  CHECK(refused.message().find("retry buffer") != std::string::npos);
  CHECK(f.Counter("store.write_errors") == 2);
  CHECK(f.Gauge("store.held_points") == 2);

  f.fs->full = Full::kNo;
  REQUIRE(f.WaitHealthy());
  CHECK(values(f, "a") == std::vector<double>{1});
  CHECK(values(f, "b") == std::vector<double>{2});
}

TEST_CASE("a flush that finds the disk full is resumed once space is back", "[store]") {
  Fixture f;
  REQUIRE(f.store->Write(std::vector<Point>{{"x", kNow - 20, 4}}).ok());
  f.clock.SetSeconds(kNow + 3900);  // Compact seals x's head into the memtable
  f.fs->full = Full::kTablesOnly;
  CHECK_FALSE(f.store->Compact().ok());  // its memtable flush cannot write a table
  REQUIRE(f.WaitFor([&] { return f.Health().state != common::HealthState::kOk; }));
  CHECK(f.Health().detail.find("disk full") != std::string::npos);

  f.fs->full = Full::kNo;
  REQUIRE(f.WaitHealthy());
  CHECK(f.Counter("store.recoveries") >= 1);
  REQUIRE(f.store->Write(std::vector<Point>{{"x", kNow - 10, 5}}).ok());
  CHECK(f.Values("x") == std::vector<double>{4, 5});
  CHECK(f.store->Compact().ok());
}
