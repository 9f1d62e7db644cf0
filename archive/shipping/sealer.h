// Sealer: turns completed hourly audit files (those with NAME.complete, see
// audit_writer.cc) into sealed files in the spool directory: compressed in
// one streaming pass (bounded memory whatever the size), checksummed
// (sha256 of both the sealed and the original bytes, line count) and
// recorded in NAME.manifest, the commit point the uploader reads. Owned and
// called by the uploader thread only (or a test).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

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

  const SealerOptions& options() const { return options_; }

 private:
  Sealer(const SealerOptions& options, const common::Clock& clock, common::StatsRegistry& stats);
  bool Due(const AuditFileInfo& file, bool force) const;

  const SealerOptions options_;
  const common::Clock& clock_;
  common::Counter& sealed_;
  common::Counter& failures_;
  common::Counter& raw_bytes_;
  common::Counter& sealed_bytes_;
};

// The spool's name for a sealed file: "audit-20261121T0500Z.log.gz".
std::string SealedFileName(const AuditFileInfo& file, Compression compression);

}  // namespace hourglass::archive
