// The on-disk records of the archive spool (data_dir/sealed): one manifest
// per sealed file (NAME.manifest: what was sealed, its size, line count and
// checksums; for a part of an open hour, the [from, to) byte range of the
// audit file it holds: the durable shipped position) and one upload state per sealed file
// (NAME.upload: where it goes and how far it got). Both are small JSON files written atomically
// (temp file, fsync, rename, fsync of the directory), so after a crash each
// is either the old or the new version. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace hourglass::archive {

inline constexpr std::string_view kManifestSuffix = ".manifest";
inline constexpr std::string_view kUploadStateSuffix = ".upload";

struct SealedManifest {
  std::string file{};    // sealed file name: audit-20261121T0500Z.log.gz
  std::string source{};  // audit file it came from: audit-20261121T0500Z.log
  int64_t hour = 0;      // hours since the epoch
  int segment = 1;
  int part = 0;                   // 0: the whole file; 1, 2...: a part of it (see sealer.cc)
  uint64_t from = 0;              // byte range [from, to) of `source` this file holds
  uint64_t to = 0;                // (whole file: [0, raw_bytes)); the next part starts here
  int64_t first_seen_micros = 0;  // when the sealer first saw these bytes (0: unknown)
  std::string compression{};      // "gzip" | "zstd" | "none"
  uint64_t bytes = 0;             // size of the sealed file
  std::string sha256{};           // of the sealed file
  uint64_t raw_bytes = 0;         // size of the audit file
  std::string raw_sha256{};       // of the audit file
  uint64_t lines = 0;
  int64_t sealed_micros = 0;
};

enum class UploadPhase { kPending, kUploading, kDone, kConflict };
std::string_view UploadPhaseName(UploadPhase phase);

struct UploadState {
  UploadPhase phase = UploadPhase::kPending;
  std::string key{};
  std::string outcome{};  // "uploaded" | "already_identical" once done
  uint64_t attempts = 0;
  int64_t updated_micros = 0;
};

std::string ManifestJson(const SealedManifest& manifest);
common::Result<SealedManifest> ParseManifest(std::string_view json);
std::string UploadStateJson(const UploadState& state);
common::Result<UploadState> ParseUploadState(std::string_view json);

// Writes `body` to dir/name atomically (see above).
common::Status WriteFileAtomically(const std::string& dir, const std::string& name,
                                   std::string_view body);
// The whole (small) file; an error names the path.
common::Result<std::string> ReadSmallFile(const std::string& path);

}  // namespace hourglass::archive
