// Hermetic tests of the object stores: SigV4 presigning against AWS's published
// example, credential lookup order, the file:// store, S3 error mapping and
// XML parsing. The S3 client against a real RGW is covered by tests/e2e.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "archive/object_store/local_object_store.h"
#include "archive/object_store/presign.h"
#include "archive/object_store/s3_credentials.h"
#include "archive/object_store/s3_http.h"
#include "archive/object_store/s3_object_store.h"

namespace fs = std::filesystem;
using namespace hourglass::archive;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/hg-object-store-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

fs::path WriteFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

std::string Collect(ObjectStore& store, std::string_view key) {
  std::string out;
  auto info = store.Get(key, [&](std::span<const char> bytes) {
    out.append(bytes.data(), bytes.size());
    return true;
  });
  REQUIRE(info.ok());
  return out;
}

CredentialLookup FakeEnv(std::map<std::string, std::string> env, std::string secrets_file = "") {
  return {.getenv = [env](const char* name) -> std::optional<std::string> {
            auto it = env.find(name);
            return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
          },
          .secrets_file = std::move(secrets_file)};
}

}  // namespace

TEST_CASE("presigned URL matches AWS's published SigV4 example") {
  // "Example: presigned URL" in the S3 API reference, "Authenticating
  // Requests: Using Query Parameters (AWS Signature Version 4)".
  PresignRequest request{.method = "GET",
                         .base_url = "https://examplebucket.s3.amazonaws.com",
                         .path = "/test.txt",
                         .region = "us-east-1",
                         .access_key = "AKIAIOSFODNN7EXAMPLE",
                         .secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                         .now_s = 1369353600,  // 2013-05-24T00:00:00Z
                         .expires_s = 86400};
  CHECK(PresignUrl(request) ==
        "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST_CASE("presigning signs the method, a session token and clamps the expiry") {
  PresignRequest request{.method = "GET",
                         .base_url = "http://127.0.0.1:7480",
                         .path = "/b/k",
                         .region = "us-east-1",
                         .access_key = "AK",
                         .secret_key = "SK",
                         .now_s = 1369353600,
                         .expires_s = 10 * 86400};
  std::string get = PresignUrl(request);
  CHECK(get.find("X-Amz-Expires=604800") != std::string::npos);
  request.method = "PUT";
  CHECK(PresignUrl(request) != get);
  request.session_token = "tok/en+1";
  CHECK(PresignUrl(request).find("X-Amz-Security-Token=tok%2Fen%2B1") != std::string::npos);
}

TEST_CASE("SigV4 helpers") {
  CHECK(Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(UriEncode("a b/c~d+é", true) == "a%20b/c~d%2B%C3%A9");
  CHECK(UriEncode("a/b", false) == "a%2Fb");
  CHECK(CanonicalQuery({{"uploads", ""}, {"prefix", "a b"}, {"list-type", "2"}}) ==
        "list-type=2&prefix=a%20b&uploads=");
  CHECK(AmzDate(1369353600) == "20130524T000000Z");
}

TEST_CASE("AWS INI profiles") {
  std::string ini =
      "# comment\n[default]\naws_access_key_id = AKDEF\naws_secret_access_key=SKDEF\n\n"
      "[profile work]\r\naws_access_key_id = AKWORK\r\n; note\r\naws_secret_access_key = "
      "SKWORK\r\n";
  auto def = ParseAwsIniProfile(ini, "default");
  REQUIRE(def);
  CHECK((*def)["aws_access_key_id"] == "AKDEF");
  CHECK((*def)["aws_secret_access_key"] == "SKDEF");
  auto work = ParseAwsIniProfile(ini, "work");
  REQUIRE(work);
  CHECK((*work)["aws_secret_access_key"] == "SKWORK");
  CHECK_FALSE(ParseAwsIniProfile(ini, "missing"));
}

TEST_CASE("credentials: environment, then secrets file, then ~/.aws/credentials") {
  TempDir dir;
  WriteFile(
      dir.path / ".aws/credentials",
      "[default]\naws_access_key_id=AKFILE\naws_secret_access_key=SKFILE\n"
      "[other]\naws_access_key_id=AKOTHER\naws_secret_access_key=SKOTHER\naws_session_token=T\n");
  fs::path secrets =
      WriteFile(dir.path / "secrets.toml", "access_key = \"AKTOML\"\nsecret_key = \"SKTOML\"\n");
  std::string home = dir.path.string();

  auto env = LoadS3Credentials(FakeEnv({{"AWS_ACCESS_KEY_ID", "AKENV"},
                                        {"AWS_SECRET_ACCESS_KEY", "SKENV"},
                                        {"AWS_SESSION_TOKEN", "TOK"},
                                        {"AWS_REGION", "eu-west-1"},
                                        {"HOME", home}},
                                       secrets));
  REQUIRE(env);
  CHECK(env->access_key == "AKENV");
  CHECK(env->session_token == "TOK");
  CHECK(env->region == "eu-west-1");
  CHECK(env->source == "environment");

  auto toml = LoadS3Credentials(FakeEnv({{"HOME", home}}, secrets));
  REQUIRE(toml);
  CHECK(toml->access_key == "AKTOML");
  CHECK(toml->secret_key == "SKTOML");

  auto shared = LoadS3Credentials(FakeEnv({{"HOME", home}}));
  REQUIRE(shared);
  CHECK(shared->access_key == "AKFILE");
  auto profile = LoadS3Credentials(FakeEnv({{"HOME", home}, {"AWS_PROFILE", "other"}}));
  REQUIRE(profile);
  CHECK(profile->secret_key == "SKOTHER");
  CHECK(profile->session_token == "T");
}

TEST_CASE("credential errors are clear and never show a secret") {
  TempDir dir;
  auto half = LoadS3Credentials(FakeEnv({{"AWS_SECRET_ACCESS_KEY", "TOPSECRET"}}));
  REQUIRE_FALSE(half);
  CHECK(half.status().message().find("AWS_ACCESS_KEY_ID is not") != std::string::npos);
  CHECK(half.status().message().find("TOPSECRET") == std::string::npos);

  fs::path bad = WriteFile(dir.path / "bad.toml", "access_key = \"AK\"\nsecret_key = TOPSECRET\n");
  auto invalid = LoadS3Credentials(FakeEnv({}, bad));
  REQUIRE_FALSE(invalid);
  CHECK(invalid.status().message().find("bad.toml:2") != std::string::npos);
  CHECK(invalid.status().message().find("TOPSECRET") == std::string::npos);

  auto missing = LoadS3Credentials(FakeEnv({}, (dir.path / "nope.toml").string()));
  REQUIRE_FALSE(missing);
  CHECK(missing.status().message().find("nope.toml") != std::string::npos);

  auto none = LoadS3Credentials(FakeEnv({{"HOME", dir.path.string()}}));
  REQUIRE_FALSE(none);
  CHECK(none.status().message().find("no S3 credentials") != std::string::npos);
}

TEST_CASE("local store: put, head, get, never overwrite") {
  TempDir dir;
  auto store = LocalObjectStore::Open(dir.path / "archive");
  REQUIRE(store);
  fs::path a = WriteFile(dir.path / "a.log", "hello audit\n");
  fs::path b = WriteFile(dir.path / "b.log", "other content\n");
  PutOptions options{.metadata = {{"lines", "1"}}};

  auto first = (*store)->Put("2026/11/21/h-a.log", a, options);
  REQUIRE(first);
  CHECK(*first == PutOutcome::kUploaded);
  CHECK(*(*store)->Put("2026/11/21/h-a.log", a, options) == PutOutcome::kAlreadyIdentical);
  CHECK(*(*store)->Put("2026/11/21/h-a.log", b, options) == PutOutcome::kConflictDifferent);
  CHECK(Collect(**store, "2026/11/21/h-a.log") == "hello audit\n");

  auto info = (*store)->Head("2026/11/21/h-a.log");
  REQUIRE(info);
  CHECK(info->size == 12);
  CHECK(info->etag == DigestFile(a)->md5_hex);
  CHECK(info->metadata["lines"] == "1");
  CHECK(info->metadata[std::string(kSha256MetadataName)] == DigestFile(a)->sha256_hex);
  CHECK(fs::is_empty(dir.path / "archive/.hourglass-tmp"));

  auto absent = (*store)->Head("2026/11/21/none");
  REQUIRE_FALSE(absent);
  CHECK(absent.error().kind == ErrorKind::kNotFound);
}

TEST_CASE("local store: list pages, delete, get to file, bad keys") {
  TempDir dir;
  auto store = LocalObjectStore::Open(dir.path / "archive");
  REQUIRE(store);
  fs::path src = WriteFile(dir.path / "src", "x");
  for (const char* key : {"p/3", "p/1", "p/2", "q/1"}) REQUIRE((*store)->Put(key, src, {}));
  auto page = (*store)->List("p/", "", 2);
  REQUIRE(page);
  REQUIRE(page->objects.size() == 2);
  CHECK(page->objects[0].key == "p/1");
  CHECK(page->next_token == "p/2");
  auto rest = (*store)->List("p/", page->next_token, 2);
  REQUIRE(rest);
  REQUIRE(rest->objects.size() == 1);
  CHECK(rest->objects[0].key == "p/3");
  CHECK(rest->next_token.empty());
  CHECK((*store)->ListAll("")->size() == 4);

  REQUIRE((*store)->GetToFile("p/1", dir.path / "copy"));
  CHECK(DigestFile(dir.path / "copy")->size == 1);
  REQUIRE((*store)->Delete("p/1"));
  REQUIRE((*store)->Delete("p/1"));  // absent: still fine
  CHECK((*store)->ListAll("p/")->size() == 2);
  for (const char* key : {"../escape", "/abs", "a//b", "a/./b", ".hourglass-meta/x", ""}) {
    auto put = (*store)->Put(key, src, {});
    REQUIRE_FALSE(put);
    CHECK(put.error().kind == ErrorKind::kPermanent);
  }
  auto missing = (*store)->Put("k", dir.path / "no-such-file", {});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::kLocal);
}

TEST_CASE("digests of a file range") {
  TempDir dir;
  fs::path f = WriteFile(dir.path / "f", "abcdef");
  auto all = DigestFile(f);
  REQUIRE(all);
  CHECK(all->md5_hex == "e80b5017098950fc58aad83c8c14978e");
  CHECK(all->md5_base64 == "6AtQFwmJUPxYqtg8jBSXjg==");
  auto part = DigestFile(f, 3, 3);
  REQUIRE(part);
  CHECK(part->sha256_hex == Sha256Hex("def"));
  CHECK_FALSE(DigestFile(f, 3, 10));
}

TEST_CASE("S3 errors are classified from status and code") {
  auto error = [](long status, std::string body) {
    return S3ErrorFromResponse("S3 PUT s3://b/k", S3HttpResponse{.status = status, .body = body});
  };
  auto sig =
      error(403, "<Error><Code>SignatureDoesNotMatch</Code><Message>bad sig</Message></Error>");
  CHECK(sig.kind == ErrorKind::kAuth);
  CHECK(sig.message ==
        "S3 PUT s3://b/k: HTTP 403 SignatureDoesNotMatch: bad sig (wrong secret key?)");
  CHECK(error(404, "").kind == ErrorKind::kNotFound);
  CHECK(error(503, "<Error><Code>SlowDown</Code></Error>").kind == ErrorKind::kTransient);
  CHECK(error(400, "<Error><Code>BadDigest</Code></Error>").kind == ErrorKind::kPermanent);
  CHECK(error(403, "").message == "S3 PUT s3://b/k: HTTP 403 Forbidden");
}

TEST_CASE("XML readers") {
  std::string xml =
      "<R><Contents><Key>a&amp;b &lt;1&gt;</Key></Contents><Contents><Key>c</Key>"
      "</Contents><IsTruncated>true</IsTruncated></R>";
  auto items = XmlElements(xml, "Contents");
  REQUIRE(items.size() == 2);
  CHECK(XmlText(items[0], "Key") == "a&b <1>");
  CHECK(XmlText(xml, "IsTruncated") == "true");
  CHECK(XmlText(xml, "Missing").empty());
  CHECK(XmlEscape("<a&'\">") == "&lt;a&amp;&apos;&quot;&gt;");
  CHECK(ParseIso8601("2013-05-24T00:00:00.000Z") == 1369353600);
}

TEST_CASE("S3 addressing and targets") {
  S3Credentials creds{.access_key = "AK", .secret_key = "SECRETVALUE", .source = "test"};
  auto path =
      S3ObjectStore::Create({.bucket = "logs", .endpoint = "http://127.0.0.1:7480/"}, creds);
  REQUIRE(path);
  CHECK((*path)->ObjectUrl("2026/a b.gz") == "http://127.0.0.1:7480/logs/2026/a%20b.gz");
  auto vhost = S3ObjectStore::Create({.bucket = "logs",
                                      .endpoint = "http://localhost:7480",
                                      .addressing = S3Addressing::kVirtualHosted},
                                     creds);
  REQUIRE(vhost);
  CHECK((*vhost)->ObjectUrl("k") == "http://logs.localhost:7480/k");
  auto aws = S3ObjectStore::Create({.bucket = "logs", .region = "eu-west-1"}, creds);
  REQUIRE(aws);
  CHECK((*aws)->ObjectUrl("k") == "https://logs.s3.eu-west-1.amazonaws.com/k");
  CHECK((*aws)->Describe().find("SECRETVALUE") == std::string::npos);
  CHECK_FALSE(S3ObjectStore::Create({.bucket = "Bad_Bucket"}, creds));
  CHECK_FALSE(S3ObjectStore::Create({.bucket = "logs", .endpoint = "ftp://x"}, creds));
  // The endpoint is parsed as a URI: a host is required; no user, query,
  // fragment or bad characters.
  for (const char* bad : {"http://", "https:///x", "http://a b:1", "http://u:p@host",
                          "http://host?x=1", "http://host#f", "http://host:port", "http://host:"}) {
    INFO(bad);
    auto store = S3ObjectStore::Create({.bucket = "logs", .endpoint = bad}, creds);
    REQUIRE_FALSE(store);
    CHECK(store.status().message().find("archive.endpoint") != std::string::npos);
  }

  auto target = ParseS3Target("s3://logs/audit");
  REQUIRE(target);
  CHECK(target->first == "logs");
  CHECK(target->second == "audit/");
  CHECK_FALSE(ParseS3Target("logs/audit"));
}

TEST_CASE("S3 store reports an unreachable endpoint as transient") {
  S3Credentials creds{.access_key = "AK", .secret_key = "SECRETVALUE", .source = "test"};
  auto store = S3ObjectStore::Create({.bucket = "logs", .endpoint = "http://127.0.0.1:1"}, creds);
  REQUIRE(store);
  auto head = (*store)->Head("k");
  REQUIRE_FALSE(head);
  CHECK(head.error().kind == ErrorKind::kTransient);
  CHECK(head.error().message.find("SECRETVALUE") == std::string::npos);
}
