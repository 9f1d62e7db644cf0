// S3 credentials, found in the order SPEC.md lists: the environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION),
// the archive.secrets_file (TOML: access_key, secret_key, optional
// session_token), then ~/.aws/credentials (profile AWS_PROFILE or "default").
// Loaded once at start by one thread; the values are never logged: messages
// name only where credentials came from or were looked for.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace hourglass::archive {

struct S3Credentials {
  std::string access_key{};
  std::string secret_key{};
  std::string session_token{};  // empty unless temporary credentials
  std::string region{};         // from AWS_REGION/AWS_DEFAULT_REGION; empty if unset
  std::string source{};         // "environment", "secrets file PATH", "PATH [profile]"
};

struct CredentialLookup {
  // Reads an environment variable; the default reads the process environment.
  std::function<std::optional<std::string>(const char*)> getenv{};
  std::string secrets_file{};  // archive.secrets_file; empty if not configured
};

// The first complete set of credentials in lookup order, or an error naming
// every place that was tried. A secrets file that is configured but unreadable
// or incomplete is an error (not skipped): the operator asked for it.
common::Result<S3Credentials> LoadS3Credentials(const CredentialLookup& lookup = {});

// The key = value pairs of one [profile] (or [profile NAME]) section of an AWS
// INI file (~/.aws/credentials or ~/.aws/config); nullopt if there is none.
std::optional<std::map<std::string, std::string>> ParseAwsIniProfile(std::string_view text,
                                                                     std::string_view profile);

}  // namespace hourglass::archive
