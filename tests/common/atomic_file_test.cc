#include "common/atomic_file.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace hourglass::common;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/hg-atomic-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string path;
};

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

TEST_CASE("WriteFileAtomically writes or replaces the whole file, leaving no temp file") {
  TempDir dir;
  const std::string path = dir.path + "/state.json";
  REQUIRE(WriteFileAtomically(path, "first\n").ok());
  CHECK(Read(path) == "first\n");
  REQUIRE(WriteFileAtomically(path, "second, longer\n").ok());
  CHECK(Read(path) == "second, longer\n");
  CHECK_FALSE(fs::exists(path + ".tmp"));
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

TEST_CASE("WriteFileAtomically into a missing directory fails with the path") {
  TempDir dir;
  const Status status = WriteFileAtomically(dir.path + "/missing/state.json", "x");
  REQUIRE_FALSE(status.ok());
  CHECK(status.message().find("cannot create " + dir.path + "/missing/state.json.tmp") == 0);
}

TEST_CASE("AtomicFile streams into a named temp file and renames on Commit") {
  TempDir dir;
  const std::string path = dir.path + "/out.log";
  const std::string temp = dir.path + "/.sealing-out.log";
  auto file = AtomicFile::Create(path, temp);
  REQUIRE(file.ok());
  REQUIRE(file->Write("one ").ok());
  REQUIRE(file->Write(std::string(100000, 'x')).ok());
  CHECK(fs::exists(temp));
  CHECK_FALSE(fs::exists(path));  // nothing visible before Commit
  REQUIRE(file->Commit().ok());
  CHECK_FALSE(fs::exists(temp));
  CHECK(Read(path) == "one " + std::string(100000, 'x'));
}

TEST_CASE("AtomicFile without Commit removes its temp file and keeps the old target") {
  TempDir dir;
  const std::string path = dir.path + "/out.log";
  REQUIRE(WriteFileAtomically(path, "old").ok());
  {
    auto file = AtomicFile::Create(path, path + ".part");
    REQUIRE(file.ok());
    REQUIRE(file->Write("half").ok());
    auto moved = std::move(*file);  // the moved-from object must not unlink
    CHECK(fs::exists(path + ".part"));
  }
  CHECK_FALSE(fs::exists(path + ".part"));
  CHECK(Read(path) == "old");
}

TEST_CASE("FsyncDir fails on a missing directory") {
  TempDir dir;
  CHECK(FsyncDir(dir.path).ok());
  CHECK_FALSE(FsyncDir(dir.path + "/nope").ok());
}
