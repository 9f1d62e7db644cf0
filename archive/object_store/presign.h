// SigV4 building blocks (SHA-256, HMAC, AWS URI encoding, canonical query) and
// presigned URLs: a GET or PUT URL that anyone holding it may use until it
// expires (S3 "query string authentication"). Pure functions over their
// arguments (the time comes in), so any thread may call them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hourglass::archive {

std::string Sha256Hex(std::string_view data);
// Raw 32-byte HMAC-SHA256 of data under key.
std::string HmacSha256(std::string_view key, std::string_view data);
// AWS URI encoding: every byte but A-Z a-z 0-9 - . _ ~ is %XX (upper-case
// hex); '/' is kept when keep_slash (object paths) and encoded otherwise.
std::string UriEncode(std::string_view text, bool keep_slash);
// "name=value&..." sorted by encoded name, names and values URI-encoded, a
// parameter without value written "name=" (what SigV4 signs).
std::string CanonicalQuery(std::vector<std::pair<std::string, std::string>> params);
// "20130524T000000Z" for a Unix time.
std::string AmzDate(int64_t unix_seconds);

struct PresignRequest {
  std::string method{};    // "GET" or "PUT"
  std::string base_url{};  // "https://examplebucket.s3.amazonaws.com" (port if not default)
  std::string path{};      // URI-encoded path: "/test.txt" or "/bucket/key"
  std::string region{};    // "us-east-1"
  std::string access_key{};
  std::string secret_key{};
  std::string session_token{};  // empty unless temporary credentials
  int64_t now_s = 0;            // signing time, Unix seconds
  int64_t expires_s = 3600;     // 1 .. 604800 (7 days), as S3 requires
};

// The presigned URL; the payload is UNSIGNED-PAYLOAD and only "host" is a
// signed header, so plain `curl URL` (GET) or `curl -T FILE URL` (PUT) works.
std::string PresignUrl(const PresignRequest& request);

}  // namespace hourglass::archive
