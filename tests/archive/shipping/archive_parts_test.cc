// Parts of the open hour (archive.ship_interval): the sealing of a byte range
// of an audit file, the shipped position recorded by the part's manifest
// (across a restart and a crash before the manifest), the last part at
// completion, and upload plus read-back of the parts as one hour.
#include <catch2/catch.hpp>
#include <filesystem>

#include "archive/object_store/local_object_store.h"
#include "archive/shipping/archive_reader.h"
#include "archive/shipping/sealer.h"
#include "archive/shipping/uploader.h"
#include "tests/archive/shipping/test_hour.h"
#include "tests/archive/temp_dir.h"

namespace hourglass::archive {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

constexpr int64_t kSecond = 1'000'000;
const AuditFileInfo kOpen{"audit-20261121T0500Z.log", kHour05, 1, false};

struct Dirs {
  TempDir dir;
  common::ManualClock clock{(k0500 + 600) * kSecond};
  common::StatsRegistry stats;
  std::string audit = dir.path() + "/audit";
  std::string sealed = dir.path() + "/sealed";
  Dirs() { std::filesystem::create_directories(audit); }

  std::unique_ptr<Sealer> Open(
      std::function<std::optional<uint64_t>(const std::string&)> written_size = {}) {
    auto sealer = Sealer::Open({.audit_dir = audit,
                                .sealed_dir = sealed,
                                .grace_s = 60,
                                .ship_interval_s = 60,
                                .written_size = std::move(written_size)},
                               clock, stats);
    REQUIRE(sealer.ok());
    return std::move(*sealer);
  }
  void Append(const std::string& data) {
    WriteFile(audit + "/" + kOpen.name, ReadFile(audit + "/" + kOpen.name) + data);
  }
  SealedManifest Manifest(int part) {
    auto m = ParseManifest(ReadFile(sealed + "/" + PartFileName(kOpen, part, Compression::kGzip) +
                                    std::string(kManifestSuffix)));
    REQUIRE(m.ok());
    return *m;
  }
  std::string Unpacked(int part) {
    auto decoder = MakeDecoder(Compression::kGzip);
    std::string out;
    const ChunkSink sink = [&](std::string_view b) {
      out.append(b);
      return common::Status::Ok();
    };
    REQUIRE(
        (*decoder)
            ->Write(ReadFile(sealed + "/" + PartFileName(kOpen, part, Compression::kGzip)), sink)
            .ok());
    REQUIRE((*decoder)->Finish(sink).ok());
    return out;
  }
};

}  // namespace

TEST_CASE("part names sort by position and parse back") {
  CHECK(PartFileName(kOpen, 1, Compression::kGzip) == "audit-20261121T0500Z.log.part-0001.gz");
  CHECK(PartFileName(kOpen, 12, Compression::kZstd) == "audit-20261121T0500Z.log.part-0012.zst");
  auto part = ParseSealedFileName("audit", "audit-20261121T0500Z-2.log.part-0012.zst");
  REQUIRE(part);
  CHECK(part->audit.segment == 2);
  CHECK(part->audit.name == "audit-20261121T0500Z-2.log");
  CHECK(part->part == 12);
  CHECK(ParseSealedFileName("audit", "audit-20261121T0500Z.log.gz")->part == 0);
  CHECK_FALSE(ParseSealedFileName("audit", "audit-20261121T0500Z.log.part-1.gz"));
  CHECK_FALSE(ParseSealedFileName("audit", "audit-20261121T0500Z.log.part-0000.gz"));
  CHECK_FALSE(ParseSealedFileName("audit", "audit-20261121T0500Z.log.part-00x1.gz"));
}

TEST_CASE(
    "each interval seals the whole lines since the shipped position; the end ships the rest") {
  Dirs d;
  WriteFile(d.audit + "/" + kOpen.name, "a\nb\npart");  // a line being written: not shipped
  auto sealer = d.Open();
  CHECK(*sealer->SealDue(false) == 0);  // first seen now
  d.clock.AdvanceMicros(59 * kSecond);
  CHECK(*sealer->SealDue(false) == 0);  // not yet an interval old
  d.clock.AdvanceMicros(1 * kSecond);
  CHECK(*sealer->SealDue(false) == 1);
  CHECK(d.Manifest(1).from == 0);
  CHECK(d.Manifest(1).to == 4);
  CHECK(d.Manifest(1).lines == 2);
  CHECK(d.Unpacked(1) == "a\nb\n");
  CHECK(sealer->ShippedTo(kOpen.name) == 4);
  const int64_t part1 = d.clock.NowMicros();
  CHECK(sealer->oldest_unsealed_micros() == part1);  // "part": seen, not shipped

  d.Append("ial\nc\n");
  d.clock.AdvanceMicros(10 * kSecond);
  CHECK(*sealer->SealDue(false) == 0);  // an interval after "part" was seen, not before
  CHECK(sealer->oldest_unsealed_micros() == part1);
  d.clock.AdvanceMicros(50 * kSecond);
  CHECK(*sealer->SealDue(false) == 1);
  CHECK(d.Manifest(2).from == 4);
  CHECK(d.Manifest(2).to == 14);
  CHECK(d.Unpacked(2) == "partial\nc\n");

  // A restart: the position comes back from the last manifest.
  sealer = d.Open();
  CHECK(sealer->ShippedTo(kOpen.name) == 14);
  d.clock.AdvanceMicros(120 * kSecond);
  CHECK(*sealer->SealDue(false) == 0);  // nothing new
  d.Append("d\n");
  // Completed (a shutdown) within the hour: only the rest, as the last part.
  AuditFileInfo complete = kOpen;
  complete.complete = true;
  REQUIRE(WriteCompleteMarker(d.audit, complete, 16, 5, d.clock.NowMicros()).ok());
  CHECK(*sealer->SealDue(false) == 1);
  CHECK(d.Manifest(3).from == 14);
  CHECK(d.Manifest(3).to == 16);
  CHECK(*sealer->SealDue(true) == 0);
  CHECK_FALSE(std::filesystem::exists(d.sealed + "/audit-20261121T0500Z.log.gz"));  // never whole
  CHECK(d.Unpacked(1) + d.Unpacked(2) + d.Unpacked(3) == ReadFile(d.audit + "/" + kOpen.name));
}

TEST_CASE("a part never goes past what the writer has written for good") {
  Dirs d;
  // "c\n" is a write in progress that may yet fail and be cut back.
  WriteFile(d.audit + "/" + kOpen.name, "a\nb\nc\n");
  uint64_t written = 4;
  auto sealer = d.Open([&](const std::string& name) -> std::optional<uint64_t> {
    if (name == kOpen.name) return written;
    return std::nullopt;
  });
  sealer->SealDue(false);
  d.clock.AdvanceMicros(60 * kSecond);
  REQUIRE(*sealer->SealDue(false) == 1);
  CHECK(d.Unpacked(1) == "a\nb\n");
  written = 6;
  d.clock.AdvanceMicros(60 * kSecond);
  REQUIRE(*sealer->SealDue(false) == 1);
  CHECK(d.Unpacked(2) == "c\n");
}

TEST_CASE("a crash before the part's manifest seals the same part again, nothing twice") {
  Dirs d;
  WriteFile(d.audit + "/" + kOpen.name, "a\n");
  auto sealer = d.Open();
  sealer->SealDue(false);
  d.clock.AdvanceMicros(60 * kSecond);
  REQUIRE(*sealer->SealDue(false) == 1);
  // The crash: the sealed part exists, its manifest (the commit) does not.
  std::filesystem::remove(d.sealed + "/" + PartFileName(kOpen, 1, Compression::kGzip) +
                          std::string(kManifestSuffix));
  d.Append("b\n");
  sealer = d.Open();
  CHECK(sealer->ShippedTo(kOpen.name) == 0);
  sealer->SealDue(false);
  d.clock.AdvanceMicros(60 * kSecond);
  CHECK(*sealer->SealDue(false) == 1);
  CHECK(d.Manifest(1).to == 4);
  CHECK(d.Unpacked(1) == "a\nb\n");
  CHECK_FALSE(std::filesystem::exists(d.sealed + "/" + PartFileName(kOpen, 2, Compression::kGzip)));
}

TEST_CASE("parts upload as objects of their own and read back as one hour, in order") {
  Dirs d;
  const std::string archive = d.dir.path() + "/archive";
  auto sealer = d.Open();
  auto local = LocalObjectStore::Open(archive);
  REQUIRE(local.ok());
  auto uploader =
      Uploader::Create({.key_template = *KeyTemplate::Parse(kDefaultKeyTemplate), .host = "web-1"},
                       std::move(sealer), std::move(*local), d.clock, d.stats);
  std::string all;
  for (int i = 1; i <= 11; ++i) {  // past part 9: names still sort by position
    const std::string line = "line " + std::to_string(i) + "\n";
    d.Append(line);
    all += line;
    uploader->Pass();
    d.clock.AdvanceMicros(60 * kSecond);
    uploader->Pass();
  }
  CHECK(uploader->pending() == 0);
  double parts = -1;
  for (const auto& s : d.stats.Snapshot()) {
    if (s.name == "archive.uploaded_parts") parts = s.value;
  }
  CHECK(parts == 11);
  CHECK(
      std::filesystem::exists(archive + "/2026/11/21/web-1-audit-20261121T0500Z.log.part-0011.gz"));

  auto store = LocalObjectStore::Open(archive);
  ArchiveReader reader(**store, {*KeyTemplate::Parse(kDefaultKeyTemplate), "", "web-1", "audit"});
  auto hour = reader.List(k0500, k0500 + 3600);
  REQUIRE(hour.ok());
  REQUIRE(hour->size() == 11);
  std::string out;
  for (const auto& part : *hour) {
    REQUIRE(reader
                .Read(part,
                      [&](std::string_view b) {
                        out.append(b);
                        return common::Status::Ok();
                      })
                .ok());
  }
  CHECK(out == all);
}

}  // namespace hourglass::archive
