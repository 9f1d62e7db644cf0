#include "archive/object_store/s3_http.h"

#include "common/utc_time.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <mutex>

namespace hourglass::archive {
namespace {

constexpr size_t kMaxBufferedBody = 1 << 20;
constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

}  // namespace

// Per-request state the libcurl callbacks see.
struct TransferState {
  CURL* curl = nullptr;
  const S3HttpRequest* request = nullptr;
  S3HttpResponse* response = nullptr;
  uint64_t sent = 0;  // bytes of the body range read so far
  int read_errno = 0;
};

namespace {

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<TransferState*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {  // a new response (after 100 Continue): start over
    state->response->headers.clear();
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * count;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(), ::tolower);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  state->response->headers[name] = std::string(value);
  return size * count;
}

size_t OnWrite(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<TransferState*>(user);
  long status = 0;
  curl_easy_getinfo(state->curl, CURLINFO_RESPONSE_CODE, &status);
  size_t n = size * count;
  if (status >= 200 && status < 300 && state->request->sink) {
    if (!(*state->request->sink)(std::span<const char>(data, n))) {
      state->response->sink_aborted = true;
      return 0;  // aborts the transfer with CURLE_WRITE_ERROR
    }
    return n;
  }
  std::string& body = state->response->body;
  body.append(data, std::min(n, kMaxBufferedBody - std::min(body.size(), kMaxBufferedBody)));
  return n;
}

size_t OnRead(char* buffer, size_t size, size_t count, void* user) {
  auto* state = static_cast<TransferState*>(user);
  const S3HttpRequest& req = *state->request;
  uint64_t left = req.body_length - state->sent;
  size_t want = static_cast<size_t>(std::min<uint64_t>(left, size * count));
  if (want == 0) return 0;
  for (;;) {
    ssize_t n =
        ::pread(req.body_fd, buffer, want, static_cast<off_t>(req.body_offset + state->sent));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {  // an error, or the file shrank under us
      state->read_errno = n < 0 ? errno : EIO;
      return CURL_READFUNC_ABORT;
    }
    state->sent += n;
    return static_cast<size_t>(n);
  }
}

int OnSeek(void* user, curl_off_t offset, int origin) {
  auto* state = static_cast<TransferState*>(user);
  if (origin != SEEK_SET || offset < 0 ||
      static_cast<uint64_t>(offset) > state->request->body_length) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  state->sent = static_cast<uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

// The request's headers plus the payload hash libcurl 7.88 signs but does not
// compute, and the session token of temporary credentials.
Slist BuildHeaders(const S3HttpRequest& req, const std::string& session_token) {
  Slist headers;
  auto add = [&](const std::string& h) {
    headers.reset(curl_slist_append(headers.release(), h.c_str()));
  };
  for (const std::string& h : req.headers) add(h);
  add("x-amz-content-sha256: " +
      (req.payload_sha256.empty() ? std::string(kEmptySha256) : req.payload_sha256));
  if (!session_token.empty()) add("x-amz-security-token: " + session_token);
  return headers;
}

}  // namespace

common::Result<std::unique_ptr<S3Http>> S3Http::Create(S3Credentials credentials,
                                                       S3HttpOptions options) {
  static std::once_flag init_once;  // libcurl's global init must precede any thread's use
  std::call_once(init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CURL* curl = curl_easy_init();
  if (!curl) return common::Status::Error("archive: cannot create a libcurl handle");
  return std::unique_ptr<S3Http>(new S3Http(std::move(credentials), std::move(options), curl));
}

S3Http::S3Http(S3Credentials credentials, S3HttpOptions options, CURL* curl)
    : credentials_(std::move(credentials)), options_(std::move(options)), curl_(curl) {}

void S3Http::SetBody(const S3HttpRequest& req, TransferState& state) {
  CURL* c = curl_.get();
  if (req.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (req.method == "PUT" && req.body.empty()) {
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(req.body_length));
    curl_easy_setopt(c, CURLOPT_READFUNCTION, OnRead);
    curl_easy_setopt(c, CURLOPT_READDATA, &state);
    curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, OnSeek);
    curl_easy_setopt(c, CURLOPT_SEEKDATA, &state);
  } else if (req.method == "POST" || !req.body.empty()) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    // A PUT of a small in-memory body (?lifecycle XML) is sent the same way.
    if (req.method != "POST") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  } else if (req.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }
  if (req.body_fd < 0) {
    curl_easy_setopt(c, CURLOPT_TIMEOUT, options_.small_request_timeout_s);
  }
}

StoreResult<S3HttpResponse> S3Http::Perform(const S3HttpRequest& req) {
  CURL* c = curl_.get();
  curl_easy_reset(c);  // keeps the connection cache
  S3HttpResponse response;
  TransferState state{.curl = c, .request = &req, .response = &response};
  std::string sigv4 = "aws:amz:" + options_.region + ":s3";
  Slist headers = BuildHeaders(req, credentials_.session_token);
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4.c_str());
  curl_easy_setopt(c, CURLOPT_USERNAME, credentials_.access_key.c_str());
  curl_easy_setopt(c, CURLOPT_PASSWORD, credentials_.secret_key.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, options_.low_speed_time_s);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &state);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnWrite);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &state);
  SetBody(req, state);
  CURLcode rc = curl_easy_perform(c);
  if (response.sink_aborted) return response;
  if (state.read_errno != 0) {
    return StoreError{ErrorKind::kLocal,
                      std::string("reading the upload body: ") + std::strerror(state.read_errno)};
  }
  if (rc != CURLE_OK) {
    std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    return StoreError{ErrorKind::kTransient, "S3 " + req.method + ": " + detail};
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

StoreError S3ErrorFromResponse(std::string_view what, const S3HttpResponse& response) {
  std::string code = XmlText(response.body, "Code");
  std::string message = XmlText(response.body, "Message");
  long status = response.status;
  ErrorKind kind = ErrorKind::kPermanent;
  std::string hint;
  if (code == "SignatureDoesNotMatch") {
    kind = ErrorKind::kAuth;
    hint = " (wrong secret key?)";
  } else if (code == "InvalidAccessKeyId") {
    kind = ErrorKind::kAuth;
    hint = " (unknown access key id)";
  } else if (code == "RequestTimeTooSkewed") {
    kind = ErrorKind::kAuth;
    hint = " (is the clock right?)";
  } else if (status == 401 || status == 403) {
    kind = ErrorKind::kAuth;
  } else if (status == 404) {
    kind = ErrorKind::kNotFound;
  } else if (status >= 500 || status == 429 || status == 408 || code == "SlowDown" ||
             code == "RequestTimeout" || code == "OperationAborted") {
    kind = ErrorKind::kTransient;
  }
  std::string text = std::string(what) + ": HTTP " + std::to_string(status);
  if (!code.empty()) text += " " + code;
  if (!message.empty()) text += ": " + message;
  if (code.empty() && message.empty() && status == 403) text += " Forbidden";
  if (code.empty() && message.empty() && status == 404) text += " Not Found";
  return {kind, text + hint};
}

std::vector<std::string_view> XmlElements(std::string_view xml, std::string_view tag) {
  std::vector<std::string_view> out;
  std::string open = "<" + std::string(tag) + ">";
  std::string close = "</" + std::string(tag) + ">";
  size_t pos = 0;
  for (;;) {
    size_t start = xml.find(open, pos);
    if (start == std::string_view::npos) break;
    start += open.size();
    size_t end = xml.find(close, start);
    if (end == std::string_view::npos) break;
    out.push_back(xml.substr(start, end - start));
    pos = end + close.size();
  }
  return out;
}

std::string XmlText(std::string_view xml, std::string_view tag) {
  std::vector<std::string_view> found = XmlElements(xml, tag);
  if (found.empty()) return "";
  std::string_view raw = found.front();
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    size_t semi = raw[i] == '&' ? raw.find(';', i) : std::string_view::npos;
    if (semi == std::string_view::npos || semi - i > 10) {
      out.push_back(raw[i]);
      continue;
    }
    std::string_view entity = raw.substr(i + 1, semi - i - 1);
    if (entity == "amp")
      out.push_back('&');
    else if (entity == "lt")
      out.push_back('<');
    else if (entity == "gt")
      out.push_back('>');
    else if (entity == "quot")
      out.push_back('"');
    else if (entity == "apos")
      out.push_back('\'');
    else if (entity.starts_with("#x"))
      out.push_back(
          static_cast<char>(std::strtol(std::string(entity.substr(2)).c_str(), nullptr, 16)));
    else if (entity.starts_with("#"))
      out.push_back(static_cast<char>(std::atoi(std::string(entity.substr(1)).c_str())));
    else
      out.append(raw.substr(i, semi - i + 1));
    i = semi;
  }
  return out;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  for (char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out.push_back(ch);
    }
  }
  return out;
}

int64_t ParseIso8601(std::string_view text) {
  common::CivilTime c;
  std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &c.year, &c.month, &c.day, &c.hour,
                  &c.minute, &c.second) != 6) {
    return 0;
  }
  return common::SecondsFromCivil(c);
}

}  // namespace hourglass::archive
