#include "store/point_wal.h"

// DESIGN: byte layout. A segment file is a sequence of records, nothing else
// (no file header: the name carries the first record's sequence number).
//   record  = u32 payload length (LE) | u32 CRC-32C of the payload (LE) | payload
//   payload = u64 sequence (LE) | varint count | count x entry
//   entry   = u64 series id (LE) | zigzag varint timestamp delta | 8 bytes value
// The first entry's delta is from 0 (its absolute timestamp), every later one
// from the previous entry's timestamp in the same record (wrapping int64
// arithmetic, so any timestamps round-trip). The value is the double's bit
// pattern as a u64 LE (NaN payloads, -0 kept). Varints are LEB128, at most 10
// bytes. A payload is at least 9 bytes and at most max_record_bytes, and is
// parsed exactly to its end (trailing bytes are corruption).
// Sequence numbers are consecutive across segments; a segment's first record
// has the sequence of its name. CRC-32C is computed here (SSE4.2 instruction
// when the CPU has it, else a byte table): RocksDB's crc32c is not in its
// public headers.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include <fmt/format.h>

#include "common/atomic_file.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace hourglass::store {
namespace {

using common::Status;

constexpr size_t kHeaderBytes = 8;
constexpr size_t kMinPayload = 9;  // sequence + a one-byte count
constexpr size_t kMinEntry = 17;   // id + one-byte delta + value

Status Errno(std::string_view what, const std::string& path) {
  return Status::Error(fmt::format("wal: {} {}: {}", what, path, std::strerror(errno)));
}

constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr auto kCrcTable = MakeCrcTable();

uint32_t Crc32cTable(const unsigned char* p, size_t n, uint32_t crc) {
  for (size_t i = 0; i < n; ++i) crc = kCrcTable[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t Crc32cHw(const unsigned char* p, size_t n,
                                                    uint32_t crc) {
  uint64_t c = crc;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  for (; n > 0; ++p, --n) c32 = _mm_crc32_u8(c32, *p);
  return c32;
}
const bool kHaveSse42 = __builtin_cpu_supports("sse4.2");
#endif

void PutFixed32(std::string& out, uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out.append(b, 4);
}
void PutFixed64(std::string& out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out.append(b, 8);
}
uint64_t GetFixed(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}
void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) v >>= 7, ++n;
  return n;
}
bool GetVarint(std::string_view in, size_t& pos, uint64_t& out) {
  out = 0;
  for (int shift = 0; shift < 70 && pos < in.size(); shift += 7) {
    const auto byte = static_cast<unsigned char>(in[pos++]);
    if (shift == 63 && byte > 1) return false;  // past 64 bits
    out |= uint64_t{byte & 0x7Fu} << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}
uint64_t ZigZag(uint64_t delta) {
  return (delta << 1) ^ static_cast<uint64_t>(static_cast<int64_t>(delta) >> 63);
}
uint64_t UnZigZag(uint64_t z) { return (z >> 1) ^ (~(z & 1) + 1); }

// Appends header + payload of one record to `out`.
void EncodeRecord(uint64_t seq, std::span<const WalPoint> points, std::string& out) {
  const size_t start = out.size();
  out.append(kHeaderBytes, '\0');
  PutFixed64(out, seq);
  PutVarint(out, points.size());
  uint64_t prev = 0;
  for (const WalPoint& p : points) {
    PutFixed64(out, p.series_id);
    const auto ts = static_cast<uint64_t>(p.timestamp);
    PutVarint(out, ZigZag(ts - prev));
    prev = ts;
    uint64_t bits;
    std::memcpy(&bits, &p.value, 8);
    PutFixed64(out, bits);
  }
  const std::string_view payload(out.data() + start + kHeaderBytes,
                                 out.size() - start - kHeaderBytes);
  std::string header;
  PutFixed32(header, static_cast<uint32_t>(payload.size()));
  PutFixed32(header, Crc32c(payload));
  out.replace(start, kHeaderBytes, header);
}

// Parses a payload whose CRC matched; false if it is malformed.
bool DecodePayload(std::string_view in, uint64_t& seq, std::vector<WalPoint>& points) {
  if (in.size() < kMinPayload) return false;
  seq = GetFixed(in.data(), 8);
  size_t pos = 8;
  uint64_t count;
  if (!GetVarint(in, pos, count) || count > (in.size() - pos) / kMinEntry) return false;
  points.resize(count);
  uint64_t prev = 0;
  for (WalPoint& p : points) {
    if (in.size() - pos < 8) return false;
    p.series_id = GetFixed(in.data() + pos, 8);
    pos += 8;
    uint64_t z;
    if (!GetVarint(in, pos, z) || in.size() - pos < 8) return false;
    prev += UnZigZag(z);
    p.timestamp = static_cast<int64_t>(prev);
    const uint64_t bits = GetFixed(in.data() + pos, 8);
    std::memcpy(&p.value, &bits, 8);
    pos += 8;
  }
  return pos == in.size();
}

bool ReadAt(int fd, char* out, size_t n, uint64_t offset) {
  while (n > 0) {
    const ssize_t r = ::pread(fd, out, n, static_cast<off_t>(offset));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    out += r, n -= static_cast<size_t>(r), offset += static_cast<uint64_t>(r);
  }
  return true;
}

}  // namespace

uint32_t Crc32c(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
#if defined(__x86_64__)
  if (kHaveSse42) return ~Crc32cHw(p, bytes.size(), ~0u);
#endif
  return ~Crc32cTable(p, bytes.size(), ~0u);
}

std::optional<WalFsync> ParseWalFsync(std::string_view word) {
  if (word == "always") return WalFsync::kAlways;
  if (word == "interval") return WalFsync::kInterval;
  if (word == "never") return WalFsync::kNever;
  return std::nullopt;
}

std::string WalSegmentName(uint64_t first_sequence) {
  return fmt::format("wal-{:016x}.log", first_sequence);
}

std::optional<uint64_t> ParseWalSegmentName(std::string_view name) {
  if (name.size() != 4 + 16 + 4 || name.substr(0, 4) != "wal-" || name.substr(20) != ".log") {
    return std::nullopt;
  }
  uint64_t v = 0;
  for (char c : name.substr(4, 16)) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return std::nullopt;
    }
    v = (v << 4) | static_cast<uint64_t>(digit);
  }
  return v;
}

size_t PointWal::EncodedPayloadSize(std::span<const WalPoint> points) {
  size_t n = 8 + VarintSize(points.size());
  uint64_t prev = 0;
  for (const WalPoint& p : points) {
    const auto ts = static_cast<uint64_t>(p.timestamp);
    n += 16 + VarintSize(ZigZag(ts - prev));
    prev = ts;
  }
  return n;
}

common::Result<WalReplayStats> PointWal::Replay(const std::string& dir,
                                                const PointWalOptions& options,
                                                const WalReplayFn& fn) {
  std::vector<Segment> segments;
  uint64_t last_size = 0;
  return Scan(dir, options, fn, &segments, &last_size);
}

common::Result<WalReplayStats> PointWal::Scan(const std::string& dir,
                                              const PointWalOptions& options, const WalReplayFn& fn,
                                              std::vector<Segment>* segments,
                                              uint64_t* last_segment_size) {
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (auto seq = ParseWalSegmentName(name)) segments->push_back({*seq, dir + "/" + name});
  }
  if (ec) return Status::Error("wal: cannot list " + dir + ": " + ec.message());
  std::sort(segments->begin(), segments->end(),
            [](const Segment& a, const Segment& b) { return a.first_seq < b.first_seq; });

  WalReplayStats stats;
  stats.next_sequence = options.first_sequence;
  std::optional<uint64_t> expected;  // the next record's sequence
  std::string buffer;
  std::vector<WalPoint> points;
  for (size_t i = 0; i < segments->size(); ++i) {
    const Segment& segment = (*segments)[i];
    const bool last = i + 1 == segments->size();
    if (expected && segment.first_seq != *expected) {
      return Status::Error(fmt::format("wal: segment {} starts at sequence {}, expected {}",
                                       segment.path, segment.first_seq, *expected));
    }
    expected = segment.first_seq;
    common::UniqueFd fd(::open(segment.path.c_str(), (last ? O_RDWR : O_RDONLY) | O_CLOEXEC));
    if (!fd.valid()) return Errno("cannot open", segment.path);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return Errno("cannot stat", segment.path);
    const auto file_size = static_cast<uint64_t>(st.st_size);
    ++stats.segments;
    uint64_t offset = 0;
    std::string_view bad;
    while (offset < file_size) {
      char header[kHeaderBytes];
      if (file_size - offset < kHeaderBytes) {
        bad = "torn record header";
        break;
      }
      if (!ReadAt(fd.get(), header, kHeaderBytes, offset))
        return Errno("cannot read", segment.path);
      const uint64_t length = GetFixed(header, 4);
      const auto crc = static_cast<uint32_t>(GetFixed(header + 4, 4));
      if (length < kMinPayload || length > options.max_record_bytes) {
        bad = "bad record length";
        break;
      }
      if (file_size - offset - kHeaderBytes < length) {
        bad = "torn record";
        break;
      }
      buffer.resize(length);
      if (!ReadAt(fd.get(), buffer.data(), length, offset + kHeaderBytes)) {
        return Errno("cannot read", segment.path);
      }
      uint64_t seq = 0;
      if (Crc32c(buffer) != crc) {
        bad = "CRC mismatch";
        break;
      }
      if (!DecodePayload(buffer, seq, points)) {
        bad = "malformed record";
        break;
      }
      if (seq != *expected) {
        return Status::Error(fmt::format("wal: segment {} offset {}: sequence {}, expected {}",
                                         segment.path, offset, seq, *expected));
      }
      if (fn) {
        if (auto status = fn(seq, points); !status.ok()) return status;
      }
      ++stats.records;
      stats.points += points.size();
      stats.last_sequence = seq;
      ++*expected;
      offset += kHeaderBytes + length;
    }
    if (!bad.empty()) {
      if (!last) {
        return Status::Error(
            fmt::format("wal: segment {} offset {}: {}", segment.path, offset, bad));
      }
      // The tail of the log: a write the crash interrupted. Cut it off.
      if (::ftruncate(fd.get(), static_cast<off_t>(offset)) != 0) {
        return Errno("cannot truncate torn tail of", segment.path);
      }
      if (::fsync(fd.get()) != 0) return Errno("cannot fsync", segment.path);
      stats.dropped_bytes = file_size - offset;
      stats.dropped_reason = fmt::format("{} at offset {} of {}", bad, offset, segment.path);
    }
    if (last) *last_segment_size = offset;
  }
  if (expected) stats.next_sequence = *expected;
  return stats;
}

common::Result<PointWal> PointWal::Open(const std::string& dir, const PointWalOptions& options,
                                        const WalReplayFn& fn) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Error("wal: cannot create " + dir + ": " + ec.message());
  PointWal wal(dir, options);
  uint64_t last_size = 0;
  auto stats = Scan(dir, options, fn, &wal.segments_, &last_size);
  if (!stats.ok()) return stats.status();
  wal.replay_stats_ = *stats;
  wal.next_seq_ = stats->next_sequence;
  if (!wal.segments_.empty()) {
    if (auto status = wal.OpenSegment(wal.segments_.back().path, false); !status.ok()) {
      return status;
    }
    wal.size_ = last_size;
  }
  wal.last_sync_micros_ = wal.NowMicros();
  return wal;
}

int64_t PointWal::NowMicros() const {
  static const common::SystemClock kSystem;
  return (options_.clock != nullptr ? options_.clock : &kSystem)->NowMicros();
}

common::Status PointWal::OpenSegment(const std::string& path, bool create) {
  const int flags = O_WRONLY | O_APPEND | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0);
  common::UniqueFd fd(::open(path.c_str(), flags, 0644));
  if (!fd.valid()) return Errno("cannot open", path);
  fd_ = std::move(fd);
  size_ = 0;
  return Status::Ok();
}

common::Status PointWal::Rotate() {
  if (fd_.valid() && options_.fsync != WalFsync::kNever) {
    if (auto status = Sync(); !status.ok()) return status;
  }
  const std::string path = dir_ + "/" + WalSegmentName(next_seq_);
  if (auto status = OpenSegment(path, true); !status.ok()) return status;
  segments_.push_back({next_seq_, path});
  dirty_ = false;
  if (options_.fsync != WalFsync::kNever) return common::FsyncDir(dir_);
  return Status::Ok();
}

common::Status PointWal::CutBack() {
  if (::ftruncate(fd_.get(), static_cast<off_t>(size_)) != 0) {
    needs_cut_ = true;
    return Errno("cannot cut back", segments_.back().path);
  }
  needs_cut_ = false;
  return Status::Ok();
}

common::Result<uint64_t> PointWal::Append(std::span<const WalPoint> points) {
  const size_t payload = EncodedPayloadSize(points);
  if (payload > options_.max_record_bytes) {
    return Status::Error(fmt::format("wal: batch of {} points is {} bytes, over the {} byte limit",
                                     points.size(), payload, options_.max_record_bytes));
  }
  if (needs_cut_) {
    if (auto status = CutBack(); !status.ok()) return status;
  }
  if (!fd_.valid() || size_ >= options_.segment_bytes) {
    // A segment whose creation failed half way has no record: reuse its name.
    if (!fd_.valid() || size_ > 0) {
      if (auto status = Rotate(); !status.ok()) return status;
    }
  }
  buffer_.clear();
  EncodeRecord(next_seq_, points, buffer_);
  size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_.get(), buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : ENOSPC;
      if (done > 0) (void)CutBack();
      return Status::Error(
          fmt::format("wal: write to {} failed: {}", segments_.back().path, std::strerror(error)));
    }
    done += static_cast<size_t>(n);
  }
  dirty_ = true;
  const bool sync = options_.fsync == WalFsync::kAlways ||
                    (options_.fsync == WalFsync::kInterval &&
                     NowMicros() - last_sync_micros_ >= options_.fsync_interval_micros);
  if (sync) {
    if (auto status = Sync(); !status.ok()) {
      if (options_.fsync == WalFsync::kAlways) {
        (void)CutBack();
        return status;
      }
      // kInterval: the record is written and acknowledged; the owner's next
      // Sync() reports the failure (a retried fsync may not rewrite the pages).
      if (sync_error_.ok()) sync_error_ = status;
    }
  }
  size_ += buffer_.size();
  appended_bytes_ += buffer_.size();
  return next_seq_++;
}

common::Status PointWal::Sync() {
  if (!sync_error_.ok()) return std::exchange(sync_error_, Status::Ok());
  if (!fd_.valid() || !dirty_) return Status::Ok();
  if (::fdatasync(fd_.get()) != 0) return Errno("cannot fdatasync", segments_.back().path);
  dirty_ = false;
  ++sync_count_;
  last_sync_micros_ = NowMicros();
  return Status::Ok();
}

common::Result<size_t> PointWal::DeleteBefore(uint64_t seq) {
  size_t removed = 0;
  while (segments_.size() > 1 && segments_[1].first_seq <= seq) {
    if (::unlink(segments_.front().path.c_str()) != 0 && errno != ENOENT) {
      return Errno("cannot delete", segments_.front().path);
    }
    segments_.erase(segments_.begin());
    ++removed;
  }
  if (removed > 0) {
    if (auto status = common::FsyncDir(dir_); !status.ok()) return status;
  }
  return removed;
}

}  // namespace hourglass::store
