// ArchiveService: the one retrieval of archived audit hours from the
// configured store (local or S3), behind both `hourglass archive ...` and the
// HTTP /archive routes: listing the hours in a range (the parts of an hour
// shipped in parts as one row), streaming segments verified (optionally
// through a grep filter) and presigning an hour.
// Front ends only parse their input and shape output and error codes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "archive/shipping/archive_reader.h"
#include "archive/shipping/archive_target.h"
#include "archive/shipping/line_filter.h"
#include "common/status.h"

namespace hourglass::server {

struct TimeRange {
  int64_t from = 0, until = 0;
};

// A bound of a range that does not parse: "from" or "until", and why.
struct RangeProblem {
  std::string bound;
  std::string reason;
};

struct ParsedRange {
  TimeRange range;
  std::optional<RangeProblem> problem;
};

// [from, until) from the texts of archive::ParseTime; an absent bound is
// open (from 0, until an hour past `now_s`).
ParsedRange ParseRange(std::optional<std::string_view> from, std::optional<std::string_view> until,
                       int64_t now_s);

// Why Stream stopped: a read (store, checksum) or the sink failed, or the
// filter's last line did not fit the sink (`at_finish`).
struct StreamError {
  std::string message;
  bool at_finish = false;
};

// The segments of one hour (`HOUR` as archive::ParseHour takes it).
struct HourSegments {
  int64_t hour = 0;
  std::vector<archive::ArchivedSegment> segments;
};

// One row of a listing, as `archive ls` and /archive/hours show it: a segment
// shipped whole, or the parts of one segment (archive.ship_interval) as one.
struct ListedSegment {
  std::string key;               // the object's key; for parts, their glob (...log.part-*.gz)
  uint64_t size = 0, lines = 0;  // summed over the parts
  size_t parts = 0;              // 0: shipped whole
  std::vector<archive::ArchivedSegment> objects;  // the object, or the parts in order
};

// Rows of `segments` (in List's order): consecutive parts of the same host,
// hour and segment make one row.
std::vector<ListedSegment> GroupParts(const std::vector<archive::ArchivedSegment>& segments);

class ArchiveService {
 public:
  // Opens the store (no network I/O; S3 credentials are loaded). A reader:
  // a local archive directory must exist and is never created.
  static common::Result<ArchiveService> Open(const archive::ArchiveSettings& settings);

  const archive::ArchiveSettings& settings() const { return settings_; }

  // This host's segments of the hours overlapping [from, until), in order.
  archive::StoreResult<std::vector<archive::ArchivedSegment>> List(const TimeRange& range);
  common::Result<HourSegments> Hour(std::string_view hour_text);

  // Reads every segment in order, each verified, into `out`; through
  // `filter` (only matching lines) when it is not null.
  std::optional<StreamError> Stream(const std::vector<archive::ArchivedSegment>& segments,
                                    archive::LineFilter* filter, const archive::ChunkSink& out);

  // Presigned GET URLs of the hour's segments (every part, in order), valid
  // `expires_s` from `now_s`; empty when nothing is archived. With `put`: one
  // URL for an operator's upload of a whole past hour, under the key the
  // server gives a whole segment 1 of this host (audit-H.log.gz, never a
  // part's name); an error for an hour not over yet (the server ships it, in
  // parts) or one with anything archived (never overwritten).
  common::Result<std::vector<std::string>> Presign(const HourSegments& hour, bool put,
                                                   int64_t expires_s, int64_t now_s);

  // The error line when an hour has no segment.
  std::string NoHour(std::string_view hour_text) const;

 private:
  ArchiveService(archive::ArchiveSettings settings, archive::OpenedStore opened);

  archive::ArchiveSettings settings_;
  archive::OpenedStore opened_;
  std::unique_ptr<archive::ArchiveReader> reader_;
};

}  // namespace hourglass::server
