#include "archive/audit/audit_writer.h"

#include <signal.h>
#include <sys/resource.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "tests/archive/temp_dir.h"

namespace hourglass::archive {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

constexpr int64_t kHourMicros = 3'600'000'000LL;
const int64_t k0500 = 1795237200LL * 1'000'000;  // 2026-11-21T05:00:00Z
const std::string k05 = "/audit-20261121T0500Z.log";
const std::string k06 = "/audit-20261121T0600Z.log";

struct Fixture {
  TempDir dir;
  common::ManualClock clock{k0500 + 1000};
  common::StatsRegistry stats;
  AuditOptions options;

  Fixture() {
    options.dir = dir.path() + "/audit";
    options.retry_interval_ms = 10;
  }
  std::unique_ptr<AuditWriter> Open() {
    auto writer = AuditWriter::Open(options, clock, stats);
    REQUIRE(writer.ok());
    return std::move(*writer);
  }
  std::string File(const std::string& name) { return ReadFile(options.dir + name); }
  bool Exists(const std::string& name) { return std::filesystem::exists(options.dir + name); }
  double Stat(const std::string& name) {
    for (const auto& s : stats.Snapshot()) {
      if (s.name == name) return s.value;
    }
    return -1;
  }
};

std::vector<AuditEntry> Lines(int64_t received, std::initializer_list<const char*> lines) {
  std::vector<AuditEntry> entries;
  for (const char* line : lines) entries.push_back({received, line});
  return entries;
}

// Submits and waits for the callback.
common::Status Write(AuditWriter& writer, std::vector<AuditEntry> entries) {
  std::promise<common::Status> done;
  writer.Submit(std::move(entries), [&](const common::Status& s) { done.set_value(s); });
  return done.get_future().get();
}

TEST_CASE("lines go to the file of the hour they were received in") {
  Fixture f;
  auto writer = f.Open();
  REQUIRE(Write(*writer, Lines(k0500 + 5, {"a", "b"})).ok());
  REQUIRE(Write(*writer, Lines(k0500 + 6, {"c"})).ok());
  REQUIRE(writer->Sync().ok());
  CHECK(f.File(k05) == "a\nb\nc\n");
  CHECK(f.Stat("audit.lines_written") == 3);
}

TEST_CASE("the hour rolls at the UTC boundary: file closed, synced, marked complete") {
  Fixture f;
  auto writer = f.Open();
  f.clock.SetMicros(k0500 + kHourMicros - 1);
  REQUIRE(Write(*writer, Lines(f.clock.NowMicros(), {"last of 05"})).ok());
  CHECK_FALSE(f.Exists(k05 + ".complete"));
  f.clock.SetMicros(k0500 + kHourMicros);  // 06:00:00.000000, no traffic
  REQUIRE(writer->Sync().ok());
  CHECK(f.Exists(k05 + ".complete"));
  CHECK(f.File(k05 + ".complete").find(R"("lines":1)") != std::string::npos);
  REQUIRE(Write(*writer, Lines(f.clock.NowMicros(), {"first of 06"})).ok());
  REQUIRE(writer->Sync().ok());
  CHECK(f.File(k05) == "last of 05\n");
  CHECK(f.File(k06) == "first of 06\n");
  CHECK_FALSE(f.Exists(k06 + ".complete"));
  CHECK(f.Stat("audit.files_completed") == 1);
}

TEST_CASE("one batch spanning the boundary is split between the two files") {
  Fixture f;
  auto writer = f.Open();
  std::vector<AuditEntry> entries = {{k0500 + kHourMicros - 1, "05"}, {k0500 + kHourMicros, "06"}};
  REQUIRE(Write(*writer, std::move(entries)).ok());
  REQUIRE(writer->Sync().ok());
  CHECK(f.File(k05) == "05\n");
  CHECK(f.File(k06) == "06\n");
  CHECK(f.Exists(k05 + ".complete"));
}

TEST_CASE("a line that raced a closed hour goes to the open one, counted") {
  Fixture f;
  auto writer = f.Open();
  f.clock.SetMicros(k0500 + kHourMicros + 10);
  REQUIRE(Write(*writer, Lines(k0500 + kHourMicros + 5, {"06"})).ok());
  REQUIRE(Write(*writer, Lines(k0500 + kHourMicros - 5, {"late 05"})).ok());
  REQUIRE(writer->Sync().ok());
  CHECK(f.File(k06) == "06\nlate 05\n");
  CHECK_FALSE(f.Exists(k05));
  CHECK(f.Stat("audit.late_lines") == 1);
}

TEST_CASE("batches from many threads stay whole and in order per submitter") {
  Fixture f;
  auto writer = f.Open();
  constexpr int kThreads = 4, kBatches = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<AuditEntry> entries;
        for (int i = 0; i < 3; ++i) {
          entries.push_back({k0500, "t" + std::to_string(t) + " " + std::to_string(b * 3 + i)});
        }
        REQUIRE(Write(*writer, std::move(entries)).ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  REQUIRE(writer->Sync().ok());
  std::istringstream lines(f.File(k05));
  std::vector<int> next(kThreads, 0);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    const int t = line[1] - '0';
    CHECK(std::stoi(line.substr(3)) == next[t]++);
    ++count;
  }
  CHECK(count == kThreads * kBatches * 3);
}

TEST_CASE("restart after a crash: torn line cut, appended after it, past hours completed") {
  Fixture f;
  std::filesystem::create_directories(f.options.dir);
  WriteFile(f.options.dir + "/audit-20261121T0400Z.log", "old 1\nold 2\nold 3 torn");
  WriteFile(f.options.dir + k05, "{\"a\":1}\n{\"b\":");
  auto writer = f.Open();
  CHECK(f.Stat("audit.torn_lines_repaired") == 2);
  CHECK(f.File("/audit-20261121T0400Z.log") == "old 1\nold 2\n");
  CHECK(f.Exists("/audit-20261121T0400Z.log.complete"));
  CHECK_FALSE(f.Exists(k05 + ".complete"));
  REQUIRE(Write(*writer, Lines(k0500 + 10, {"{\"c\":3}"})).ok());
  REQUIRE(writer->Sync().ok());
  CHECK(f.File(k05) == "{\"a\":1}\n{\"c\":3}\n");
}

TEST_CASE("Close(kComplete) seals the partial hour; a restart writes segment -2") {
  Fixture f;
  auto writer = f.Open();
  REQUIRE(Write(*writer, Lines(k0500 + 10, {"before"})).ok());
  REQUIRE(writer->Close(AuditWriter::CloseMode::kComplete).ok());
  CHECK(f.Exists(k05 + ".complete"));
  writer = f.Open();
  REQUIRE(Write(*writer, Lines(k0500 + 20, {"after"})).ok());
  REQUIRE(writer->Close().ok());
  CHECK(f.File(k05) == "before\n");
  CHECK(f.File("/audit-20261121T0500Z-2.log") == "after\n");
  CHECK_FALSE(f.Exists("/audit-20261121T0500Z-2.log.complete"));
  // Keep-open close: the same file is appended to after a restart.
  writer = f.Open();
  REQUIRE(Write(*writer, Lines(k0500 + 30, {"again"})).ok());
  writer.reset();
  CHECK(f.File("/audit-20261121T0500Z-2.log") == "after\nagain\n");
}

TEST_CASE("fsync modes") {
  Fixture f;
  SECTION("always: every batch is fsynced before its callback") {
    f.options.fsync = FsyncMode::kAlways;
    auto writer = f.Open();
    for (int i = 0; i < 5; ++i) REQUIRE(Write(*writer, Lines(k0500, {"x"})).ok());
    CHECK(f.Stat("audit.fsyncs") >= 5);
  }
  SECTION("never: no fsync until Sync or close") {
    f.options.fsync = FsyncMode::kNever;
    auto writer = f.Open();
    for (int i = 0; i < 5; ++i) REQUIRE(Write(*writer, Lines(k0500, {"x"})).ok());
    CHECK(f.Stat("audit.fsyncs") == 0);
    REQUIRE(writer->Sync().ok());
    CHECK(f.Stat("audit.fsyncs") == 1);
  }
  SECTION("interval: dirty files are fsynced in the background") {
    f.options.fsync = FsyncMode::kInterval;
    f.options.fsync_interval_ms = 20;
    auto writer = f.Open();
    REQUIRE(Write(*writer, Lines(k0500, {"x"})).ok());
    for (int i = 0; i < 500 && f.Stat("audit.fsyncs") < 1; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(f.Stat("audit.fsyncs") >= 1);
  }
}

// RLIMIT_FSIZE makes writes past the limit fail (EFBIG), like a full disk.
struct FileSizeLimit {
  rlimit saved{};
  explicit FileSizeLimit(rlim_t bytes) {
    signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &saved);
    rlimit limit = saved;
    limit.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &limit);
  }
  void Lift() { setrlimit(RLIMIT_FSIZE, &saved); }
  ~FileSizeLimit() { Lift(); }
};

TEST_CASE("disk full: no half line, input held back, recovers by itself") {
  Fixture f;
  auto writer = f.Open();
  REQUIRE(Write(*writer, Lines(k0500, {"first line"})).ok());
  FileSizeLimit limit(20);
  std::promise<common::Status> done;
  auto future = done.get_future();
  writer->Submit(Lines(k0500, {"second line is long", "third"}),
                 [&](const common::Status& s) { done.set_value(s); });
  for (int i = 0; i < 500 && f.Stat("audit.paused") != 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(f.Stat("audit.paused") == 1);
  CHECK(f.Stat("audit.write_errors") >= 1);
  CHECK(future.wait_for(std::chrono::milliseconds(50)) == std::future_status::timeout);
  CHECK(f.File(k05) == "first line\n");  // the partial write was cut back
  REQUIRE(f.stats.Health().size() == 1);
  CHECK(f.stats.Health()[0].state == common::HealthState::kDegraded);
  limit.Lift();
  REQUIRE(future.get().ok());
  CHECK(f.File(k05) == "first line\nsecond line is long\nthird\n");
  CHECK(f.Stat("audit.paused") == 0);
  CHECK(f.stats.Health()[0].state == common::HealthState::kOk);
}

TEST_CASE("FailPending gives up on held batches; Close fails later submits") {
  Fixture f;
  auto writer = f.Open();
  REQUIRE(Write(*writer, Lines(k0500, {"ok"})).ok());
  {
    FileSizeLimit limit(3);
    std::promise<common::Status> done;
    writer->Submit(Lines(k0500, {"never written"}),
                   [&](const common::Status& s) { done.set_value(s); });
    for (int i = 0; i < 500 && f.Stat("audit.paused") != 1; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    writer->FailPending();
    CHECK_FALSE(done.get_future().get().ok());
  }
  (void)writer->Close();
  CHECK_FALSE(Write(*writer, Lines(k0500, {"late"})).ok());
  CHECK(f.File(k05) == "ok\n");
}

TEST_CASE("an unwritable directory fails Open with one clear line") {
  Fixture f;
  WriteFile(f.dir.path() + "/file", "");
  f.options.dir = f.dir.path() + "/file/audit";
  auto writer = AuditWriter::Open(f.options, f.clock, f.stats);
  REQUIRE_FALSE(writer.ok());
  CHECK(writer.status().message().find("cannot create audit directory") != std::string::npos);
}

}  // namespace
}  // namespace hourglass::archive
