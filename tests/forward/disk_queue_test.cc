#include "forward/disk_queue.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "tests/store/crashing_child.h"
#include "tests/store/temp_dir.h"

namespace hourglass::forward {
namespace {

using store::testing::TempDir;

// Lines of exactly `bytes` bytes (a record is 20 bytes more): `points` lines.
std::string Lines(size_t bytes, int points, char fill) {
  std::string out;
  const size_t each = bytes / points;
  for (int i = 0; i < points; ++i) {
    const size_t n = i + 1 == points ? bytes - out.size() : each;
    out += std::string(n - 1, fill) + "\n";
  }
  return out;
}

std::string ReadAll(DiskQueue& q, uint64_t* points = nullptr) {
  std::string all;
  for (;;) {
    auto batch = q.Read(1 << 20);
    REQUIRE(batch.ok());
    if (batch->end == q.read_position()) return all;
    all += batch->lines;
    if (points) *points += batch->points;
    q.MarkSent(batch->end, batch->points);
    q.Ack(batch->end, batch->points);
  }
}

TEST_CASE("queued lines come back in order and the acked ones not after a restart") {
  TempDir dir;
  DiskQueueOptions options{.cursor_interval_micros = 0};
  {
    auto q = DiskQueue::Open(dir.path(), options);
    REQUIRE(q.ok());
    REQUIRE((*q)->Append("a 1 10\n", 1).ok());
    REQUIRE((*q)->Append("b 2 10\nc 3 10\n", 2).ok());
    auto first = (*q)->Read(1);  // at least one whole record
    REQUIRE(first.ok());
    CHECK(first->lines == "a 1 10\n");
    CHECK(first->points == 1);
    (*q)->MarkSent(first->end, first->points);
    (*q)->Ack(first->end, first->points);
    auto second = (*q)->Read(1 << 20);
    REQUIRE(second.ok());
    CHECK(second->lines == "b 2 10\nc 3 10\n");
    (*q)->MarkSent(second->end, second->points);  // sent, never acked
  }
  auto q = DiskQueue::Open(dir.path(), options);
  REQUIRE(q.ok());
  uint64_t points = 0;
  CHECK(ReadAll(**q, &points) == "b 2 10\nc 3 10\n");  // at least once
  CHECK(points == 2);
  REQUIRE((*q)->Append("d 4 10\n", 1).ok());
  CHECK(ReadAll(**q) == "d 4 10\n");
}

TEST_CASE("a rewind sends again what was read but not acked") {
  TempDir dir;
  auto q = DiskQueue::Open(dir.path(), {});
  REQUIRE(q.ok());
  REQUIRE((*q)->Append("a 1 10\n", 1).ok());
  auto batch = (*q)->Read(1 << 20);
  (*q)->MarkSent(batch->end, batch->points);
  CHECK((*q)->Counts().unsent_bytes == 0);
  (*q)->Rewind();
  CHECK((*q)->Counts().unsent_bytes > 0);
  CHECK(ReadAll(**q) == "a 1 10\n");
}

TEST_CASE("a torn tail is cut off at open and the whole records kept") {
  TempDir dir;
  {
    auto q = DiskQueue::Open(dir.path(), {});
    REQUIRE(q.ok());
    REQUIRE((*q)->Append("a 1 10\n", 1).ok());
    REQUIRE((*q)->Append("b 2 10\n", 1).ok());
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (entry.path().extension() == ".q") {
      std::ofstream(entry.path(), std::ios::app).write("\x20\x00\x00", 3);  // a partial header
    }
  }
  auto q = DiskQueue::Open(dir.path(), {});
  REQUIRE(q.ok());
  CHECK((*q)->Counts().repaired_bytes == 3);
  CHECK(ReadAll(**q) == "a 1 10\nb 2 10\n");
  REQUIRE((*q)->Append("c 3 10\n", 1).ok());
  CHECK(ReadAll(**q) == "c 3 10\n");
}

TEST_CASE("at the bound the oldest segment goes and its unsent points are counted") {
  TempDir dir;
  // 1 KiB records, 4 to a segment, 8 in the bound.
  DiskQueueOptions options{.max_bytes = 8192, .segment_bytes = 4096};
  auto q = DiskQueue::Open(dir.path(), options);
  REQUIRE(q.ok());
  for (int i = 0; i < 8; ++i) REQUIRE((*q)->Append(Lines(1024 - 20, 4, 'a' + i), 4).ok());
  CHECK((*q)->Counts().disk_bytes == 8192);
  CHECK((*q)->Counts().dropped_points == 0);  // 8 records fit
  REQUIRE((*q)->Append(Lines(1024 - 20, 4, 'i'), 4).ok());
  CHECK((*q)->Counts().dropped_points == 16);  // the 9th drops the first segment
  CHECK((*q)->Counts().disk_bytes == 5 * 1024);
  const std::string left = ReadAll(**q);
  CHECK(left.size() == 5 * 1004);
  CHECK(left.front() == 'e');  // the oldest kept is the 5th record
  CHECK(left.back() == '\n');

  // A record larger than the whole bound is refused and counted.
  CHECK_FALSE((*q)->Append(std::string(9000, 'x'), 7).ok());
  CHECK((*q)->Counts().dropped_points == 23);
}

TEST_CASE("points already sent are not counted as dropped at the bound") {
  TempDir dir;
  DiskQueueOptions options{.max_bytes = 8192, .segment_bytes = 4096};
  auto q = DiskQueue::Open(dir.path(), options);
  REQUIRE(q.ok());
  for (int i = 0; i < 4; ++i) REQUIRE((*q)->Append(Lines(1004, 4, 'a'), 4).ok());
  auto batch = (*q)->Read(2000);  // two records, sent, not acked
  REQUIRE(batch->points == 8);
  (*q)->MarkSent(batch->end, batch->points);
  for (int i = 0; i < 5; ++i) REQUIRE((*q)->Append(Lines(1004, 4, 'b'), 4).ok());
  CHECK((*q)->Counts().dropped_points == 8);
}

TEST_CASE("after a kill nothing appended is lost; what was acked since the cursor comes again") {
  TempDir dir;
  store::testing::InCrashingChild([&] {
    // The cursor is written at the first ack, then not within its interval.
    common::ManualClock clock(10'000'000);
    DiskQueueOptions options{.cursor_interval_micros = 1'000'000, .clock = &clock};
    auto q = DiskQueue::Open(dir.path(), options);
    if (!q.ok() || !(*q)->Append("a 1 10\n", 1).ok()) _exit(1);
    auto first = (*q)->Read(1);
    (*q)->MarkSent(first->end, first->points);
    (*q)->Ack(first->end, first->points);  // cursor written: after "a"
    if (!(*q)->Append("b 2 10\n", 1).ok() || !(*q)->Append("c 3 10\n", 1).ok()) _exit(1);
    auto second = (*q)->Read(1);
    (*q)->MarkSent(second->end, second->points);
    (*q)->Ack(second->end, second->points);  // within the interval: cursor not written
    _exit(0);                                // killed: no Close
  });
  auto q = DiskQueue::Open(dir.path(), {});
  REQUIRE(q.ok());
  CHECK(ReadAll(**q) == "b 2 10\nc 3 10\n");
}

}  // namespace
}  // namespace hourglass::forward
