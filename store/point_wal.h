// PointWal: the metric store's write-ahead log of point batches (docs/STORE.md,
// "WAL"). One record per Append() batch in segment files
// DIR/wal-<16 hex digits: first sequence>.log; replay repairs a torn tail of
// the last segment; DeleteBefore() drops segments a checkpoint has covered.
// One writer: not thread-safe (the owner serializes Append/Sync/DeleteBefore).
// Byte layout: see the DESIGN note at the top of point_wal.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "common/unique_fd.h"

namespace hourglass::store {

struct WalPoint {
  uint64_t series_id = 0;
  int64_t timestamp = 0;
  double value = 0;
};

// The audit files' policy words: "always" | "interval" | "never".
enum class WalFsync { kAlways, kInterval, kNever };
std::optional<WalFsync> ParseWalFsync(std::string_view word);

// Pure safety bound of the record parser: payload bytes of one record.
inline constexpr uint32_t kWalMaxRecordBytes = 64u << 20;

struct PointWalOptions {
  WalFsync fsync = WalFsync::kInterval;
  // kInterval: Append fdatasyncs when this long has passed since the last
  // sync; the owner calls Sync() from its timer so an idle tail is synced too.
  int64_t fsync_interval_micros = 1'000'000;
  // A new segment starts at the first Append after the current one reaches this.
  uint64_t segment_bytes = 64u << 20;
  // Payload bytes of one record: Append refuses more, replay calls more corrupt.
  uint32_t max_record_bytes = kWalMaxRecordBytes;
  // The sequence number of the first record when the directory has no segment.
  uint64_t first_sequence = 1;
  // Time for kInterval; nullptr = the system clock.
  const common::Clock* clock = nullptr;
};

struct WalReplayStats {
  uint64_t segments = 0;
  uint64_t records = 0;
  uint64_t points = 0;
  uint64_t last_sequence = 0;  // 0: no record
  uint64_t next_sequence = 0;  // what the next Append gets
  // A torn or corrupt tail of the last segment, cut off: bytes and why.
  uint64_t dropped_bytes = 0;
  std::string dropped_reason;
};

// Called once per record, in sequence order; a failed Status stops the replay
// and is returned.
using WalReplayFn = std::function<common::Status(uint64_t seq, std::span<const WalPoint>)>;

// "wal-00000000000000ff.log" for 255; ParseWalSegmentName is its inverse
// (nullopt for any other name).
std::string WalSegmentName(uint64_t first_sequence);
std::optional<uint64_t> ParseWalSegmentName(std::string_view name);

// CRC-32C (Castagnoli), the checksum of a record's payload.
uint32_t Crc32c(std::string_view bytes);

class PointWal {
 public:
  // Reads every segment of `dir` in order, calling `fn` (may be empty) per
  // record. A torn or corrupt record in the last segment is cut off there
  // (ftruncate + fsync; counted in dropped_bytes) and replay succeeds; one in
  // any other segment, a sequence gap or reorder, or an unreadable file is an
  // error naming the segment and offset.
  static common::Result<WalReplayStats> Replay(const std::string& dir,
                                               const PointWalOptions& options,
                                               const WalReplayFn& fn);

  // Creates `dir` if needed, replays it (as Replay), and opens the last
  // segment for appending.
  static common::Result<PointWal> Open(const std::string& dir, const PointWalOptions& options,
                                       const WalReplayFn& fn = {});

  // Writes `points` as one record and returns its sequence number. All or
  // nothing: after a failed write (ENOSPC...) or a failed "always" sync the
  // segment is cut back to its previous size and the sequence not used.
  common::Result<uint64_t> Append(std::span<const WalPoint> points);
  // fdatasync of the current segment if anything was appended since the last.
  // Also returns (once) a failed interval sync that Append did not report.
  common::Status Sync();
  // Deletes the segments whose records all have a sequence < `seq` (never the
  // segment being appended to), then fsyncs the directory. Returns how many.
  common::Result<size_t> DeleteBefore(uint64_t seq);

  uint64_t next_sequence() const { return next_seq_; }
  size_t segment_count() const { return segments_.size(); }
  const WalReplayStats& replay_stats() const { return replay_stats_; }
  uint64_t sync_count() const { return sync_count_; }  // fdatasyncs done
  // Record bytes appended since Open (headers included).
  uint64_t appended_bytes() const { return appended_bytes_; }

  // Payload bytes of a record holding `points` (what max_record_bytes bounds).
  static size_t EncodedPayloadSize(std::span<const WalPoint> points);

 private:
  struct Segment {
    uint64_t first_seq = 0;
    std::string path;
  };
  PointWal(std::string dir, PointWalOptions options) : dir_(std::move(dir)), options_(options) {}
  static common::Result<WalReplayStats> Scan(const std::string& dir, const PointWalOptions& options,
                                             const WalReplayFn& fn, std::vector<Segment>* segments,
                                             uint64_t* last_segment_size);
  common::Status OpenSegment(const std::string& path, bool create);
  common::Status Rotate();
  common::Status CutBack();
  int64_t NowMicros() const;

  std::string dir_;
  PointWalOptions options_;
  std::vector<Segment> segments_;  // oldest first; the last is the active one
  common::UniqueFd fd_;            // the active segment
  uint64_t size_ = 0;              // bytes of whole records in the active segment
  uint64_t next_seq_ = 1;
  bool needs_cut_ = false;  // a failed cut back left bytes past size_
  bool dirty_ = false;
  int64_t last_sync_micros_ = 0;
  uint64_t sync_count_ = 0;
  uint64_t appended_bytes_ = 0;
  common::Status sync_error_;  // a failed interval sync, for the next Sync()
  std::string buffer_;
  WalReplayStats replay_stats_;
};

}  // namespace hourglass::store
