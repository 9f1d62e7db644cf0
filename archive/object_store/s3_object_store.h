// S3ObjectStore: the ObjectStore on S3 or any S3-compatible service (Ceph RGW,
// MinIO), over libcurl with Signature V4. Every PUT carries Content-MD5 and
// If-None-Match: *, and the file's SHA-256 as x-amz-meta-hourglass-sha256;
// files above multipart_threshold go up in parts (each retried, the upload
// aborted on failure so no parts leak). One thread per instance (it owns one
// curl handle); credentials stay inside and never reach a message.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "archive/object_store/object_store.h"
#include "archive/object_store/s3_credentials.h"
#include "archive/object_store/s3_http.h"

namespace hourglass::archive {

enum class S3Addressing {
  kAuto,           // virtual-hosted on AWS (no endpoint), path-style with an endpoint
  kPath,           // ENDPOINT/BUCKET/KEY
  kVirtualHosted,  // BUCKET.ENDPOINT-HOST/KEY
};

struct S3Config {
  std::string bucket{};
  std::string endpoint{};  // "http://127.0.0.1:7480"; empty: https://s3.REGION.amazonaws.com
  std::string region = "us-east-1";
  S3Addressing addressing = S3Addressing::kAuto;
  uint64_t multipart_threshold = 64ull << 20;
  uint64_t part_size = 16ull << 20;      // at least 5 MiB, as S3 requires (except the last)
  int part_attempts = 4;                 // tries per part before the upload is aborted
  int retry_base_delay_ms = 200;         // doubled after each failed try of a part
  std::string storage_class{};           // x-amz-storage-class, e.g. "STANDARD_IA"; empty: none
  std::string server_side_encryption{};  // "AES256" or "aws:kms"; empty: none
  std::string sse_kms_key_id{};          // with "aws:kms"
  S3HttpOptions http{};                  // timeouts (its region is taken from here)
};

class S3ObjectStore final : public ObjectStore {
 public:
  // Checks the config (bucket name, endpoint URL, part size); does no I/O.
  static common::Result<std::unique_ptr<S3ObjectStore>> Create(S3Config config,
                                                               S3Credentials credentials);

  StoreResult<PutOutcome> Put(std::string_view key, const std::filesystem::path& file,
                              const PutOptions& options) override;
  StoreResult<ObjectInfo> Head(std::string_view key) override;
  StoreResult<ObjectInfo> Get(std::string_view key, const ByteSink& sink) override;
  StoreResult<ListPage> List(std::string_view prefix, std::string_view token,
                             int max_keys = 1000) override;
  StoreResult<void> Delete(std::string_view key) override;
  StoreResult<int> AbortIncompleteUploads(std::string_view key) override;
  // GET ?lifecycle, MergeExpiryRule, PUT ?lifecycle (with Content-MD5) when
  // the rule is missing or differs. Needs s3:GetLifecycleConfiguration and
  // s3:PutLifecycleConfiguration; a refusal is a kAuth error.
  StoreResult<ExpiryChange> ExpireAfterDays(std::string_view prefix, int64_t days) override;
  std::string Describe() const override;
  std::string Presign(std::string_view key, PresignMethod method, int64_t expires_s,
                      int64_t now_s) const override;
  // The URL of an object (or of the bucket for an empty key), query excluded.
  std::string ObjectUrl(std::string_view key) const;

 private:
  S3ObjectStore(S3Config config, S3Credentials credentials, std::unique_ptr<S3Http> http);
  std::string BaseUrl() const;     // scheme://host[:port]
  std::string PathPrefix() const;  // "/bucket" (path-style) or ""
  std::string Where(std::string_view key) const {
    return "s3://" + config_.bucket + "/" + std::string(key);
  }
  std::vector<std::string> PutHeaders(const PutOptions& options, const FileDigests& digests) const;
  StoreResult<PutOutcome> PutSingle(std::string_view key, int fd, const FileDigests& digests,
                                    const PutOptions& options);
  StoreResult<PutOutcome> PutMultipart(std::string_view key, int fd,
                                       const std::filesystem::path& file,
                                       const FileDigests& digests, const PutOptions& options);
  StoreResult<std::string> UploadParts(std::string_view key, const std::string& upload_id, int fd,
                                       const std::filesystem::path& file, uint64_t size);
  StoreResult<std::string> UploadPart(std::string_view key, const std::string& upload_id,
                                      int part_number, int fd, const std::filesystem::path& file,
                                      uint64_t offset, uint64_t length);
  StoreResult<PutOutcome> CompleteMultipart(std::string_view key, const std::string& upload_id,
                                            const std::string& parts_xml,
                                            const FileDigests& digests);
  void AbortMultipart(std::string_view key, const std::string& upload_id);
  StoreResult<PutOutcome> CompareExisting(std::string_view key, const FileDigests& digests);

  S3Config config_;
  S3Credentials credentials_;
  std::unique_ptr<S3Http> http_;
};

// Parses "s3://BUCKET/PREFIX" into bucket and prefix ("" if none; a non-empty
// prefix keeps its trailing '/'). An error names what is wrong.
common::Result<std::pair<std::string, std::string>> ParseS3Target(std::string_view target);

}  // namespace hourglass::archive
