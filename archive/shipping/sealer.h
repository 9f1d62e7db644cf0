// Sealer: turns completed hourly audit files (those with NAME.complete, see
// audit_writer.cc), and every ship_interval the lines appended to the open
// one since the last part (see the DESIGN note in sealer.cc), into sealed
// files in the spool directory: compressed in
// one streaming pass (bounded memory whatever the size), checksummed
// (sha256 of both the sealed and the original bytes, line count) and
// recorded in NAME.manifest, the commit point the uploader reads. Owned and
// called by the uploader thread only (or a test).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "archive/audit/audit_files.h"
#include "archive/shipping/compression.h"
#include "archive/shipping/sealed_manifest.h"
#include "common/clock.h"
#include "common/stats.h"
#include "common/status.h"

namespace hourglass::archive {

struct SealerOptions {
  std::string audit_dir;  // where AuditWriter writes
  std::string audit_prefix = "audit";
  std::string sealed_dir;  // the spool: sealed files, manifests, upload states
  Compression compression = Compression::kGzip;
  int64_t grace_s = 60;  // wait this long after the hour before sealing it
  // archive.ship_interval: seal the open file's new lines as a part once the
  // oldest of them was seen this long ago; 0: whole hours only.
  int64_t ship_interval_s = 0;
  // The writer's size in whole written lines of an audit file it has open
  // (AuditWriter::WrittenSize); parts never go past it. Unset: the file's size.
  std::function<std::optional<uint64_t>(const std::string&)> written_size{};
};

class Sealer {
 public:
  // Creates the spool directory and removes temp files a crash left there.
  static common::Result<std::unique_ptr<Sealer>> Open(const SealerOptions& options,
                                                      const common::Clock& clock,
                                                      common::StatsRegistry& stats);

  // Seals every complete audit file not sealed yet whose hour ended more than
  // grace_s ago, or that was completed before its hour ended (a shutdown with
  // archive.seal_on_shutdown); `force` skips the grace. Returns how many were
  // sealed; a failure is reported after trying the others.
  common::Result<int> SealDue(bool force);

  // Seals one file (exposed for tests and the benchmark).
  common::Result<SealedManifest> SealFile(const AuditFileInfo& file);

  // Seals the next part of `file`: its whole lines from the shipped position
  // (the last part's `to`, 0 at first) to the last LF. nullopt when there is
  // no whole line past the position.
  common::Result<std::optional<SealedManifest>> SealPart(const AuditFileInfo& file);

  // The shipped position of an audit file: where its next part starts.
  uint64_t ShippedTo(const std::string& audit_file) const;

  // When the oldest audit byte not sealed yet was first seen (micros; 0: none).
  int64_t oldest_unsealed_micros() const;

  const SealerOptions& options() const { return options_; }

 private:
  // What the spool holds of one audit file (rebuilt from the manifests at Open).
  struct Position {
    bool whole = false;             // sealed whole (part 0): nothing more to do
    bool finished = false;          // complete and every byte is in a part
    int part = 0;                   // last part sealed
    uint64_t to = 0;                // its `to`: the shipped position
    int64_t first_seen_micros = 0;  // of the bytes past `to`; 0: none seen
  };

  Sealer(const SealerOptions& options, const common::Clock& clock, common::StatsRegistry& stats);
  void LoadPositions();
  bool Due(const AuditFileInfo& file, bool force) const;
  common::Status SealOne(const AuditFileInfo& file, bool force, bool* sealed);
  common::Result<SealedManifest> Seal(const AuditFileInfo& file, const std::string& name, int part,
                                      uint64_t from, std::optional<uint64_t> to);

  const SealerOptions options_;
  const common::Clock& clock_;
  std::map<std::string, Position> positions_;  // by audit file name
  common::Counter& sealed_;
  common::Counter& parts_;
  common::Counter& failures_;
  common::Counter& raw_bytes_;
  common::Counter& sealed_bytes_;
};

// The spool's name for a sealed file: "audit-20261121T0500Z.log.gz".
std::string SealedFileName(const AuditFileInfo& file, Compression compression);
// The name of a part: "audit-20261121T0500Z.log.part-0001.gz" (4 digits or
// more: names sort by position in the hour).
std::string PartFileName(const AuditFileInfo& file, int part, Compression compression);

struct SealedName {
  AuditFileInfo audit;  // hour, segment, name of the audit file
  int part = 0;         // 0: the whole file
};
// Parses a name made by SealedFileName or PartFileName; nullopt otherwise.
std::optional<SealedName> ParseSealedFileName(std::string_view audit_prefix, std::string_view name);

}  // namespace hourglass::archive
