#include "archive/object_store/s3_credentials.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>
#include <toml++/toml.h>

namespace hourglass::archive {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<std::string> NonEmpty(const CredentialLookup& lookup, const char* name) {
  std::optional<std::string> value = lookup.getenv(name);
  if (value && value->empty()) return std::nullopt;
  return value;
}

void WarnIfReadableByOthers(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 0077) != 0) {
    spdlog::warn("archive: secrets file {} is readable by group or others (chmod 600 it)", path);
  }
}

common::Result<S3Credentials> FromSecretsFile(const std::string& path) {
  std::optional<std::string> text = ReadFile(path);
  if (!text) return common::Status::Error("archive.secrets_file " + path + ": cannot read it");
  toml::table table;
  try {
    table = toml::parse(*text, path);
  } catch (const toml::parse_error& error) {  // start-up path only, never the data path
    return common::Status::Error("archive.secrets_file " + path + ":" +
                                 std::to_string(error.source().begin.line) +
                                 ": not valid TOML: " + std::string(error.description()));
  }
  S3Credentials creds;
  creds.access_key = table["access_key"].value_or(std::string());
  creds.secret_key = table["secret_key"].value_or(std::string());
  creds.session_token = table["session_token"].value_or(std::string());
  if (creds.access_key.empty() || creds.secret_key.empty()) {
    return common::Status::Error("archive.secrets_file " + path +
                                 ": needs both access_key and secret_key (strings)");
  }
  WarnIfReadableByOthers(path);
  creds.source = "secrets file " + path;
  return creds;
}

std::optional<S3Credentials> FromSharedFile(const std::string& path, const std::string& profile) {
  std::optional<std::string> text = ReadFile(path);
  if (!text) return std::nullopt;
  auto values = ParseAwsIniProfile(*text, profile);
  if (!values) return std::nullopt;
  S3Credentials creds;
  creds.access_key = (*values)["aws_access_key_id"];
  creds.secret_key = (*values)["aws_secret_access_key"];
  creds.session_token = (*values)["aws_session_token"];
  if (creds.access_key.empty() || creds.secret_key.empty()) return std::nullopt;
  creds.source = path + " [" + profile + "]";
  return creds;
}

}  // namespace

std::optional<std::map<std::string, std::string>> ParseAwsIniProfile(std::string_view text,
                                                                     std::string_view profile) {
  std::optional<std::map<std::string, std::string>> found;
  bool in_profile = false;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = Trim(text.substr(0, eol));
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      std::string_view name = Trim(line.substr(1, line.size() - 2));
      if (name.starts_with("profile ")) name = Trim(name.substr(8));
      in_profile = name == profile;
      if (in_profile && !found) found.emplace();
      continue;
    }
    size_t eq = line.find('=');
    if (!in_profile || eq == std::string_view::npos) continue;
    (*found)[std::string(Trim(line.substr(0, eq)))] = std::string(Trim(line.substr(eq + 1)));
  }
  return found;
}

common::Result<S3Credentials> LoadS3Credentials(const CredentialLookup& in) {
  CredentialLookup lookup = in;
  if (!lookup.getenv) {
    lookup.getenv = [](const char* name) -> std::optional<std::string> {
      const char* value = std::getenv(name);
      return value ? std::optional<std::string>(value) : std::nullopt;
    };
  }
  std::string region =
      NonEmpty(lookup, "AWS_REGION").value_or(NonEmpty(lookup, "AWS_DEFAULT_REGION").value_or(""));
  auto access = NonEmpty(lookup, "AWS_ACCESS_KEY_ID");
  auto secret = NonEmpty(lookup, "AWS_SECRET_ACCESS_KEY");
  common::Result<S3Credentials> result = common::Status::Error("unset");
  if (access && secret) {
    result = S3Credentials{*access, *secret, NonEmpty(lookup, "AWS_SESSION_TOKEN").value_or(""), "",
                           "environment"};
  } else if (access || secret) {
    return common::Status::Error(
        std::string("archive: ") +
        (access ? "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
                : "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"));
  } else if (!lookup.secrets_file.empty()) {
    result = FromSecretsFile(lookup.secrets_file);
    if (!result) return result;
  } else {
    std::string home = lookup.getenv("HOME").value_or("");
    std::string path =
        NonEmpty(lookup, "AWS_SHARED_CREDENTIALS_FILE").value_or(home + "/.aws/credentials");
    std::string profile = NonEmpty(lookup, "AWS_PROFILE").value_or("default");
    std::optional<S3Credentials> shared = FromSharedFile(path, profile);
    if (!shared) {
      return common::Status::Error(
          "archive: no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
          "archive.secrets_file, or profile [" +
          profile + "] in " + path);
    }
    result = std::move(*shared);
  }
  result->region = region;
  return result;
}

}  // namespace hourglass::archive
