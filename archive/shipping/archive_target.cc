#include "archive/shipping/archive_target.h"

#include <algorithm>

#include "archive/object_store/local_object_store.h"
#include "archive/object_store/s3_credentials.h"

namespace hourglass::archive {
namespace {

// Parts of at least 5 MiB (S3's minimum), at most 16 MiB, never above the
// threshold when it is lower: a file just over it goes up in a few parts.
uint64_t PartSize(uint64_t threshold) {
  return std::clamp<uint64_t>(threshold, 5ull << 20, 16ull << 20);
}

common::Result<OpenedStore> OpenS3(const ArchiveSettings& settings) {
  auto target = ParseS3Target(settings.target);
  if (!target) return target.status();
  auto credentials = LoadS3Credentials({.secrets_file = settings.secrets_file});
  if (!credentials) return common::Status::Error("archive: " + credentials.status().message());
  S3Config config{.bucket = target->first,
                  .endpoint = settings.endpoint,
                  .region = settings.region,
                  .addressing = settings.addressing,
                  .multipart_threshold = settings.multipart_threshold,
                  .part_size = PartSize(settings.multipart_threshold),
                  .storage_class = settings.storage_class,
                  .server_side_encryption = settings.sse};
  auto store = S3ObjectStore::Create(std::move(config), std::move(*credentials));
  if (!store) return store.status();
  return OpenedStore{std::move(*store), target->second};
}

}  // namespace

common::Result<std::string> TargetScheme(const std::string& target) {
  if (target.empty() || target.starts_with("file://")) return std::string("file");
  if (target.starts_with("s3://")) return std::string("s3");
  return common::Status::Error("archive.target \"" + target +
                               "\": expected s3://BUCKET/PREFIX or file://DIR");
}

common::Result<OpenedStore> OpenArchiveStore(const ArchiveSettings& settings, LocalDir local_dir) {
  auto scheme = TargetScheme(settings.target);
  if (!scheme) return scheme.status();
  if (*scheme == "s3") return OpenS3(settings);
  const std::string dir =
      settings.target.empty() ? settings.data_dir + "/archive" : settings.target.substr(7);
  if (dir.empty()) return common::Status::Error("archive.target \"file://\" names no directory");
  auto local = LocalObjectStore::Open(dir, local_dir == LocalDir::kCreate);
  if (!local) return local.status();
  return OpenedStore{std::move(*local), ""};
}

}  // namespace hourglass::archive
