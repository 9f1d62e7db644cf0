// LocalObjectStore: the file:// archive, a directory with the same key layout
// as S3 (key "2026/11/21/host-audit.log.gz" is file ROOT/2026/11/21/...).
// Objects are written to ROOT/.hourglass-tmp, fsynced, then hard-linked into
// place (link fails if the key exists, so nothing is ever overwritten); their
// metadata sits in ROOT/.hourglass-meta/KEY. One thread per instance.
#pragma once

#include <filesystem>
#include <memory>

#include "archive/object_store/object_store.h"
#include "common/status.h"

namespace hourglass::archive {

class LocalObjectStore final : public ObjectStore {
 public:
  // With `create`: creates `root` (and its parents) if needed and checks it
  // is writable (the server). Without: `root` must be an existing directory
  // and nothing is created (readers such as `hourglass archive`).
  static common::Result<std::unique_ptr<LocalObjectStore>> Open(std::filesystem::path root,
                                                                bool create = true);

  StoreResult<PutOutcome> Put(std::string_view key, const std::filesystem::path& file,
                              const PutOptions& options) override;
  StoreResult<ObjectInfo> Head(std::string_view key) override;
  StoreResult<ObjectInfo> Get(std::string_view key, const ByteSink& sink) override;
  StoreResult<ListPage> List(std::string_view prefix, std::string_view token,
                             int max_keys = 1000) override;
  StoreResult<void> Delete(std::string_view key) override;
  std::string Describe() const override;
  // file://ROOT/KEY: local paths need no signature and never expire.
  std::string Presign(std::string_view key, PresignMethod method, int64_t expires_s,
                      int64_t now_s) const override;

 private:
  explicit LocalObjectStore(std::filesystem::path root) : root_(std::move(root)) {}
  StoreResult<void> CheckKey(std::string_view key) const;
  StoreResult<PutOutcome> CompareExisting(std::string_view key, const FileDigests& digests);
  StoreResult<std::filesystem::path> CopyToTemp(const std::filesystem::path& file,
                                                const FileDigests& digests);
  StoreResult<void> WriteMetadata(std::string_view key, const FileDigests& digests,
                                  const PutOptions& options);

  std::filesystem::path root_;
  uint64_t temp_counter_ = 0;
};

}  // namespace hourglass::archive
