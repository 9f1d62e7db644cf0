// On-disk layout of the audit directory: file names
// (PREFIX-YYYYMMDDTHH00Z.log, then -2, -3... for later segments of the same
// hour), the ".complete" marker that hands a finished file to the archive
// side (see the DESIGN note in audit_writer.cc), crash repair of a torn last line, and an
// append-only file that never leaves a half line behind. Not thread-safe:
// the AuditWriter's thread (or Open, before it starts) is the only user.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/unique_fd.h"

namespace hourglass::archive {

inline constexpr std::string_view kCompleteSuffix = ".complete";

// "audit-20261121T0500Z.log" (segment 1), "audit-20261121T0500Z-2.log".
std::string AuditFileName(std::string_view prefix, int64_t hour, int segment);

struct AuditFileInfo {
  std::string name;  // file name within the directory
  int64_t hour = 0;
  int segment = 1;
  bool complete = false;  // NAME.complete exists
};

// Parses a name made by AuditFileName; nullopt for anything else.
std::optional<AuditFileInfo> ParseAuditFileName(std::string_view prefix, std::string_view name);

// Every audit file in `dir`, ordered by hour, then segment.
common::Result<std::vector<AuditFileInfo>> ListAuditFiles(const std::string& dir,
                                                          std::string_view prefix);

// Writes NAME.complete (one JSON line: file, hour, segment, bytes, lines,
// completed) atomically: temp file, fsync, rename, fsync of the directory.
common::Status WriteCompleteMarker(const std::string& dir, const AuditFileInfo& file,
                                   uint64_t bytes, uint64_t lines, int64_t now_micros);

common::Status FsyncDir(const std::string& dir);

// Whether a failure of the functions above came from a full filesystem
// (ENOSPC or EDQUOT): its message names the error.
bool IsDiskFull(const common::Status& status);

// An audit file open for appending whole lines.
class AppendFile {
 public:
  // Opens (creating if needed) and repairs: bytes after the last LF are a
  // torn line from a crash and are cut off (torn_bytes() says how many).
  static common::Result<AppendFile> Open(const std::string& path);

  // Appends `data` (whole lines, `lines` of them) or nothing: after a failed
  // or short write the file is cut back to its previous size.
  common::Status Append(std::string_view data, uint64_t lines);
  common::Status Sync();

  uint64_t size() const { return size_; }
  uint64_t lines() const { return lines_; }
  uint64_t torn_bytes() const { return torn_bytes_; }
  bool dirty() const { return dirty_; }  // appended since the last Sync

 private:
  common::Status CutBack();

  common::UniqueFd fd_;
  uint64_t size_ = 0;  // bytes of whole lines
  uint64_t lines_ = 0;
  uint64_t torn_bytes_ = 0;
  bool needs_cut_ = false;  // a failed write left bytes past size_
  bool dirty_ = false;
};

}  // namespace hourglass::archive
