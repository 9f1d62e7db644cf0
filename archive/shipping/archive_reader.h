// ArchiveReader: finds archived hours in the configured store and reads them
// back: lists the segments (and their parts) of a time range (key, size, lines, checksums from
// the object's x-amz-meta-hourglass-* metadata) and streams one segment
// decompressed, verifying the object's sha256 and the decompressed bytes'
// sha256 and line count. Used by `hourglass archive` and the /archive HTTP
// route; one thread per instance (it borrows one ObjectStore).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "archive/object_store/object_store.h"
#include "archive/shipping/compression.h"
#include "archive/shipping/key_template.h"

namespace hourglass::archive {

struct ArchivedSegment {
  std::string key{};
  std::string host{};
  std::string filename{};  // audit-20261121T0500Z-2.log.gz
  int64_t hour = 0;
  int segment = 1;
  int part = 0;  // 0: the whole segment; 1, 2...: its parts, in order
  uint64_t size = 0;
  uint64_t lines = 0;
  std::string sha256{};      // of the object; empty if it has no hourglass metadata
  std::string raw_sha256{};  // of the decompressed bytes
  Compression compression = Compression::kGzip;
};

struct ReaderOptions {
  KeyTemplate key_template;
  std::string prefix{};  // {prefix}
  std::string host{};    // only this {host}'s hours; empty: every host
  std::string audit_prefix = "audit";
};

class ArchiveReader {
 public:
  ArchiveReader(ObjectStore& store, ReaderOptions options)
      : store_(store), options_(std::move(options)) {}

  // Segments (and parts) of the hours overlapping [from_s, until_s), ordered
  // by hour, host, segment, part.
  StoreResult<std::vector<ArchivedSegment>> List(int64_t from_s, int64_t until_s);

  // Streams the segment's decompressed lines to `sink`. The checks run as the
  // bytes pass: a mismatch is reported at the end (after the output), as
  // zcat reports a bad CRC; callers that must not expose bad data buffer.
  StoreResult<void> Read(const ArchivedSegment& segment, const ChunkSink& sink);

  ObjectStore& store() { return store_; }

 private:
  std::vector<std::string> Prefixes(int64_t first_hour, int64_t last_hour) const;
  std::optional<ArchivedSegment> Match(const ObjectInfo& object) const;

  ObjectStore& store_;
  const ReaderOptions options_;
};

}  // namespace hourglass::archive
