#include "archive/object_store/s3_object_store.h"

#include <fcntl.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include <boost/url/parse.hpp>

#include "archive/object_store/bucket_lifecycle.h"
#include "archive/object_store/presign.h"
#include "common/hex.h"
#include "common/unique_fd.h"

namespace hourglass::archive {
namespace {

constexpr uint64_t kMinPartSize = 5ull << 20;
constexpr uint64_t kMaxParts = 10000;

bool IsValidBucket(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  for (char c : bucket) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
  }
  return bucket.front() != '.' && bucket.front() != '-';
}

std::string Unquote(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    etag = etag.substr(1, etag.size() - 2);
  return etag;
}

bool IsMd5Hex(std::string_view etag) {
  return etag.size() == 32 && etag.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::string Md5Base64(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr);
  unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  const int b64_len = EVP_EncodeBlock(b64, md, static_cast<int>(len));
  return std::string(reinterpret_cast<char*>(b64), static_cast<size_t>(b64_len));
}

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

}  // namespace

common::Result<std::pair<std::string, std::string>> ParseS3Target(std::string_view target) {
  if (!target.starts_with("s3://")) {
    return common::Status::Error("archive.target \"" + std::string(target) +
                                 "\": expected s3://BUCKET/PREFIX");
  }
  target.remove_prefix(5);
  size_t slash = target.find('/');
  std::string bucket(target.substr(0, slash));
  std::string prefix(slash == std::string_view::npos ? "" : target.substr(slash + 1));
  if (!IsValidBucket(bucket)) {
    return common::Status::Error("archive.target: \"" + bucket + "\" is not a valid bucket name");
  }
  if (!prefix.empty() && prefix.back() != '/') prefix.push_back('/');
  return std::make_pair(bucket, prefix);
}

namespace {

// 1-5 digits (Boost.URL's parser leaves a port's characters unchecked).
bool IsPort(std::string_view port) {
  return !port.empty() && port.size() <= 5 &&
         std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// http(s)://HOST[:PORT][/PATH] (RFC 3986): a host, and no user, query or
// fragment (they would end up inside every object URL).
bool IsValidEndpoint(std::string_view endpoint) {
  const boost::system::result<boost::urls::url_view> uri = boost::urls::parse_uri(endpoint);
  if (!uri) return false;
  const boost::urls::scheme scheme = uri->scheme_id();
  return (scheme == boost::urls::scheme::http || scheme == boost::urls::scheme::https) &&
         uri->has_authority() && !uri->encoded_host().empty() && !uri->has_userinfo() &&
         !uri->has_query() && !uri->has_fragment() && (!uri->has_port() || IsPort(uri->port()));
}

}  // namespace

common::Result<std::unique_ptr<S3ObjectStore>> S3ObjectStore::Create(S3Config config,
                                                                     S3Credentials credentials) {
  if (!IsValidBucket(config.bucket)) {
    return common::Status::Error("archive: \"" + config.bucket + "\" is not a valid bucket name");
  }
  while (config.endpoint.ends_with('/')) config.endpoint.pop_back();
  if (!config.endpoint.empty() && !IsValidEndpoint(config.endpoint)) {
    return common::Status::Error("archive.endpoint \"" + config.endpoint +
                                 "\": expected http(s)://HOST[:PORT]");
  }
  if (config.part_size < kMinPartSize) {
    return common::Status::Error("archive: multipart part size must be at least 5 MiB");
  }
  if (config.region.empty())
    config.region = credentials.region.empty() ? "us-east-1" : credentials.region;
  if (config.part_attempts < 1) config.part_attempts = 1;
  config.http.region = config.region;
  auto http = S3Http::Create(credentials, config.http);
  if (!http) return http.status();
  return std::unique_ptr<S3ObjectStore>(
      new S3ObjectStore(std::move(config), std::move(credentials), std::move(*http)));
}

S3ObjectStore::S3ObjectStore(S3Config config, S3Credentials credentials,
                             std::unique_ptr<S3Http> http)
    : config_(std::move(config)), credentials_(std::move(credentials)), http_(std::move(http)) {}

std::string S3ObjectStore::BaseUrl() const {
  bool path_style = config_.addressing == S3Addressing::kPath ||
                    (config_.addressing == S3Addressing::kAuto &&
                     (!config_.endpoint.empty() || config_.bucket.find('.') != std::string::npos));
  std::string endpoint = config_.endpoint.empty()
                             ? "https://s3." + config_.region + ".amazonaws.com"
                             : config_.endpoint;
  if (path_style) return endpoint;
  const boost::system::result<boost::urls::url_view> uri = boost::urls::parse_uri(endpoint);
  if (!uri) return endpoint;  // Create accepts only endpoints that parse
  return std::string(uri->scheme()) + "://" + config_.bucket + "." +
         std::string(uri->encoded_authority()) + std::string(uri->encoded_path());
}

std::string S3ObjectStore::PathPrefix() const {
  return BaseUrl().find("://" + config_.bucket + ".") == std::string::npos ? "/" + config_.bucket
                                                                           : "";
}

std::string S3ObjectStore::ObjectUrl(std::string_view key) const {
  return BaseUrl() + PathPrefix() + "/" + UriEncode(key, true);
}

std::string S3ObjectStore::Describe() const {
  return "s3://" + config_.bucket + " at " + BaseUrl() + " (" + config_.region +
         ", credentials from " + credentials_.source + ")";
}

std::string S3ObjectStore::Presign(std::string_view key, PresignMethod method, int64_t expires_s,
                                   int64_t now_s) const {
  PresignRequest request{.method = method == PresignMethod::kPut ? "PUT" : "GET",
                         .base_url = BaseUrl(),
                         .path = PathPrefix() + "/" + UriEncode(key, true),
                         .region = config_.region,
                         .access_key = credentials_.access_key,
                         .secret_key = credentials_.secret_key,
                         .session_token = credentials_.session_token,
                         .now_s = now_s,
                         .expires_s = expires_s};
  return PresignUrl(request);
}

std::vector<std::string> S3ObjectStore::PutHeaders(const PutOptions& options,
                                                   const FileDigests& digests) const {
  std::vector<std::string> headers = {
      "Content-Type: " + options.content_type,
      "x-amz-meta-" + std::string(kSha256MetadataName) + ": " + digests.sha256_hex};
  for (const auto& [name, value] : options.metadata) {
    if (name != kSha256MetadataName) headers.push_back("x-amz-meta-" + name + ": " + value);
  }
  if (!config_.storage_class.empty())
    headers.push_back("x-amz-storage-class: " + config_.storage_class);
  if (!config_.server_side_encryption.empty()) {
    headers.push_back("x-amz-server-side-encryption: " + config_.server_side_encryption);
  }
  if (!config_.sse_kms_key_id.empty()) {
    headers.push_back("x-amz-server-side-encryption-aws-kms-key-id: " + config_.sse_kms_key_id);
  }
  return headers;
}

StoreResult<PutOutcome> S3ObjectStore::Put(std::string_view key, const std::filesystem::path& file,
                                           const PutOptions& options) {
  if (!IsValidKey(key))
    return StoreError{ErrorKind::kPermanent, "invalid object key \"" + std::string(key) + "\""};
  common::UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid())
    return StoreError{ErrorKind::kLocal,
                      "cannot open " + file.string() + ": " + std::strerror(errno)};
  StoreResult<FileDigests> digests = DigestFile(file);
  if (!digests) return digests.error();
  if (digests->size > config_.multipart_threshold) {
    return PutMultipart(key, fd.get(), file, *digests, options);
  }
  return PutSingle(key, fd.get(), *digests, options);
}

StoreResult<PutOutcome> S3ObjectStore::PutSingle(std::string_view key, int fd,
                                                 const FileDigests& digests,
                                                 const PutOptions& options) {
  S3HttpRequest req{.method = "PUT",
                    .url = ObjectUrl(key),
                    .headers = PutHeaders(options, digests),
                    .body_fd = fd,
                    .body_length = digests.size,
                    .payload_sha256 = digests.sha256_hex};
  req.headers.push_back("Content-MD5: " + digests.md5_base64);
  req.headers.push_back("If-None-Match: *");
  StoreResult<S3HttpResponse> resp = http_->Perform(req);
  if (!resp) return resp.error();
  if (resp->status == 412) return CompareExisting(key, digests);
  if (resp->status != 200) return S3ErrorFromResponse("S3 PUT " + Where(key), *resp);
  std::string etag = Unquote(resp->headers["etag"]);
  if (IsMd5Hex(etag) && config_.server_side_encryption != "aws:kms" && etag != digests.md5_hex) {
    return StoreError{ErrorKind::kTransient,
                      "S3 PUT " + Where(key) + ": stored ETag does not match the file's MD5"};
  }
  return PutOutcome::kUploaded;
}

StoreResult<PutOutcome> S3ObjectStore::CompareExisting(std::string_view key,
                                                       const FileDigests& digests) {
  StoreResult<ObjectInfo> info = Head(key);
  if (!info) return info.error();
  if (info->size != digests.size) return PutOutcome::kConflictDifferent;
  auto sha = info->metadata.find(std::string(kSha256MetadataName));
  bool same = sha != info->metadata.end() ? sha->second == digests.sha256_hex
                                          : info->etag == digests.md5_hex;
  return same ? PutOutcome::kAlreadyIdentical : PutOutcome::kConflictDifferent;
}

StoreResult<PutOutcome> S3ObjectStore::PutMultipart(std::string_view key, int fd,
                                                    const std::filesystem::path& file,
                                                    const FileDigests& digests,
                                                    const PutOptions& options) {
  // CompleteMultipartUpload does not honour If-None-Match everywhere (RGW
  // ignores it), so look first; the window between HEAD and Complete remains.
  StoreResult<ObjectInfo> existing = Head(key);
  if (existing) return CompareExisting(key, digests);
  if (existing.error().kind != ErrorKind::kNotFound) return existing.error();
  S3HttpRequest create{.method = "POST",
                       .url = ObjectUrl(key) + "?uploads=",
                       .headers = PutHeaders(options, digests)};
  StoreResult<S3HttpResponse> resp = http_->Perform(create);
  if (!resp) return resp.error();
  if (resp->status != 200) return S3ErrorFromResponse("S3 multipart create " + Where(key), *resp);
  std::string upload_id = XmlText(resp->body, "UploadId");
  if (upload_id.empty()) {
    return StoreError{ErrorKind::kTransient,
                      "S3 multipart create " + Where(key) + ": no UploadId in reply"};
  }
  StoreResult<std::string> parts_xml = UploadParts(key, upload_id, fd, file, digests.size);
  if (!parts_xml) {
    AbortMultipart(key, upload_id);
    return parts_xml.error();
  }
  return CompleteMultipart(key, upload_id, *parts_xml, digests);
}

StoreResult<std::string> S3ObjectStore::UploadParts(std::string_view key,
                                                    const std::string& upload_id, int fd,
                                                    const std::filesystem::path& file,
                                                    uint64_t size) {
  uint64_t part_size = std::max(config_.part_size, (size + kMaxParts - 1) / kMaxParts);
  std::string xml;
  int number = 1;
  for (uint64_t offset = 0; offset < size; offset += part_size, ++number) {
    uint64_t length = std::min(part_size, size - offset);
    StoreResult<std::string> etag = UploadPart(key, upload_id, number, fd, file, offset, length);
    if (!etag) return etag.error();
    xml += "<Part><PartNumber>" + std::to_string(number) + "</PartNumber><ETag>\"" +
           XmlEscape(*etag) + "\"</ETag></Part>";
  }
  return xml;
}

StoreResult<std::string> S3ObjectStore::UploadPart(std::string_view key,
                                                   const std::string& upload_id, int number, int fd,
                                                   const std::filesystem::path& file,
                                                   uint64_t offset, uint64_t length) {
  StoreResult<FileDigests> digests = DigestFile(file, offset, length);
  if (!digests) return digests.error();
  std::string query =
      CanonicalQuery({{"partNumber", std::to_string(number)}, {"uploadId", upload_id}});
  S3HttpRequest req{.method = "PUT",
                    .url = ObjectUrl(key) + "?" + query,
                    .headers = {"Content-MD5: " + digests->md5_base64},
                    .body_fd = fd,
                    .body_offset = offset,
                    .body_length = length,
                    .payload_sha256 = digests->sha256_hex};
  StoreError last{ErrorKind::kTransient, ""};
  for (int attempt = 0; attempt < config_.part_attempts; ++attempt) {
    if (attempt > 0) {
      std::this_thread::sleep_for(
          std::chrono::milliseconds(config_.retry_base_delay_ms << (attempt - 1)));
    }
    StoreResult<S3HttpResponse> resp = http_->Perform(req);
    if (resp && resp->status == 200) return Unquote(resp->headers["etag"]);
    last = resp ? S3ErrorFromResponse(
                      "S3 upload part " + std::to_string(number) + " of " + Where(key), *resp)
                : resp.error();
    if (last.kind != ErrorKind::kTransient) break;
  }
  return last;
}

StoreResult<PutOutcome> S3ObjectStore::CompleteMultipart(std::string_view key,
                                                         const std::string& upload_id,
                                                         const std::string& parts_xml,
                                                         const FileDigests& digests) {
  std::string body = "<CompleteMultipartUpload>" + parts_xml + "</CompleteMultipartUpload>";
  S3HttpRequest req{.method = "POST",
                    .url = ObjectUrl(key) + "?" + CanonicalQuery({{"uploadId", upload_id}}),
                    .headers = {"Content-Type: application/xml", "If-None-Match: *"},
                    .body = body,
                    .payload_sha256 = Sha256Hex(body)};
  StoreResult<S3HttpResponse> resp = http_->Perform(req);
  // A 200 reply may still carry an <Error> (S3 reports late failures that way).
  if (resp && resp->status == 200 && resp->body.find("<Error>") == std::string::npos) {
    return PutOutcome::kUploaded;
  }
  AbortMultipart(key, upload_id);
  if (!resp) return resp.error();
  if (resp->status == 412) return CompareExisting(key, digests);
  if (resp->status == 200) resp->status = 500;  // the embedded error: retry later
  return S3ErrorFromResponse("S3 multipart complete " + Where(key), *resp);
}

void S3ObjectStore::AbortMultipart(std::string_view key, const std::string& upload_id) {
  S3HttpRequest req{.method = "DELETE",
                    .url = ObjectUrl(key) + "?" + CanonicalQuery({{"uploadId", upload_id}})};
  for (int attempt = 0; attempt < config_.part_attempts; ++attempt) {
    StoreResult<S3HttpResponse> resp = http_->Perform(req);
    if (resp && (resp->status == 204 || resp->status == 200 || resp->status == 404)) return;
  }
  // Left behind: a bucket lifecycle rule (AbortIncompleteMultipartUpload) cleans it up.
}

StoreResult<int> S3ObjectStore::AbortIncompleteUploads(std::string_view key) {
  const std::string url = BaseUrl() + PathPrefix() + "/?" +
                          CanonicalQuery({{"prefix", std::string(key)}, {"uploads", ""}});
  StoreResult<S3HttpResponse> resp = http_->Perform({.method = "GET", .url = url});
  if (!resp) return resp.error();
  if (resp->status != 200) return S3ErrorFromResponse("S3 list uploads " + Where(key), *resp);
  int aborted = 0;
  for (std::string_view upload : XmlElements(resp->body, "Upload")) {
    if (XmlText(upload, "Key") != key) continue;
    AbortMultipart(key, XmlText(upload, "UploadId"));
    ++aborted;
  }
  return aborted;
}

StoreResult<ObjectInfo> S3ObjectStore::Head(std::string_view key) {
  StoreResult<S3HttpResponse> resp = http_->Perform({.method = "HEAD", .url = ObjectUrl(key)});
  if (!resp) return resp.error();
  if (resp->status != 200) return S3ErrorFromResponse("S3 HEAD " + Where(key), *resp);
  ObjectInfo info{.key = std::string(key), .etag = Unquote(resp->headers["etag"])};
  info.size = std::strtoull(resp->headers["content-length"].c_str(), nullptr, 10);
  info.last_modified_s = curl_getdate(resp->headers["last-modified"].c_str(), nullptr);
  for (const auto& [name, value] : resp->headers) {
    if (name.starts_with("x-amz-meta-")) info.metadata[name.substr(11)] = value;
  }
  return info;
}

StoreResult<ObjectInfo> S3ObjectStore::Get(std::string_view key, const ByteSink& sink) {
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> md5(EVP_MD_CTX_new());
  EVP_DigestInit_ex(md5.get(), EVP_md5(), nullptr);
  uint64_t received = 0;
  ByteSink counting = [&](std::span<const char> bytes) {
    EVP_DigestUpdate(md5.get(), bytes.data(), bytes.size());
    received += bytes.size();
    return sink(bytes);
  };
  StoreResult<S3HttpResponse> resp =
      http_->Perform({.method = "GET", .url = ObjectUrl(key), .sink = &counting});
  if (!resp) return resp.error();
  if (resp->sink_aborted)
    return StoreError{ErrorKind::kLocal, "download of " + Where(key) + " aborted"};
  if (resp->status != 200) return S3ErrorFromResponse("S3 GET " + Where(key), *resp);
  ObjectInfo info{
      .key = std::string(key), .size = received, .etag = Unquote(resp->headers["etag"])};
  info.last_modified_s = curl_getdate(resp->headers["last-modified"].c_str(), nullptr);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(md5.get(), md, &len);
  std::string md5_hex = common::HexEncode(md, len);
  if (IsMd5Hex(info.etag) && info.etag != md5_hex && config_.server_side_encryption != "aws:kms") {
    return StoreError{ErrorKind::kTransient,
                      "S3 GET " + Where(key) + ": body does not match its ETag"};
  }
  return info;
}

StoreResult<ListPage> S3ObjectStore::List(std::string_view prefix, std::string_view token,
                                          int max_keys) {
  std::vector<std::pair<std::string, std::string>> params = {
      {"list-type", "2"}, {"max-keys", std::to_string(max_keys)}, {"prefix", std::string(prefix)}};
  if (!token.empty()) params.emplace_back("continuation-token", std::string(token));
  std::string url = BaseUrl() + PathPrefix() + "/?" + CanonicalQuery(params);
  StoreResult<S3HttpResponse> resp = http_->Perform({.method = "GET", .url = url});
  if (!resp) return resp.error();
  if (resp->status != 200)
    return S3ErrorFromResponse("S3 list s3://" + config_.bucket + "/" + std::string(prefix), *resp);
  ListPage page;
  for (std::string_view item : XmlElements(resp->body, "Contents")) {
    ObjectInfo info{.key = XmlText(item, "Key"), .etag = Unquote(XmlText(item, "ETag"))};
    info.size = std::strtoull(XmlText(item, "Size").c_str(), nullptr, 10);
    info.last_modified_s = ParseIso8601(XmlText(item, "LastModified"));
    page.objects.push_back(std::move(info));
  }
  if (XmlText(resp->body, "IsTruncated") == "true") {
    page.next_token = XmlText(resp->body, "NextContinuationToken");
  }
  return page;
}

StoreResult<void> S3ObjectStore::Delete(std::string_view key) {
  StoreResult<S3HttpResponse> resp = http_->Perform({.method = "DELETE", .url = ObjectUrl(key)});
  if (!resp) return resp.error();
  if (resp->status != 204 && resp->status != 200 && resp->status != 404) {
    return S3ErrorFromResponse("S3 DELETE " + Where(key), *resp);
  }
  return {};
}

StoreResult<ExpiryChange> S3ObjectStore::ExpireAfterDays(std::string_view prefix, int64_t days) {
  const std::string url = BaseUrl() + PathPrefix() + "/?lifecycle=";
  const std::string where = "s3://" + config_.bucket + " lifecycle";
  StoreResult<S3HttpResponse> got = http_->Perform({.method = "GET", .url = url});
  if (!got) return got.error();
  const bool none =
      got->status == 404 && XmlText(got->body, "Code") == "NoSuchLifecycleConfiguration";
  if (got->status != 200 && !none) return S3ErrorFromResponse("S3 GET " + where, *got);
  auto merge = MergeExpiryRule(none ? "" : got->body, prefix, days);
  if (!merge) {
    return StoreError{ErrorKind::kPermanent, "S3 GET " + where + ": " + merge.status().message()};
  }
  if (!merge->changed) return ExpiryChange::kUnchanged;
  S3HttpRequest put{
      .method = "PUT",
      .url = url,
      .headers = {"Content-Type: application/xml", "Content-MD5: " + Md5Base64(merge->xml)},
      .body = merge->xml,
      .payload_sha256 = Sha256Hex(merge->xml)};
  StoreResult<S3HttpResponse> resp = http_->Perform(put);
  if (!resp) return resp.error();
  if (resp->status != 200) return S3ErrorFromResponse("S3 PUT " + where, *resp);
  return merge->replaced ? ExpiryChange::kUpdated : ExpiryChange::kAdded;
}

}  // namespace hourglass::archive
