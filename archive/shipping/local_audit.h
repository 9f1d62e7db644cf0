// LocalAudit: the audit hours still on this host's disk (the open hour's file,
// hours sealed but not uploaded yet, uploaded ones kept for archive.keep_local)
// as the web page's hours table shows them: size, lines when known without
// reading the file, and the upload state read from the spool's manifests and
// upload records (data_dir/sealed, see uploader.cc). Read-only: it writes and
// locks nothing the AuditWriter or the Uploader use. Pure; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "archive/audit/audit_files.h"
#include "common/status.h"

namespace hourglass::archive {

struct LocalAuditFile {
  AuditFileInfo info{};
  std::string path{};               // audit_dir/name
  uint64_t size = 0;                // at the listing: the writer may be appending
  std::optional<uint64_t> lines{};  // from the .complete marker or a whole seal
  int sealed = 0;                   // sealed files of it (the whole file, or parts)
  int uploaded = 0;                 // of them, in the archive
  uint64_t sealed_to = 0;           // bytes [0, sealed_to) are sealed
  uint64_t uploaded_to = 0;         // bytes [0, uploaded_to) are in the archive
  uint64_t attempts = 0;            // upload attempts of the sealed files not uploaded
  bool conflict = false;            // a key held by another object (see uploader.cc)

  // "open" | "complete, not sealed" | "pending upload" | "failed" (a pending
  // file whose upload was tried twice or more) | "conflict" | "uploaded".
  std::string State() const;
};

// The audit files of the hours overlapping [from_s, until_s), by hour and
// segment. Manifests or upload records that do not parse are skipped (the
// uploader reports them).
common::Result<std::vector<LocalAuditFile>> ListLocalAudit(const std::string& audit_dir,
                                                           std::string_view prefix,
                                                           const std::string& sealed_dir,
                                                           int64_t from_s, int64_t until_s);

// [{"file","hour","segment","state","size","lines"(null if unknown),"sealed",
//   "uploaded","attempts","uploaded_to"}...]
std::string LocalAuditJson(const std::vector<LocalAuditFile>& files);

}  // namespace hourglass::archive
