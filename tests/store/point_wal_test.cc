#include "store/point_wal.h"

#include <sys/resource.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "tests/store/temp_dir.h"

namespace hourglass::store {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

struct Record {
  uint64_t seq;
  std::vector<WalPoint> points;
};

bool Same(const WalPoint& a, const WalPoint& b) {
  return a.series_id == b.series_id && a.timestamp == b.timestamp &&
         std::memcmp(&a.value, &b.value, sizeof(double)) == 0;
}
bool Same(const std::vector<WalPoint>& a, const std::vector<WalPoint>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!Same(a[i], b[i])) return false;
  }
  return true;
}

// Batch `i`: 1 + i % 7 points with awkward timestamps and values.
std::vector<WalPoint> Batch(uint64_t i) {
  std::vector<WalPoint> points;
  for (uint64_t k = 0; k <= i % 7; ++k) {
    WalPoint p;
    p.series_id = i * 1'000'003 + k;
    p.timestamp = 1'700'000'000 + static_cast<int64_t>(i * 10 + k) - (k == 3 ? 5000 : 0);
    p.value = static_cast<double>(i) / 3.0 - static_cast<double>(k);
    points.push_back(p);
  }
  if (i % 5 == 0) points.push_back({~0ull, std::numeric_limits<int64_t>::min(), -0.0});
  if (i % 5 == 1) {
    points.push_back({0, std::numeric_limits<int64_t>::max(), std::nan("7")});
  }
  return points;
}

common::Result<WalReplayStats> ReplayAll(const std::string& dir, const PointWalOptions& options,
                                         std::vector<Record>& out) {
  out.clear();
  return PointWal::Replay(dir, options, [&](uint64_t seq, std::span<const WalPoint> points) {
    out.push_back({seq, {points.begin(), points.end()}});
    return common::Status::Ok();
  });
}

std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

PointWalOptions SmallSegments() {
  PointWalOptions options;
  options.fsync = WalFsync::kNever;
  options.segment_bytes = 1000;
  return options;
}

// Writes batches 0..n-1 and returns the file size after each record of the
// last segment (offsets where records end).
void WriteBatches(const std::string& dir, const PointWalOptions& options, uint64_t n) {
  auto wal = PointWal::Open(dir, options);
  REQUIRE(wal.ok());
  for (uint64_t i = 0; i < n; ++i) {
    auto seq = wal->Append(Batch(i));
    REQUIRE(seq.ok());
    REQUIRE(*seq == i + 1);
  }
}

TEST_CASE("PointWal round-trips many batches across segment rotations", "[store][wal]") {
  TempDir dir;
  const auto options = SmallSegments();
  WriteBatches(dir.path(), options, 200);
  CHECK(SegmentFiles(dir.path()).size() > 5);
  CHECK(fs::path(SegmentFiles(dir.path()).front()).filename() == "wal-0000000000000001.log");

  std::vector<Record> records;
  auto stats = ReplayAll(dir.path(), options, records);
  REQUIRE(stats.ok());
  CHECK(stats->dropped_bytes == 0);
  CHECK(stats->next_sequence == 201);
  REQUIRE(records.size() == 200);
  for (uint64_t i = 0; i < 200; ++i) {
    CHECK(records[i].seq == i + 1);
    CHECK(Same(records[i].points, Batch(i)));
  }
  // Reopen and continue: sequences carry on, and the whole log still replays.
  {
    auto wal = PointWal::Open(dir.path(), options);
    REQUIRE(wal.ok());
    auto seq = wal->Append(Batch(200));
    REQUIRE(seq.ok());
    CHECK(*seq == 201);
  }
  REQUIRE(ReplayAll(dir.path(), options, records).ok());
  CHECK(records.size() == 201);
}

TEST_CASE("PointWal syncs under always and interval", "[store][wal]") {
  for (WalFsync policy : {WalFsync::kAlways, WalFsync::kInterval}) {
    TempDir dir;
    common::ManualClock clock(1);
    PointWalOptions options = SmallSegments();
    options.fsync = policy;
    options.clock = &clock;
    auto wal = PointWal::Open(dir.path(), options);
    REQUIRE(wal.ok());
    for (uint64_t i = 0; i < 30; ++i) {
      REQUIRE(wal->Append(Batch(i)).ok());
      clock.AdvanceMicros(300'000);
    }
    // always: one fdatasync per record. interval (1 s, 0.3 s between
    // appends): one every fourth append. Rotations sync what is dirty.
    if (policy == WalFsync::kAlways) {
      CHECK(wal->sync_count() == 30);
    } else {
      CHECK(wal->sync_count() >= 30 / 4);
      CHECK(wal->sync_count() < 30 / 2);
    }
    REQUIRE(wal->Sync().ok());
    std::vector<Record> records;
    REQUIRE(ReplayAll(dir.path(), options, records).ok());
    CHECK(records.size() == 30);
  }
  TempDir dir;
  auto wal = PointWal::Open(dir.path(), SmallSegments());
  REQUIRE(wal.ok());
  for (uint64_t i = 0; i < 30; ++i) REQUIRE(wal->Append(Batch(i)).ok());
  CHECK(wal->sync_count() == 0);  // never
  CHECK(ParseWalFsync("interval") == WalFsync::kInterval);
  CHECK_FALSE(ParseWalFsync("sometimes").has_value());
}

TEST_CASE("PointWal replay cuts a torn last record at every byte offset", "[store][wal]") {
  TempDir dir;
  const auto options = SmallSegments();
  WriteBatches(dir.path(), options, 40);
  const std::string last = SegmentFiles(dir.path()).back();
  // Where the last record starts: replay all but it from a copy.
  const auto full_size = fs::file_size(last);
  const size_t last_record = 8 + PointWal::EncodedPayloadSize(Batch(39));
  const auto cut_point = full_size - last_record;
  REQUIRE(cut_point > 0);  // the last segment holds earlier records too
  std::string saved(full_size, '\0');
  std::ifstream(last, std::ios::binary).read(saved.data(), static_cast<std::streamsize>(full_size));

  for (size_t keep = 0; keep < last_record; ++keep) {
    INFO("bytes of the last record kept: " << keep);
    {
      std::ofstream out(last, std::ios::binary | std::ios::trunc);
      out.write(saved.data(), static_cast<std::streamsize>(cut_point + keep));
    }
    std::vector<Record> records;
    auto stats = ReplayAll(dir.path(), options, records);
    REQUIRE(stats.ok());
    REQUIRE(records.size() == 39);
    CHECK(Same(records.back().points, Batch(38)));
    CHECK(stats->dropped_bytes == keep);
    CHECK(fs::file_size(last) == cut_point);
    // Appending works again and takes the dropped record's sequence.
    auto wal = PointWal::Open(dir.path(), options);
    REQUIRE(wal.ok());
    auto seq = wal->Append(Batch(39));
    REQUIRE(seq.ok());
    CHECK(*seq == 40);
    REQUIRE(ReplayAll(dir.path(), options, records).ok());
    REQUIRE(records.size() == 40);
    CHECK(Same(records.back().points, Batch(39)));
    CHECK(fs::file_size(last) == full_size);
  }
}

void FlipByte(const std::string& path, uint64_t offset) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x40);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

TEST_CASE("PointWal replay refuses a flipped byte in a middle segment, naming it", "[store][wal]") {
  TempDir dir;
  const auto options = SmallSegments();
  WriteBatches(dir.path(), options, 100);
  const auto files = SegmentFiles(dir.path());
  REQUIRE(files.size() >= 3);
  const std::string middle = files[files.size() / 2];
  const auto size_before = fs::file_size(middle);
  FlipByte(middle, size_before / 2);
  std::vector<Record> records;
  auto stats = ReplayAll(dir.path(), options, records);
  REQUIRE_FALSE(stats.ok());
  CHECK_THAT(stats.status().message(), Catch::Contains(middle));
  CHECK_THAT(stats.status().message(), Catch::Contains("offset"));
  CHECK(fs::file_size(middle) == size_before);  // nothing cut
  CHECK_FALSE(PointWal::Open(dir.path(), options).ok());
}

TEST_CASE("PointWal replay cuts the last segment at its first corrupt record", "[store][wal]") {
  // docs/STORE.md: point-in-time recovery. A corrupt record in the last
  // segment ends the log there, even with intact records after it (an unsynced
  // tail can come back with any of its pages missing); the cut is counted.
  TempDir dir;
  const auto options = SmallSegments();
  WriteBatches(dir.path(), options, 40);
  const std::string last = SegmentFiles(dir.path()).back();
  const uint64_t first = *ParseWalSegmentName(fs::path(last).filename().string());
  const auto size = fs::file_size(last);
  REQUIRE(first < 40);    // the last segment holds several records
  FlipByte(last, 8 + 3);  // in the sequence number of its first record
  std::vector<Record> records;
  auto stats = ReplayAll(dir.path(), options, records);
  REQUIRE(stats.ok());
  CHECK(records.size() == first - 1);
  CHECK(stats->dropped_bytes == size);
  CHECK_THAT(stats->dropped_reason, Catch::Contains("CRC mismatch at offset 0"));
  CHECK(fs::file_size(last) == 0);
  auto wal = PointWal::Open(dir.path(), options);
  REQUIRE(wal.ok());
  CHECK(*wal->Append(Batch(0)) == first);
}

TEST_CASE("PointWal replay refuses a missing segment (sequence gap)", "[store][wal]") {
  TempDir dir;
  const auto options = SmallSegments();
  WriteBatches(dir.path(), options, 100);
  const auto files = SegmentFiles(dir.path());
  REQUIRE(files.size() >= 3);
  fs::remove(files[1]);
  std::vector<Record> records;
  auto stats = ReplayAll(dir.path(), options, records);
  REQUIRE_FALSE(stats.ok());
  CHECK_THAT(stats.status().message(), Catch::Contains(files[2]));
  CHECK_THAT(stats.status().message(), Catch::Contains("expected"));
}

TEST_CASE("PointWal DeleteBefore removes exactly the covered segments", "[store][wal]") {
  TempDir dir;
  const auto options = SmallSegments();
  auto wal = PointWal::Open(dir.path(), options);
  REQUIRE(wal.ok());
  for (uint64_t i = 0; i < 100; ++i) REQUIRE(wal->Append(Batch(i)).ok());
  const auto files = SegmentFiles(dir.path());
  REQUIRE(files.size() >= 3);
  const uint64_t second = *ParseWalSegmentName(fs::path(files[1]).filename().string());
  const uint64_t third = *ParseWalSegmentName(fs::path(files[2]).filename().string());

  // seq = first of segment 2: segment 1 (all < second) goes, segment 2 stays.
  auto removed = wal->DeleteBefore(second);
  REQUIRE(removed.ok());
  CHECK(*removed == 1);
  CHECK(SegmentFiles(dir.path()) == std::vector<std::string>(files.begin() + 1, files.end()));
  // One short of the third segment's start: segment 2 still holds third - 1.
  REQUIRE(wal->DeleteBefore(third - 1).ok());
  CHECK(SegmentFiles(dir.path()).size() == files.size() - 1);
  // Past everything: every segment but the active one goes.
  removed = wal->DeleteBefore(1'000'000);
  REQUIRE(removed.ok());
  CHECK(*removed == files.size() - 2);
  CHECK(SegmentFiles(dir.path()) == std::vector<std::string>{files.back()});
  REQUIRE(wal->Append(Batch(100)).ok());

  std::vector<Record> records;
  auto stats = ReplayAll(dir.path(), options, records);
  REQUIRE(stats.ok());
  REQUIRE_FALSE(records.empty());
  CHECK(records.front().seq == *ParseWalSegmentName(fs::path(files.back()).filename().string()));
  CHECK(records.back().seq == 101);
}

TEST_CASE("PointWal on an empty directory replays nothing and starts at first_sequence",
          "[store][wal]") {
  TempDir dir;
  PointWalOptions options = SmallSegments();
  std::vector<Record> records;
  auto stats = ReplayAll(dir.path(), options, records);
  REQUIRE(stats.ok());
  CHECK(stats->records == 0);
  CHECK(stats->segments == 0);
  CHECK(stats->next_sequence == 1);
  options.first_sequence = 500;
  auto wal = PointWal::Open(dir.path() + "/sub", options);
  REQUIRE(wal.ok());
  CHECK(wal->next_sequence() == 500);
  auto seq = wal->Append(Batch(1));
  REQUIRE(seq.ok());
  CHECK(*seq == 500);
  CHECK(fs::exists(dir.path() + "/sub/wal-00000000000001f4.log"));
  // An empty batch is a record too.
  CHECK(*wal->Append({}) == 501);
  REQUIRE(ReplayAll(dir.path() + "/sub", options, records).ok());
  REQUIRE(records.size() == 2);
  CHECK(records[1].points.empty());
}

TEST_CASE("PointWal takes a record at the size limit and refuses one byte over", "[store][wal]") {
  TempDir dir;
  const auto batch = Batch(6);
  const size_t size = PointWal::EncodedPayloadSize(batch);
  PointWalOptions options = SmallSegments();
  options.max_record_bytes = static_cast<uint32_t>(size);
  {
    auto wal = PointWal::Open(dir.path(), options);
    REQUIRE(wal.ok());
    CHECK(wal->Append(batch).ok());
    options.max_record_bytes = static_cast<uint32_t>(size - 1);
    auto over = PointWal::Open(dir.path() + "/b", options);
    REQUIRE(over.ok());
    auto refused = over->Append(batch);
    REQUIRE_FALSE(refused.ok());
    CHECK_THAT(refused.status().message(), Catch::Contains("limit"));
    CHECK(over->next_sequence() == 1);
  }
  std::vector<Record> records;
  options.max_record_bytes = static_cast<uint32_t>(size);
  REQUIRE(ReplayAll(dir.path(), options, records).ok());
  CHECK(records.size() == 1);
  // Replay with a bound one byte lower: the record is corrupt (the last
  // segment's tail, so cut off), never read into memory.
  options.max_record_bytes = static_cast<uint32_t>(size - 1);
  auto stats = ReplayAll(dir.path(), options, records);
  REQUIRE(stats.ok());
  CHECK(records.empty());
  CHECK(stats->dropped_bytes == 8 + size);
  CHECK_THAT(stats->dropped_reason, Catch::Contains("length"));
}

TEST_CASE("PointWal leaves the log replayable after a failed write", "[store][wal]") {
  // RLIMIT_FSIZE makes write() stop short of a record (then EFBIG), as a full
  // disk does with ENOSPC.
  TempDir dir;
  PointWalOptions options = SmallSegments();
  options.segment_bytes = 1 << 20;
  auto wal = PointWal::Open(dir.path(), options);
  REQUIRE(wal.ok());
  for (uint64_t i = 0; i < 5; ++i) REQUIRE(wal->Append(Batch(i)).ok());
  const std::string path = SegmentFiles(dir.path()).back();
  const auto size = fs::file_size(path);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit old_limit{};
  REQUIRE(getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
  rlimit limit = old_limit;
  limit.rlim_cur = size + 20;  // room for part of the next record
  REQUIRE(setrlimit(RLIMIT_FSIZE, &limit) == 0);
  auto failed = wal->Append(Batch(5));
  REQUIRE(setrlimit(RLIMIT_FSIZE, &old_limit) == 0);
  std::signal(SIGXFSZ, old_handler);
  REQUIRE_FALSE(failed.ok());
  CHECK_THAT(failed.status().message(), Catch::Contains(path));
  CHECK(fs::file_size(path) == size);  // the partial record was cut back
  auto seq = wal->Append(Batch(5));
  REQUIRE(seq.ok());
  CHECK(*seq == 6);
  std::vector<Record> records;
  auto stats = ReplayAll(dir.path(), options, records);
  REQUIRE(stats.ok());
  CHECK(stats->dropped_bytes == 0);
  REQUIRE(records.size() == 6);
  CHECK(Same(records[5].points, Batch(5)));
}

TEST_CASE("Crc32c and segment names", "[store][wal]") {
  CHECK(Crc32c("123456789") == 0xE3069283u);
  CHECK(Crc32c("") == 0u);
  CHECK(WalSegmentName(255) == "wal-00000000000000ff.log");
  CHECK(ParseWalSegmentName("wal-00000000000000ff.log") == 255u);
  CHECK_FALSE(ParseWalSegmentName("wal-00000000000000FF.log").has_value());
  CHECK_FALSE(ParseWalSegmentName("wal-00000000000000ff.log.tmp").has_value());
}

}  // namespace
}  // namespace hourglass::store
