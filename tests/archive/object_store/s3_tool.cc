// s3_tool: drives an ObjectStore from the command line so end-to-end tests can
// exercise the S3 client against radosgw before `hourglass archive` exists.
//   s3_tool put KEY FILE | get KEY FILE|- | head KEY | ls [PREFIX] | rm KEY
//           | presign KEY [get|put] [EXPIRES_S]
// Settings from the environment: S3_BUCKET, S3_ENDPOINT, S3_ADDRESSING
// (auto|path|virtual), S3_MULTIPART_THRESHOLD, S3_PART_SIZE, S3_SECRETS_FILE,
// AWS_* credentials; S3_LOCAL_DIR selects the file:// store instead.
// Exit: 0 done, 3 conflict (a different object holds the key), 1 error.
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>

#include "archive/object_store/local_object_store.h"
#include "archive/object_store/s3_object_store.h"

namespace archive = hourglass::archive;

namespace {

std::string Env(const char* name, const char* fallback = "") {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

std::unique_ptr<archive::ObjectStore> OpenStore() {
  if (std::string dir = Env("S3_LOCAL_DIR"); !dir.empty()) {
    auto local = archive::LocalObjectStore::Open(dir);
    if (!local) std::fprintf(stderr, "%s\n", local.status().message().c_str());
    return local ? std::move(*local) : nullptr;
  }
  auto creds = archive::LoadS3Credentials({.secrets_file = Env("S3_SECRETS_FILE")});
  if (!creds) {
    std::fprintf(stderr, "%s\n", creds.status().message().c_str());
    return nullptr;
  }
  archive::S3Config config{
      .bucket = Env("S3_BUCKET"), .endpoint = Env("S3_ENDPOINT"), .region = Env("AWS_REGION")};
  std::string addressing = Env("S3_ADDRESSING", "auto");
  if (addressing == "path") config.addressing = archive::S3Addressing::kPath;
  if (addressing == "virtual") config.addressing = archive::S3Addressing::kVirtualHosted;
  if (auto v = Env("S3_MULTIPART_THRESHOLD"); !v.empty())
    config.multipart_threshold = std::stoull(v);
  if (auto v = Env("S3_PART_SIZE"); !v.empty()) config.part_size = std::stoull(v);
  auto store = archive::S3ObjectStore::Create(config, std::move(*creds));
  if (!store) std::fprintf(stderr, "%s\n", store.status().message().c_str());
  return store ? std::move(*store) : nullptr;
}

int Usage() {
  std::fprintf(stderr,
               "usage: s3_tool put KEY FILE | get KEY FILE|- | head KEY | ls [PREFIX] | rm KEY"
               " | presign KEY [get|put] [EXPIRES_S]\n");
  return 2;
}

int Fail(const archive::StoreError& error) {
  std::fprintf(stderr, "error [%s]: %s\n", std::string(archive::ErrorKindName(error.kind)).c_str(),
               error.message.c_str());
  return 1;
}

int Run(archive::ObjectStore& store, const std::string& cmd, int argc, char** argv) {
  if (cmd == "put" && argc == 4) {
    auto outcome = store.Put(argv[2], argv[3], {});
    if (!outcome) return Fail(outcome.error());
    std::printf("%s\n", std::string(archive::PutOutcomeName(*outcome)).c_str());
    return *outcome == archive::PutOutcome::kConflictDifferent ? 3 : 0;
  }
  if (cmd == "get" && argc == 4 && std::string(argv[3]) == "-") {
    auto info = store.Get(argv[2], [](std::span<const char> bytes) {
      return std::fwrite(bytes.data(), 1, bytes.size(), stdout) == bytes.size();
    });
    return info ? 0 : Fail(info.error());
  }
  if (cmd == "get" && argc == 4) {
    auto info = store.GetToFile(argv[2], argv[3]);
    if (!info) return Fail(info.error());
    std::printf("%llu\n", static_cast<unsigned long long>(info->size));
    return 0;
  }
  if (cmd == "head" && argc == 3) {
    auto info = store.Head(argv[2]);
    if (!info) return Fail(info.error());
    std::printf("size %llu\netag %s\n", static_cast<unsigned long long>(info->size),
                info->etag.c_str());
    for (const auto& [name, value] : info->metadata)
      std::printf("meta %s %s\n", name.c_str(), value.c_str());
    return 0;
  }
  if (cmd == "ls" && argc <= 3) {
    auto all = store.ListAll(argc == 3 ? argv[2] : "");
    if (!all) return Fail(all.error());
    for (const auto& o : *all) {
      std::printf("%s %llu %s\n", o.key.c_str(), static_cast<unsigned long long>(o.size),
                  o.etag.c_str());
    }
    return 0;
  }
  if (cmd == "rm" && argc == 3) {
    auto done = store.Delete(argv[2]);
    return done ? 0 : Fail(done.error());
  }
  if (cmd == "presign" && argc >= 3 && argc <= 5) {
    auto method = argc >= 4 && std::string(argv[3]) == "put" ? archive::PresignMethod::kPut
                                                             : archive::PresignMethod::kGet;
    int64_t expires = argc == 5 ? std::atoll(argv[4]) : 3600;
    std::printf("%s\n", store.Presign(argv[2], method, expires, std::time(nullptr)).c_str());
    return 0;
  }
  return Usage();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  std::unique_ptr<archive::ObjectStore> store = OpenStore();
  if (!store) return 1;
  return Run(*store, argv[1], argc, argv);
}
