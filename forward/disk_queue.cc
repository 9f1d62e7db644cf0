#include "forward/disk_queue.h"

// DESIGN: byte layout. Queue offsets count record bytes since the queue was
// first created; a segment's name carries the offset of its first record and
// segments are contiguous (the next starts where the previous ends).
//   record  = u32 payload length (LE) | u32 CRC-32C of the payload (LE) | payload
//   payload = i64 enqueue time, Unix microseconds (LE) | u32 points (LE) | lines
// `lines` are carbon plaintext lines, each ending in '\n', sent as they are.
// DIR/cursor holds the acked offset in decimal (written atomically). A torn or
// corrupt tail of a segment (a crash in the middle of a write) is cut off at
// Open. What a kill -9 can lose: nothing that Append returned from (the bytes
// are in the page cache); the cursor may be up to cursor_interval old, so up
// to that much is sent again. A power loss can also lose what was appended
// since the last fdatasync ("interval": the owner's sync period).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include <fmt/format.h>

#include "common/atomic_file.h"

namespace hourglass::forward {
namespace {

using common::Status;

constexpr size_t kHeaderBytes = 8;
constexpr size_t kStampBytes = 12;  // enqueue time + points

Status Errno(std::string_view what, const std::string& path) {
  return Status::Error(fmt::format("forward queue: {} {}: {}", what, path, std::strerror(errno)));
}

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t GetLE(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string SegmentName(uint64_t start) { return fmt::format("seg-{:016x}.q", start); }

std::optional<uint64_t> ParseSegmentName(std::string_view name) {
  if (name.size() != 22 || !name.starts_with("seg-") || !name.ends_with(".q")) return {};
  uint64_t v = 0;
  for (char c : name.substr(4, 16)) {
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return {};
    v = v << 4 | static_cast<uint64_t>(d);
  }
  return v;
}

// Whole valid records of one segment file: their total size and points, and
// the points of the records that end at or before `cursor` (relative offset).
struct ScanResult {
  uint64_t valid = 0;
  uint64_t file_size = 0;
  uint64_t points = 0;
  uint64_t points_before_cursor = 0;
  uint64_t boundary_before_cursor = 0;
};

common::Result<ScanResult> ScanSegment(const std::string& path, uint64_t cursor) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Errno("open", path);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ScanResult r;
  r.file_size = bytes.size();
  while (bytes.size() - r.valid >= kHeaderBytes + kStampBytes) {
    const char* p = bytes.data() + r.valid;
    const uint64_t len = GetLE(p, 4);
    if (len < kStampBytes || len > bytes.size() - r.valid - kHeaderBytes) break;
    const std::string_view payload(p + kHeaderBytes, len);
    if (store::Crc32c(payload) != GetLE(p + 4, 4)) break;
    const uint64_t points = GetLE(payload.data() + 8, 4);
    r.valid += kHeaderBytes + len;
    r.points += points;
    if (r.valid <= cursor) {
      r.points_before_cursor += points;
      r.boundary_before_cursor = r.valid;
    }
  }
  return r;
}

}  // namespace

common::Result<std::unique_ptr<DiskQueue>> DiskQueue::Open(const std::string& dir,
                                                           const DiskQueueOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Error("forward queue: cannot create " + dir + ": " + ec.message());
  DiskQueueOptions opts = options;
  if (opts.segment_bytes == 0) {
    opts.segment_bytes = std::clamp<uint64_t>(opts.max_bytes / 16, 4096, uint64_t{64} << 20);
  }
  std::unique_ptr<DiskQueue> q(new DiskQueue(dir, opts));
  uint64_t cursor = 0;
  std::ifstream(dir + "/cursor") >> cursor;
  std::vector<std::pair<uint64_t, std::string>> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (auto start = ParseSegmentName(name)) files.emplace_back(*start, entry.path().string());
  }
  if (ec) return Status::Error("forward queue: cannot list " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  for (const auto& [start, path] : files) {
    if (!q->segments_.empty() && start != q->segments_.back().end) {
      // A gap (a segment lost by hand): what came before is not contiguous.
      q->segments_.clear();
    }
    const uint64_t relative = cursor > start ? cursor - start : 0;
    auto scan = ScanSegment(path, relative);
    if (!scan) return scan.status();
    if (scan->valid < scan->file_size) {
      if (truncate(path.c_str(), static_cast<off_t>(scan->valid)) != 0) {
        return Errno("truncate", path);
      }
      q->repaired_bytes_ += scan->file_size - scan->valid;
    }
    Segment s{start, start + scan->valid, scan->points, 0, 0, path};
    if (cursor >= s.end) {
      s.acked_points = s.points;
    } else if (cursor > start) {
      s.acked_points = scan->points_before_cursor;
      cursor = start + scan->boundary_before_cursor;  // a record boundary
    }
    q->segments_.push_back(std::move(s));
  }
  if (q->segments_.empty()) {
    q->acked_ = cursor;
  } else {
    q->acked_ = std::clamp(cursor, q->segments_.front().start, q->segments_.back().end);
  }
  q->read_ = q->acked_;
  for (Segment& s : q->segments_) s.read_points = s.acked_points;
  if (auto status = q->OpenActive(q->segments_.empty()); !status) return status;
  std::lock_guard lock(q->mu_);
  q->DeleteFrontLocked();
  return q;
}

DiskQueue::~DiskQueue() { (void)Close(); }

int64_t DiskQueue::NowMicros() const {
  if (options_.clock != nullptr) return options_.clock->NowMicros();
  return common::SystemClock().NowMicros();
}

// Opens the last segment for appending, or creates one at the acked offset.
Status DiskQueue::OpenActive(bool create) {
  if (create) {
    const uint64_t start = segments_.empty() ? acked_ : segments_.back().end;
    segments_.push_back({start, start, 0, 0, 0, dir_ + "/" + SegmentName(start)});
  }
  const std::string& path = segments_.back().path;
  common::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!fd.valid()) return Errno("open", path);
  fd_ = std::move(fd);
  if (create && options_.fsync != store::WalFsync::kNever) return common::FsyncDir(dir_);
  return Status::Ok();
}

Status DiskQueue::Append(std::string_view lines, uint64_t points) {
  std::string record;
  record.reserve(kHeaderBytes + kStampBytes + lines.size());
  PutU32(record, static_cast<uint32_t>(kStampBytes + lines.size()));
  PutU32(record, 0);
  PutU64(record, static_cast<uint64_t>(NowMicros()));
  PutU32(record, static_cast<uint32_t>(points));
  record.append(lines);
  const uint32_t crc = store::Crc32c(std::string_view(record).substr(kHeaderBytes));
  for (int i = 0; i < 4; ++i) record[4 + i] = static_cast<char>(crc >> (8 * i));

  std::lock_guard lock(mu_);
  if (closed_) return Status::Error("forward queue: closed");
  if (record.size() > options_.max_bytes || lines.size() > UINT32_MAX - kStampBytes) {
    dropped_points_ += points;
    return Status::Error("forward queue: a batch larger than the queue's bound");
  }
  Segment* active = &segments_.back();
  if (active->end - active->start >= options_.segment_bytes) {
    if (dirty_ && options_.fsync != store::WalFsync::kNever) fdatasync(fd_.get());
    dirty_ = false;
    if (auto status = OpenActive(true); !status) {
      dropped_points_ += points;
      return status;
    }
    active = &segments_.back();
  }
  const ssize_t n = ::write(fd_.get(), record.data(), record.size());
  if (n != static_cast<ssize_t>(record.size())) {
    const Status error = n < 0 ? Errno("write", active->path)
                               : Status::Error("forward queue: short write " + active->path);
    if (ftruncate(fd_.get(), static_cast<off_t>(active->end - active->start)) != 0) {
      // Left bytes past the end: the next Open cuts them off as a torn tail.
    }
    dropped_points_ += points;
    return error;
  }
  active->end += record.size();
  active->points += points;
  dirty_ = true;
  if (options_.fsync == store::WalFsync::kAlways) {
    if (fdatasync(fd_.get()) != 0) return Errno("fdatasync", active->path);
    dirty_ = false;
  }
  return EnforceBoundLocked();
}

Status DiskQueue::EnforceBoundLocked() {
  while (segments_.size() > 1 &&
         segments_.back().end - segments_.front().start > options_.max_bytes) {
    Segment& front = segments_.front();
    dropped_points_ += front.points - front.read_points;
    std::remove(front.path.c_str());
    segments_.pop_front();
    read_ = std::max(read_, segments_.front().start);
    acked_ = std::max(acked_, segments_.front().start);
  }
  return Status::Ok();
}

void DiskQueue::DeleteFrontLocked() {
  while (segments_.size() > 1 && segments_.front().end <= acked_) {
    std::remove(segments_.front().path.c_str());
    segments_.pop_front();
  }
}

Status DiskQueue::Sync() {
  std::lock_guard lock(mu_);
  if (!dirty_ || !fd_.valid()) return Status::Ok();
  dirty_ = false;
  if (fdatasync(fd_.get()) != 0) return Errno("fdatasync", segments_.back().path);
  return Status::Ok();
}

common::Result<QueueBatch> DiskQueue::Read(size_t max_bytes) {
  std::string path;
  uint64_t start = 0, end = 0, pos = 0;
  {
    std::lock_guard lock(mu_);
    pos = read_;
    for (const Segment& s : segments_) {
      if (pos >= s.start && pos < s.end) {
        path = s.path;
        start = s.start;
        end = s.end;
        break;
      }
    }
  }
  QueueBatch batch;
  batch.end = pos;
  if (path.empty()) return batch;
  common::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Errno("open", path);
  std::string payload;
  while (batch.end < end && (batch.lines.empty() || batch.lines.size() < max_bytes)) {
    char header[kHeaderBytes];
    const off_t at = static_cast<off_t>(batch.end - start);
    if (pread(fd.get(), header, kHeaderBytes, at) != static_cast<ssize_t>(kHeaderBytes)) break;
    const uint64_t len = GetLE(header, 4);
    payload.resize(len);
    const bool ok = len >= kStampBytes && batch.end + kHeaderBytes + len <= end &&
                    pread(fd.get(), payload.data(), len, at + static_cast<off_t>(kHeaderBytes)) ==
                        static_cast<ssize_t>(len) &&
                    store::Crc32c(payload) == GetLE(header + 4, 4);
    if (!ok) {  // cannot happen for bytes this process wrote: skip the segment
      batch.end = end;
      break;
    }
    if (batch.lines.empty()) batch.oldest_micros = static_cast<int64_t>(GetLE(payload.data(), 8));
    batch.points += GetLE(payload.data() + 8, 4);
    batch.lines.append(payload, kStampBytes);
    batch.end += kHeaderBytes + len;
  }
  return batch;
}

void DiskQueue::MarkSent(uint64_t end, uint64_t points) {
  std::lock_guard lock(mu_);
  if (end <= read_) return;
  for (Segment& s : segments_) {
    if (read_ >= s.start && read_ < s.end) s.read_points += points;
  }
  read_ = end;
}

void DiskQueue::Ack(uint64_t end, uint64_t points) {
  uint64_t cursor = 0;
  {
    std::lock_guard lock(mu_);
    if (end <= acked_ || end > read_) return;
    for (Segment& s : segments_) {
      if (end > s.start && end <= s.end) s.acked_points += points;
    }
    acked_ = end;
    DeleteFrontLocked();
    const int64_t now = NowMicros();
    if (now - cursor_written_micros_ < options_.cursor_interval_micros) return;
    cursor_written_micros_ = now;
    cursor = acked_;
  }
  // A failed write leaves the older cursor: more is sent again, nothing lost.
  (void)common::WriteFileAtomically(dir_ + "/cursor", fmt::format("{}\n", cursor));
}

void DiskQueue::Rewind() {
  std::lock_guard lock(mu_);
  read_ = acked_;
  for (Segment& s : segments_) s.read_points = s.acked_points;
}

int64_t DiskQueue::OldestUnsentMicros() {
  std::string path;
  uint64_t at = 0;
  {
    std::lock_guard lock(mu_);
    for (const Segment& s : segments_) {
      if (read_ >= s.start && read_ < s.end) {
        path = s.path;
        at = read_ - s.start;
      }
    }
  }
  if (path.empty()) return 0;
  common::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  char stamp[8];
  if (!fd.valid() || pread(fd.get(), stamp, 8, static_cast<off_t>(at + kHeaderBytes)) != 8)
    return 0;
  return static_cast<int64_t>(GetLE(stamp, 8));
}

uint64_t DiskQueue::read_position() const {
  std::lock_guard lock(mu_);
  return read_;
}

uint64_t DiskQueue::acked_position() const {
  std::lock_guard lock(mu_);
  return acked_;
}

QueueCounts DiskQueue::Counts() const {
  std::lock_guard lock(mu_);
  QueueCounts c;
  c.disk_bytes = segments_.back().end - segments_.front().start;
  c.unsent_bytes = segments_.back().end - read_;
  c.dropped_points = dropped_points_;
  c.repaired_bytes = repaired_bytes_;
  return c;
}

Status DiskQueue::Close() {
  uint64_t cursor = 0;
  {
    std::lock_guard lock(mu_);
    if (closed_) return Status::Ok();
    closed_ = true;
    if (dirty_ && options_.fsync != store::WalFsync::kNever) fdatasync(fd_.get());
    fd_ = common::UniqueFd();
    cursor = acked_;
  }
  return common::WriteFileAtomically(dir_ + "/cursor", fmt::format("{}\n", cursor));
}

}  // namespace hourglass::forward
