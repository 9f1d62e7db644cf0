// S3Http: one libcurl easy handle (kept for connection reuse) that sends
// SigV4-signed S3 requests (CURLOPT_AWS_SIGV4, with x-amz-content-sha256
// supplied by the caller, as libcurl 7.88 does not add it) and classifies
// failures into ErrorKind with S3's own <Code>/<Message>. Also the small XML
// readers the S3 client needs. One thread per S3Http; secrets never leave it.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "archive/object_store/object_store.h"
#include "archive/object_store/s3_credentials.h"

namespace hourglass::archive {

struct TransferState;  // what the libcurl callbacks of one request share

struct S3HttpOptions {
  std::string region = "us-east-1";
  long connect_timeout_ms = 10'000;
  long low_speed_time_s = 60;          // abort a transfer slower than 1 KiB/s for this long
  long small_request_timeout_s = 120;  // whole-request limit when no body is streamed
};

struct S3HttpRequest {
  std::string method{};                // GET PUT POST HEAD DELETE
  std::string url{};                   // path URI-encoded, query in canonical form
  std::vector<std::string> headers{};  // "Name: value"; x-amz-content-sha256 is added
  std::string body{};                  // small bodies (POST or PUT XML)
  int body_fd = -1;                    // or a file range streamed as the body
  uint64_t body_offset = 0;
  uint64_t body_length = 0;
  std::string payload_sha256{};    // hex SHA-256 of the body (empty: of "")
  const ByteSink* sink = nullptr;  // receives a 2xx response body if set
};

struct S3HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers{};  // names lower-case
  std::string body{};                            // non-streamed body, capped at 1 MiB
  bool sink_aborted = false;
};

class S3Http {
 public:
  static common::Result<std::unique_ptr<S3Http>> Create(S3Credentials credentials,
                                                        S3HttpOptions options);
  // Sends the request. A transport failure (connect, timeout, reset) is a
  // kTransient error; any HTTP status is a response for the caller to judge.
  StoreResult<S3HttpResponse> Perform(const S3HttpRequest& request);

 private:
  struct CurlDeleter {
    void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
  };
  S3Http(S3Credentials credentials, S3HttpOptions options, CURL* curl);
  void SetBody(const S3HttpRequest& request, TransferState& state);

  S3Credentials credentials_;
  S3HttpOptions options_;
  std::unique_ptr<CURL, CurlDeleter> curl_;
};

// The StoreError for a failed S3 response: its kind from the status and S3
// error code, and a message "WHAT: HTTP 403 SignatureDoesNotMatch: ...".
StoreError S3ErrorFromResponse(std::string_view what, const S3HttpResponse& response);

// XML readers for S3's small, flat documents: the text of each <tag>...</tag>
// in order (entities decoded for XmlText; XmlElements returns raw inner XML).
std::vector<std::string_view> XmlElements(std::string_view xml, std::string_view tag);
std::string XmlText(std::string_view xml, std::string_view tag);
std::string XmlEscape(std::string_view text);
// "2026-11-21T05:00:00.000Z" to Unix seconds (0 if unparsable).
int64_t ParseIso8601(std::string_view text);

}  // namespace hourglass::archive
