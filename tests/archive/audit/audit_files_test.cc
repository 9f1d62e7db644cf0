#include "archive/audit/audit_files.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "archive/audit/audit_format.h"
#include "tests/archive/temp_dir.h"

namespace hourglass::archive {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

const int64_t kHour = 1795237200 / 3600;  // 2026-11-21T05

TEST_CASE("file names carry the UTC hour and the segment") {
  CHECK(AuditFileName("audit", kHour, 1) == "audit-20261121T0500Z.log");
  CHECK(AuditFileName("audit", kHour, 2) == "audit-20261121T0500Z-2.log");
  auto info = ParseAuditFileName("audit", "audit-20261121T0500Z-2.log");
  REQUIRE(info);
  CHECK(info->hour == kHour);
  CHECK(info->segment == 2);
  CHECK(ParseAuditFileName("audit", "audit-20261121T0500Z.log")->segment == 1);
  for (const char* bad :
       {"audit-20261121T0500Z.log.complete", "audit-20261121T0530Z.log", "audit-20261321T0500Z.log",
        "other-20261121T0500Z.log", "audit-20261121T0500Z-1.log", "audit-20261121T0500Z-x.log",
        "audit-20260230T0500Z.log"}) {
    INFO(bad);
    CHECK_FALSE(ParseAuditFileName("audit", bad));
  }
}

TEST_CASE("listing is ordered and sees completion markers") {
  TempDir dir;
  WriteFile(dir.path() + "/audit-20261121T0600Z.log", "");
  WriteFile(dir.path() + "/audit-20261121T0500Z-2.log", "");
  WriteFile(dir.path() + "/audit-20261121T0500Z.log", "");
  WriteFile(dir.path() + "/audit-20261121T0500Z.log.complete", "{}\n");
  WriteFile(dir.path() + "/unrelated.txt", "");
  auto files = ListAuditFiles(dir.path(), "audit");
  REQUIRE(files.ok());
  REQUIRE(files->size() == 3);
  CHECK((*files)[0].name == "audit-20261121T0500Z.log");
  CHECK((*files)[0].complete);
  CHECK((*files)[1].name == "audit-20261121T0500Z-2.log");
  CHECK_FALSE((*files)[1].complete);
  CHECK((*files)[2].hour == kHour + 1);
}

TEST_CASE("opening a file cuts a torn last line and counts the whole ones") {
  TempDir dir;
  const std::string path = dir.path() + "/a.log";
  WriteFile(path, "one\ntwo\nthr");
  auto file = AppendFile::Open(path);
  REQUIRE(file.ok());
  CHECK(file->torn_bytes() == 3);
  CHECK(file->lines() == 2);
  CHECK(file->size() == 8);
  CHECK(ReadFile(path) == "one\ntwo\n");
  REQUIRE(file->Append("three\n", 1).ok());
  CHECK(ReadFile(path) == "one\ntwo\nthree\n");
  CHECK(file->lines() == 3);
}

TEST_CASE("a file that is all torn line is emptied") {
  TempDir dir;
  const std::string path = dir.path() + "/a.log";
  WriteFile(path, std::string("{\"partial\0\0\0", 13));
  auto file = AppendFile::Open(path);
  REQUIRE(file.ok());
  CHECK(file->size() == 0);
  CHECK(ReadFile(path).empty());
}

TEST_CASE("the completion marker is one JSON line, written atomically") {
  TempDir dir;
  AuditFileInfo info{"audit-20261121T0500Z-2.log", kHour, 2, false};
  REQUIRE(WriteCompleteMarker(dir.path(), info, 123, 4, 1795240800'000001LL).ok());
  CHECK(ReadFile(dir.path() + "/audit-20261121T0500Z-2.log.complete") ==
        R"({"file":"audit-20261121T0500Z-2.log","hour":"20261121T0500Z","segment":2,)"
        R"("bytes":123,"lines":4,"completed":"2026-11-21T06:00:00.000001Z"})"
        "\n");
  CHECK_FALSE(std::filesystem::exists(dir.path() + "/audit-20261121T0500Z-2.log.complete.tmp"));
}

TEST_CASE("the completion marker escapes a file name with a quote or backslash") {
  TempDir dir;
  AuditFileInfo info{"a\"u\\dit-20261121T0500Z.log", kHour, 1, false};
  REQUIRE(WriteCompleteMarker(dir.path(), info, 1, 1, 1795240800'000000LL).ok());
  CHECK(ReadFile(dir.path() + "/" + info.name + ".complete") ==
        R"({"file":"a\"u\\dit-20261121T0500Z.log","hour":"20261121T0500Z","segment":1,)"
        R"("bytes":1,"lines":1,"completed":"2026-11-21T06:00:00.000000Z"})"
        "\n");
}

}  // namespace
}  // namespace hourglass::archive
