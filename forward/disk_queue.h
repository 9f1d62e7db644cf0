// DiskQueue: the bounded on-disk queue of one [[forward]] entry: records of
// carbon plaintext lines in segment files DIR/seg-<16 hex: first offset>.q,
// a read position (what the sender has written to its socket) and an acked
// position (persisted in DIR/cursor; segments wholly before it are deleted).
// Append may be called from any thread (ingestion); Read/MarkSent/Ack/Rewind
// from the one sender thread. One mutex guards the segment list; record bytes
// are read with pread outside it. Byte layout: DESIGN note in disk_queue.cc.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "store/point_wal.h"

namespace hourglass::forward {

struct DiskQueueOptions {
  // Bytes on disk (all segments): past it the oldest segments are deleted,
  // their unsent points counted in dropped_points. The active segment stays.
  uint64_t max_bytes = uint64_t{1} << 30;
  // A new segment starts when the active one reaches this (0: max_bytes/16,
  // from 4 KiB to 64 MiB).
  uint64_t segment_bytes = 0;
  // store.wal's and audit.fsync's words: kAlways fdatasyncs in Append,
  // kInterval when the owner calls Sync() (its timer), kNever leaves it to
  // the kernel. The cursor file is written by Ack at most once per
  // cursor_interval_micros (and by Close).
  store::WalFsync fsync = store::WalFsync::kInterval;
  int64_t cursor_interval_micros = 1'000'000;
  const common::Clock* clock = nullptr;  // nullptr: the system clock
};

// A run of whole records from the read position, all from one segment.
struct QueueBatch {
  std::string lines;          // carbon plaintext, "name value timestamp\n" each
  uint64_t points = 0;        // lines in `lines`
  uint64_t end = 0;           // queue offset after the last record
  int64_t oldest_micros = 0;  // enqueue time of the first record
};

struct QueueCounts {
  uint64_t disk_bytes = 0;      // all segments
  uint64_t unsent_bytes = 0;    // from the read position to the end
  uint64_t dropped_points = 0;  // never sent, deleted at the bound (since Open)
  uint64_t repaired_bytes = 0;  // torn tail cut off at Open
};

class DiskQueue {
 public:
  // Creates `dir` if needed, scans every segment (a torn or corrupt tail of
  // a segment is cut off there and counted), reads the cursor; reading
  // starts at the acked position.
  static common::Result<std::unique_ptr<DiskQueue>> Open(const std::string& dir,
                                                         const DiskQueueOptions& options);
  ~DiskQueue();  // Close()

  // Appends `lines` (whole lines, `points` of them) as one record stamped
  // with the current time. A record larger than max_bytes is refused (its
  // points counted as dropped). Errors (disk full) drop the record: counted.
  common::Status Append(std::string_view lines, uint64_t points);
  common::Status Sync();  // fdatasync of the active segment if it changed

  // Whole records from the read position, at most about `max_bytes` (at
  // least one record); empty `lines` when everything was read.
  common::Result<QueueBatch> Read(size_t max_bytes);
  // The read position moves to `end` (a QueueBatch's). A position a bound
  // deletion has passed is ignored.
  void MarkSent(uint64_t end, uint64_t points);
  // A batch marked sent (its `end` and `points`, in the order sent) is
  // delivered: whole segments before it are deleted, the cursor written
  // (rate limited). Stale ends (before a Rewind or a bound deletion) are
  // ignored.
  void Ack(uint64_t end, uint64_t points);
  // The read position goes back to the acked one (after a broken connection).
  void Rewind();
  // Enqueue time of the oldest unsent record; 0 when none.
  int64_t OldestUnsentMicros();

  // Lines a caller should put in one record (a quarter of a segment), so
  // that the bound drops the oldest points, never a whole large batch.
  size_t record_bytes() const { return static_cast<size_t>(options_.segment_bytes / 4); }

  uint64_t read_position() const;
  uint64_t acked_position() const;
  QueueCounts Counts() const;
  // Writes the cursor now (and syncs); later calls do nothing.
  common::Status Close();

 private:
  struct Segment {
    uint64_t start = 0;
    uint64_t end = 0;           // offset after its last whole record
    uint64_t points = 0;        // in the whole segment
    uint64_t read_points = 0;   // before the read position
    uint64_t acked_points = 0;  // before the acked position
    std::string path;
  };
  DiskQueue(std::string dir, DiskQueueOptions options) : dir_(std::move(dir)), options_(options) {}
  common::Status OpenActive(bool create);
  common::Status EnforceBoundLocked();
  void DeleteFrontLocked();
  void WriteCursorLocked(bool force);
  int64_t NowMicros() const;

  const std::string dir_;
  const DiskQueueOptions options_;
  mutable std::mutex mu_;         // guards everything below
  std::deque<Segment> segments_;  // oldest first; the last is the active one
  common::UniqueFd fd_;           // the active segment, for appending
  uint64_t read_ = 0;
  uint64_t acked_ = 0;
  int64_t cursor_written_micros_ = 0;
  uint64_t dropped_points_ = 0;
  uint64_t repaired_bytes_ = 0;
  bool dirty_ = false;
  bool closed_ = false;
};

}  // namespace hourglass::forward
