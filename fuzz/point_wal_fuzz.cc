// Fuzz target: arbitrary bytes as the only WAL segment (store/point_wal.h),
// replayed, then appended to and replayed again. Input: one mode byte, then
// the segment. Mode bit 0 rewrites each record's CRC-32C to match its
// payload (walking the length fields) so the payload parser is reached.
// Checks: replay of a last segment never fails on corruption (it cuts the
// tail), keeps what it did not drop, allocates within the bound, and the
// repaired log takes an append and replays clean.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "fuzz/fuzz_check.h"
#include "store/point_wal.h"

namespace store = hourglass::store;

namespace {

const std::string& Dir() {
  static const std::string dir = [] {
    const char* base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
    std::string pattern = std::string(base) + "/hg-wal-fuzz-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    return pattern;
  }();
  return dir;
}

void FixCrcs(std::string& segment) {
  size_t offset = 0;
  while (segment.size() - offset >= 8) {
    uint32_t length = 0;
    for (int i = 0; i < 4; ++i) {
      length |= uint32_t{static_cast<unsigned char>(segment[offset + i])} << (8 * i);
    }
    if (segment.size() - offset - 8 < length) return;
    const uint32_t crc = store::Crc32c(std::string_view(segment).substr(offset + 8, length));
    for (int i = 0; i < 4; ++i) segment[offset + 4 + i] = static_cast<char>(crc >> (8 * i));
    offset += 8 + length;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string segment(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) FixCrcs(segment);
  const std::string dir = Dir();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/" + store::WalSegmentName(1);
  {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    FUZZ_CHECK(fd >= 0);
    FUZZ_CHECK(::write(fd, segment.data(), segment.size()) == static_cast<ssize_t>(segment.size()));
    ::close(fd);
  }
  store::PointWalOptions options;
  options.fsync = store::WalFsync::kNever;
  uint64_t points = 0;
  auto stats =
      store::PointWal::Replay(dir, options, [&](uint64_t, std::span<const store::WalPoint> batch) {
        points += batch.size();
        return hourglass::common::Status::Ok();
      });
  if (!stats.ok()) return 0;  // a sequence error (a valid record out of order)
  FUZZ_CHECK(stats->dropped_bytes <= segment.size());
  FUZZ_CHECK(std::filesystem::file_size(path) == segment.size() - stats->dropped_bytes);
  FUZZ_CHECK(points == stats->points);
  FUZZ_CHECK(points * 17 <= segment.size());
  // The repaired log takes a record and replays without dropping anything.
  {
    auto wal = store::PointWal::Open(dir, options);
    FUZZ_CHECK(wal.ok());
    const store::WalPoint point{7, -3, 0.5};
    auto seq = wal->Append({&point, 1});
    FUZZ_CHECK(seq.ok() && *seq == stats->next_sequence);
  }
  auto again = store::PointWal::Replay(dir, options, {});
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->dropped_bytes == 0);
  FUZZ_CHECK(again->records == stats->records + 1);
  return 0;
}
