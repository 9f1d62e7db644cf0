// ObjectStore: where sealed audit files go. Two implementations share one key
// layout: S3ObjectStore (any S3-compatible service, over libcurl) and
// LocalObjectStore (a directory, file://). Nothing is ever overwritten: Put
// reports an identical object already there as done and a different one as a
// conflict. An instance is used by one thread at a time (the uploader or a
// CLI command); create one per thread for parallel use.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace hourglass::archive {

// Why an operation failed: it decides what the caller does next.
enum class ErrorKind {
  kNotFound,   // no such object (or bucket)
  kAuth,       // credentials missing or wrong, or access denied: an operator must act
  kTransient,  // network failure, timeout, 5xx, throttling: retry with backoff
  kPermanent,  // any other refusal (bad request, invalid name): retrying will not help
  kLocal,      // the local file could not be read or written
};
std::string_view ErrorKindName(ErrorKind kind);

// A failure: its kind and one line for an operator (never holds secrets).
struct StoreError {
  ErrorKind kind{};
  std::string message{};
  common::Status ToStatus() const { return common::Status::Error(message); }
};

// A value or a StoreError. StoreResult<void> carries only success or failure.
template <typename T>
class [[nodiscard]] StoreResult {
 public:
  StoreResult(T value) : value_(std::move(value)) {}           // NOLINT: implicit on purpose
  StoreResult(StoreError error) : error_(std::move(error)) {}  // NOLINT: implicit on purpose
  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  const StoreError& error() const { return *error_; }
  common::Status status() const { return ok() ? common::Status::Ok() : error_->ToStatus(); }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  std::optional<StoreError> error_;
};

template <>
class [[nodiscard]] StoreResult<void> {
 public:
  StoreResult() = default;
  StoreResult(StoreError error) : error_(std::move(error)) {}  // NOLINT: implicit on purpose
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const StoreError& error() const { return *error_; }
  common::Status status() const { return ok() ? common::Status::Ok() : error_->ToStatus(); }

 private:
  std::optional<StoreError> error_;
};

enum class PutOutcome {
  kUploaded,           // the object is new and now stored
  kAlreadyIdentical,   // an object with the same size and checksum was already there
  kConflictDifferent,  // a different object holds the key; nothing was written
};
std::string_view PutOutcomeName(PutOutcome outcome);

struct PutOptions {
  // User metadata (x-amz-meta-NAME): lower-case names, printable ASCII values.
  std::map<std::string, std::string> metadata{};
  std::string content_type = "application/octet-stream";
};

struct ObjectInfo {
  std::string key{};
  uint64_t size = 0;
  std::string etag{};                             // without quotes; MD5 hex for single-part objects
  int64_t last_modified_s = 0;                    // Unix seconds
  std::map<std::string, std::string> metadata{};  // Head only (List leaves it empty)
};

struct ListPage {
  std::vector<ObjectInfo> objects{};  // in key order
  std::string next_token{};           // empty on the last page
};

enum class PresignMethod { kGet, kPut };

// What ObjectStore::ExpireAfterDays did.
enum class ExpiryChange { kAdded, kUpdated, kUnchanged, kUnsupported };

// Receives an object's bytes in order; returns false to abort the transfer.
using ByteSink = std::function<bool(std::span<const char>)>;

// The metadata name under which Put stores the file's SHA-256 (hex): how an
// already-present object is recognised as identical.
inline constexpr std::string_view kSha256MetadataName = "hourglass-sha256";

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Stores the file at `file` under `key` unless the key is taken (never
  // overwrites). The file must not change during the call. Every upload is
  // checked end to end (Content-MD5 on S3, a re-read checksum locally).
  virtual StoreResult<PutOutcome> Put(std::string_view key, const std::filesystem::path& file,
                                      const PutOptions& options) = 0;
  // Size, etag and user metadata of one object; kNotFound if absent.
  virtual StoreResult<ObjectInfo> Head(std::string_view key) = 0;
  // Streams the object's bytes to `sink`; returns its info (metadata empty).
  virtual StoreResult<ObjectInfo> Get(std::string_view key, const ByteSink& sink) = 0;
  // One page of keys starting with `prefix`, after `token` (empty: first page).
  virtual StoreResult<ListPage> List(std::string_view prefix, std::string_view token,
                                     int max_keys = 1000) = 0;
  // Removes the object. Removing an absent key succeeds (as on S3).
  virtual StoreResult<void> Delete(std::string_view key) = 0;
  // A URL that lets anyone GET (or PUT) the object until now_s + expires_s
  // (1 s .. 7 days): SigV4 query signing on S3, a file:// URL locally.
  virtual std::string Presign(std::string_view key, PresignMethod method, int64_t expires_s,
                              int64_t now_s) const = 0;
  // Aborts the unfinished multipart uploads of `key` that a crash left
  // behind (their parts are invisible but cost storage); returns how many.
  // A store without multipart uploads has none.
  virtual StoreResult<int> AbortIncompleteUploads(std::string_view key) { return 0; }
  // Makes the store delete objects under `prefix` `days` days after their
  // creation (S3: the bucket lifecycle rule ExpiryRuleId(prefix), other rules
  // left alone; expiry is asynchronous). kUnsupported: the store does not
  // expire objects (a local directory).
  virtual StoreResult<ExpiryChange> ExpireAfterDays(std::string_view prefix, int64_t days) {
    return ExpiryChange::kUnsupported;
  }
  // Where objects go, for logs and /health: "s3://bucket at endpoint" or
  // "file:///dir". Never holds credentials.
  virtual std::string Describe() const = 0;

  // Get into a file: written to a temp file beside it, fsynced and renamed, so
  // `file` is either complete or absent. An existing non-regular `file` (a
  // device, a FIFO) is refused: stream to it with Get instead.
  StoreResult<ObjectInfo> GetToFile(std::string_view key, const std::filesystem::path& file);
  // Every page of List.
  StoreResult<std::vector<ObjectInfo>> ListAll(std::string_view prefix);
};

// Checksums of a file, read once in a streaming pass.
struct FileDigests {
  uint64_t size = 0;
  std::string md5_hex{};
  std::string md5_base64{};  // for Content-MD5
  std::string sha256_hex{};
};
// Digests of `length` bytes at `offset` (length nullopt: to the end).
StoreResult<FileDigests> DigestFile(const std::filesystem::path& file, uint64_t offset = 0,
                                    std::optional<uint64_t> length = std::nullopt);

// True if `key` is a usable object key: non-empty, at most 1024 bytes, no
// leading '/', no empty, "." or ".." segments, no control characters.
bool IsValidKey(std::string_view key);

}  // namespace hourglass::archive
