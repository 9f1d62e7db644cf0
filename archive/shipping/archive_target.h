// ArchiveTarget: the settings every archive user shares (the server's
// uploader, `hourglass archive` commands, the /archive HTTP route), built by
// the server from the [archive] config, and the factory that opens the
// configured ObjectStore: S3 (s3://BUCKET/PREFIX at archive.endpoint) or a
// local directory (file://DIR, default data_dir/archive). Values only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "archive/object_store/object_store.h"
#include "archive/object_store/s3_object_store.h"
#include "archive/shipping/compression.h"
#include "archive/shipping/key_template.h"
#include "common/status.h"

namespace hourglass::archive {

struct ArchiveSettings {
  std::string data_dir = "hourglass-data";
  std::string audit_prefix = "audit";
  std::string target{};  // "s3://BUCKET/PREFIX", "file://DIR"; empty: file://data_dir/archive
  std::string endpoint{};
  std::string region{};
  S3Addressing addressing = S3Addressing::kAuto;
  Compression compression = Compression::kGzip;
  std::string key_template = std::string(kDefaultKeyTemplate);
  std::string host{};  // {host}
  int64_t grace_s = 60;
  int64_t ship_interval_s = 0;  // archive.ship_interval
  int64_t keep_local_s = 7 * 86400;
  uint64_t multipart_threshold = 64ull << 20;
  std::string secrets_file{};
  std::string storage_class{};
  std::string sse{};
  int64_t retry_max_s = 300;

  std::string audit_dir() const { return data_dir + "/audit"; }
  std::string sealed_dir() const { return data_dir + "/sealed"; }
};

struct OpenedStore {
  std::unique_ptr<ObjectStore> store;
  std::string prefix;  // {prefix}: the PREFIX of s3://BUCKET/PREFIX ("" locally)
};

// What opening a local (file://) store may do: the server creates its
// directory; readers need it to exist and never create one.
enum class LocalDir { kCreate, kMustExist };

// Opens the configured store (loads S3 credentials; no network I/O). An
// error is one line naming the setting at fault, never a secret.
common::Result<OpenedStore> OpenArchiveStore(const ArchiveSettings& settings,
                                             LocalDir local_dir = LocalDir::kCreate);

// "s3" | "file": which kind of store the target names, or an error.
common::Result<std::string> TargetScheme(const std::string& target);

}  // namespace hourglass::archive
