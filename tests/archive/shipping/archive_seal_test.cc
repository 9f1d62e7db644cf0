// Sealing building blocks: HOUR/T parsing, streaming compression, key
// templates and the Sealer over a temp audit directory with a manual clock.
#include <catch2/catch.hpp>
#include <filesystem>

#include "archive/audit/audit_files.h"
#include "archive/shipping/compression.h"
#include "archive/shipping/hour_time.h"
#include "archive/shipping/key_template.h"
#include "archive/shipping/sealer.h"
#include "archive/shipping/sha256_stream.h"
#include "tests/archive/shipping/test_hour.h"
#include "tests/archive/temp_dir.h"

namespace hourglass::archive {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

std::string RoundTrip(Compression c, const std::string& data, size_t chunk) {
  auto encoder = MakeEncoder(c);
  auto decoder = MakeDecoder(c);
  REQUIRE(encoder.ok());
  REQUIRE(decoder.ok());
  std::string packed, unpacked;
  ChunkSink to_packed = [&](std::string_view b) {
    packed.append(b);
    return common::Status::Ok();
  };
  ChunkSink to_unpacked = [&](std::string_view b) {
    unpacked.append(b);
    return common::Status::Ok();
  };
  for (size_t i = 0; i < data.size(); i += chunk) {
    REQUIRE((*encoder)->Write(std::string_view(data).substr(i, chunk), to_packed).ok());
  }
  REQUIRE((*encoder)->Finish(to_packed).ok());
  if (c != Compression::kNone && data.size() > 1000) CHECK(packed.size() < data.size() / 2);
  for (size_t i = 0; i < packed.size(); i += 7) {
    REQUIRE((*decoder)->Write(std::string_view(packed).substr(i, 7), to_unpacked).ok());
  }
  REQUIRE((*decoder)->Finish(to_unpacked).ok());
  return unpacked;
}

}  // namespace

TEST_CASE("HOUR and T parse every documented form") {
  CHECK(*ParseHour("2026-11-21T05") == kHour05);
  CHECK(*ParseHour("20261121T0500Z") == kHour05);
  CHECK_FALSE(ParseHour("2026-11-21").ok());
  CHECK_FALSE(ParseHour("2026-02-30T05").ok());
  CHECK_FALSE(ParseHour("20261121T0530Z").ok());
  const int64_t now = k0500 + 7200;
  CHECK(*ParseTime("2026-11-21T05", now) == k0500);
  CHECK(*ParseTime("2026-11-21T05:00:00Z", now) == k0500);
  CHECK(*ParseTime("2026-11-21T05:30:15Z", now) == k0500 + 1815);
  CHECK(*ParseTime("20261121T0500Z", now) == k0500);
  CHECK(*ParseTime("1795237200", now) == k0500);
  CHECK(*ParseTime("-3h", now) == now - 3 * 3600);
  CHECK(*ParseTime("-30min", now) == now - 1800);
  CHECK(*ParseTime("-2d", now) == now - 2 * 86400);
  CHECK(*ParseTime("now", now) == now);
  CHECK_FALSE(ParseTime("yesterday", now).ok());
  CHECK_FALSE(ParseTime("-3x", now).ok());
  CHECK(FormatHour(kHour05) == "2026-11-21T05");
}

TEST_CASE("gzip, zstd and none round-trip in chunks of any size") {
  std::string data;
  for (int i = 0; i < 20000; ++i) data += "line " + std::to_string(i) + " of the audit hour\n";
  for (auto c : {Compression::kGzip, Compression::kZstd, Compression::kNone}) {
    CHECK(RoundTrip(c, data, 1).size() == data.size());
    CHECK(RoundTrip(c, data, 65536) == data);
    CHECK(RoundTrip(c, "", 10).empty());
  }
}

TEST_CASE("a truncated or corrupt stream is an error, never silent") {
  for (auto c : {Compression::kGzip, Compression::kZstd}) {
    auto encoder = MakeEncoder(c);
    std::string packed;
    ChunkSink sink = [&](std::string_view b) {
      packed.append(b);
      return common::Status::Ok();
    };
    REQUIRE((*encoder)->Write(std::string(100000, 'x'), sink).ok());
    REQUIRE((*encoder)->Finish(sink).ok());
    auto decoder = MakeDecoder(c);
    ChunkSink drop = [](std::string_view) { return common::Status::Ok(); };
    const std::string cut = packed.substr(0, packed.size() - 5);
    const common::Status fed = (*decoder)->Write(cut, drop);
    CHECK_FALSE((fed.ok() && (*decoder)->Finish(drop).ok()));
  }
}

TEST_CASE("key templates render and parse back, hosts with dashes included") {
  auto t = KeyTemplate::Parse(kDefaultKeyTemplate);
  REQUIRE(t.ok());
  const std::string key = t->Render("logs/", kHour05, "web-1", "audit-20261121T0500Z-2.log.gz");
  CHECK(key == "logs/2026/11/21/web-1-audit-20261121T0500Z-2.log.gz");
  auto valid = [](std::string_view f) { return f.starts_with("audit-2026"); };
  auto match = t->Parse(key, "logs/", valid);
  REQUIRE(match.has_value());
  CHECK(match->host == "web-1");
  CHECK(match->filename == "audit-20261121T0500Z-2.log.gz");
  CHECK_FALSE(t->Parse("other/2026/11/21/web-1-audit-x", "logs/", valid).has_value());
  CHECK(t->ListPrefix("logs/", kHour05, 3) == "logs/2026/11/21/");
  CHECK(t->ListPrefix("logs/", kHour05, 2) == "logs/2026/11/");
  CHECK(t->ListPrefix("logs/", kHour05, 0) == "logs/");
  CHECK_FALSE(KeyTemplate::Parse("{prefix}{yr}/{filename}").ok());
  CHECK_FALSE(KeyTemplate::Parse("{prefix}{year}/{host}").ok());
  auto hourly = KeyTemplate::Parse("{host}/{year}{month}{day}{hour}/{filename}");
  REQUIRE(hourly.ok());
  CHECK(hourly->Render("", kHour05, "h", "f.gz") == "h/2026112105/f.gz");
}

// Issue 9: adjacent free placeholders made the parse try every split of the
// key (exponential: > 30 s for 4 {host}s and 200 characters). Counting the
// file name checks shows the work is now polynomial.
TEST_CASE("key templates with adjacent free placeholders parse in polynomial time") {
  auto t = KeyTemplate::Parse("{host}{host}{host}{host}{filename}");
  REQUIRE(t.ok());
  size_t checks = 0;
  auto valid = [&](std::string_view f) {
    ++checks;
    return f.starts_with("audit-2026") && f.ends_with(".gz");
  };
  const std::string junk(200, 'a');
  CHECK_FALSE(t->Parse(junk, "", valid).has_value());
  CHECK(checks <= 5 * 201 * 201);  // parts * (key length + 1)^2; the old search made ~6e7
  const std::string key = t->Render("", kHour05, "h", "audit-20261121T0500Z.log.gz");
  CHECK(key == "hhhhaudit-20261121T0500Z.log.gz");
  auto match = t->Parse(key, "", valid);
  REQUIRE(match.has_value());
  CHECK(match->host == "h");
  CHECK(match->filename == "audit-20261121T0500Z.log.gz");
  checks = 0;
  CHECK_FALSE(t->Parse(key + junk, "", valid).has_value());  // no file name ends the key
  CHECK(checks <= 5 * 232 * 232);
  // The default template still resolves a host with dashes, shortest host first.
  auto def = KeyTemplate::Parse(kDefaultKeyTemplate);
  auto dashed = def->Parse("2026/11/21/web-1-a-audit-20261121T0500Z.log.gz", "", valid);
  REQUIRE(dashed.has_value());
  CHECK(dashed->host == "web-1-a");
}

TEST_CASE("the sealer waits for the grace, compresses, checksums and records a manifest") {
  TempDir dir;
  common::ManualClock clock;
  common::StatsRegistry stats;
  const std::string audit = dir.path() + "/audit";
  std::filesystem::create_directories(audit);
  const std::string data = "one\ntwo\nthree\n";
  const AuditFileInfo info{"audit-20261121T0500Z.log", kHour05, 1, true};
  WriteFile(audit + "/" + info.name, data);
  REQUIRE(WriteCompleteMarker(audit, info, data.size(), 3, (k0500 + 3600) * 1'000'000).ok());
  auto sealer =
      Sealer::Open({.audit_dir = audit, .sealed_dir = dir.path() + "/sealed"}, clock, stats);
  REQUIRE(sealer.ok());

  clock.SetSeconds(k0500 + 3600 + 30);  // within the grace
  CHECK(*(*sealer)->SealDue(false) == 0);
  CHECK(*(*sealer)->SealDue(true) == 1);  // shutdown: no grace
  CHECK(*(*sealer)->SealDue(true) == 0);  // sealed once
  const std::string sealed = dir.path() + "/sealed/audit-20261121T0500Z.log.gz";
  auto manifest = ParseManifest(ReadFile(sealed + ".manifest"));
  REQUIRE(manifest.ok());
  CHECK(manifest->lines == 3);
  CHECK(manifest->raw_bytes == data.size());
  CHECK(manifest->segment == 1);
  Sha256Stream raw;
  raw.Update(data);
  CHECK(manifest->raw_sha256 == raw.FinishHex());
  Sha256Stream packed;
  packed.Update(ReadFile(sealed));
  CHECK(manifest->sha256 == packed.FinishHex());
  CHECK(manifest->bytes == std::filesystem::file_size(sealed));
}

TEST_CASE("a segment completed before its hour ended (shutdown) is sealed at once") {
  TempDir dir;
  common::ManualClock clock(int64_t{k0500 + 600} * 1'000'000);
  common::StatsRegistry stats;
  const std::string audit = dir.path() + "/audit";
  std::filesystem::create_directories(audit);
  const AuditFileInfo info{"audit-20261121T0500Z.log", kHour05, 1, true};
  WriteFile(audit + "/" + info.name, "x\n");
  const AuditFileInfo open_seg{"audit-20261121T0500Z-2.log", kHour05, 2, false};
  WriteFile(audit + "/" + open_seg.name, "still open\n");
  REQUIRE(WriteCompleteMarker(audit, info, 2, 1, clock.NowMicros()).ok());
  auto sealer = Sealer::Open(
      {.audit_dir = audit, .sealed_dir = dir.path() + "/sealed", .compression = Compression::kZstd},
      clock, stats);
  CHECK(*(*sealer)->SealDue(false) == 1);
  CHECK(std::filesystem::exists(dir.path() + "/sealed/audit-20261121T0500Z.log.zst.manifest"));
  CHECK_FALSE(std::filesystem::exists(dir.path() + "/sealed/audit-20261121T0500Z-2.log.zst"));
}

}  // namespace hourglass::archive
