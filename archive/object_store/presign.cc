#include "archive/object_store/presign.h"

#include <boost/url/parse.hpp>

#include "common/hex.h"
#include "common/utc_time.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <ctime>

namespace hourglass::archive {

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return common::HexEncode(md, len);
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  return std::string(reinterpret_cast<char*>(md), len);
}

std::string UriEncode(std::string_view text, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/');
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 0xf]);
    }
  }
  return out;
}

std::string CanonicalQuery(std::vector<std::pair<std::string, std::string>> params) {
  for (auto& [name, value] : params) {
    name = UriEncode(name, false);
    value = UriEncode(value, false);
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    out += name + "=" + value;
  }
  return out;
}

std::string AmzDate(int64_t unix_seconds) {
  return common::FormatUtc(unix_seconds, "%Y%m%dT%H%M%SZ");
}

std::string PresignUrl(const PresignRequest& r) {
  std::string amz_date = AmzDate(r.now_s);
  std::string day = amz_date.substr(0, 8);
  std::string scope = day + "/" + r.region + "/s3/aws4_request";
  // The signed host header: HOST[:PORT] of the base URL.
  std::string_view host = r.base_url;
  if (const auto uri = boost::urls::parse_uri(r.base_url); uri && uri->has_authority()) {
    host = uri->encoded_authority();
  } else if (size_t pos = host.find("://"); pos != std::string_view::npos) {
    host.remove_prefix(pos + 3);
  }
  int64_t expires = std::clamp<int64_t>(r.expires_s, 1, 604800);

  std::vector<std::pair<std::string, std::string>> params = {
      {"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
      {"X-Amz-Credential", r.access_key + "/" + scope},
      {"X-Amz-Date", amz_date},
      {"X-Amz-Expires", std::to_string(expires)},
      {"X-Amz-SignedHeaders", "host"},
  };
  if (!r.session_token.empty()) params.emplace_back("X-Amz-Security-Token", r.session_token);
  std::string query = CanonicalQuery(params);

  std::string canonical_request = r.method + "\n" + r.path + "\n" + query +
                                  "\nhost:" + std::string(host) + "\n\nhost\nUNSIGNED-PAYLOAD";
  std::string string_to_sign =
      "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + Sha256Hex(canonical_request);
  std::string key = HmacSha256("AWS4" + r.secret_key, day);
  key = HmacSha256(key, r.region);
  key = HmacSha256(key, "s3");
  key = HmacSha256(key, "aws4_request");
  std::string signature = common::HexEncode(HmacSha256(key, string_to_sign));
  return r.base_url + r.path + "?" + query + "&X-Amz-Signature=" + signature;
}

}  // namespace hourglass::archive
