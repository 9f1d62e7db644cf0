// The durable upload queue and retrieval, against the file:// store (and a
// wrapper that fails on demand): keys, retries with backoff, restart after a
// crash mid-upload, conflicts, keep_local, read-back with verification.
#include <catch2/catch.hpp>
#include <filesystem>

#include "archive/audit/audit_files.h"
#include "archive/object_store/local_object_store.h"
#include "archive/shipping/archive_reader.h"
#include "archive/shipping/line_filter.h"
#include "archive/shipping/uploader.h"
#include "tests/archive/shipping/test_hour.h"
#include "tests/archive/temp_dir.h"

namespace hourglass::archive {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

const std::string kKey05 = "2026/11/21/web-1-audit-20261121T0500Z.log.gz";

// Delegates to a LocalObjectStore; the next `fail` Puts fail with `kind`.
class FlakyStore final : public ObjectStore {
 public:
  explicit FlakyStore(std::unique_ptr<ObjectStore> inner) : inner_(std::move(inner)) {}
  StoreResult<PutOutcome> Put(std::string_view key, const std::filesystem::path& file,
                              const PutOptions& options) override {
    ++puts;
    if (fail > 0) {
      --fail;
      return StoreError{kind, "simulated failure"};
    }
    return inner_->Put(key, file, options);
  }
  StoreResult<ObjectInfo> Head(std::string_view key) override { return inner_->Head(key); }
  StoreResult<ObjectInfo> Get(std::string_view key, const ByteSink& sink) override {
    return inner_->Get(key, sink);
  }
  StoreResult<ListPage> List(std::string_view prefix, std::string_view token,
                             int max_keys) override {
    return inner_->List(prefix, token, max_keys);
  }
  StoreResult<void> Delete(std::string_view key) override { return inner_->Delete(key); }
  std::string Presign(std::string_view key, PresignMethod m, int64_t e, int64_t n) const override {
    return inner_->Presign(key, m, e, n);
  }
  std::string Describe() const override { return "flaky " + inner_->Describe(); }

  int fail = 0;
  int puts = 0;
  ErrorKind kind = ErrorKind::kTransient;

 private:
  std::unique_ptr<ObjectStore> inner_;
};

struct Fixture {
  TempDir dir;
  common::ManualClock clock{(k0500 + 3600 + 120) * 1'000'000};
  common::StatsRegistry stats;
  std::string audit = dir.path() + "/audit";
  std::string sealed = dir.path() + "/sealed";
  std::string archive = dir.path() + "/archive";
  FlakyStore* flaky = nullptr;

  Fixture() { std::filesystem::create_directories(audit); }

  void AddHour(int segment, const std::string& data, int64_t hour = kHour05) {
    const AuditFileInfo info{AuditFileName("audit", hour, segment), hour, segment, true};
    WriteFile(audit + "/" + info.name, data);
    REQUIRE(WriteCompleteMarker(audit, info, data.size(), 1, clock.NowMicros()).ok());
  }

  std::unique_ptr<Uploader> Make(int64_t keep_local_s = 86400) {
    auto sealer = Sealer::Open({.audit_dir = audit, .sealed_dir = sealed}, clock, stats);
    REQUIRE(sealer.ok());
    auto local = LocalObjectStore::Open(archive);
    REQUIRE(local.ok());
    auto store = std::make_unique<FlakyStore>(std::move(*local));
    flaky = store.get();
    UploaderOptions options{.key_template = *KeyTemplate::Parse(kDefaultKeyTemplate),
                            .host = "web-1",
                            .keep_local_s = keep_local_s,
                            .retry_base_ms = 1000,
                            .retry_max_ms = 8000};
    return Uploader::Create(std::move(options), std::move(*sealer), std::move(store), clock, stats);
  }

  double Stat(const std::string& name) {
    for (const auto& s : stats.Snapshot()) {
      if (s.name == name) return s.value;
    }
    return -1;
  }
};

}  // namespace

TEST_CASE("sealed hours land under the templated key, once") {
  Fixture f;
  f.AddHour(1, "a\nb\n");
  f.AddHour(2, "c\n");
  auto uploader = f.Make();
  uploader->Pass();
  CHECK(uploader->pending() == 0);
  CHECK(std::filesystem::exists(f.archive + "/" + kKey05));
  CHECK(std::filesystem::exists(f.archive + "/2026/11/21/web-1-audit-20261121T0500Z-2.log.gz"));
  CHECK(f.Stat("archive.uploaded_files") == 2);
  CHECK(f.Stat("archive.uploaded_bytes") > 0);
  uploader->Pass();
  CHECK(f.flaky->puts == 2);  // done is done
  auto state = ParseUploadState(ReadFile(f.sealed + "/audit-20261121T0500Z.log.gz.upload"));
  CHECK(state->phase == UploadPhase::kDone);
  CHECK(state->key == kKey05);
}

TEST_CASE("a sealing failure degrades the archive until sealing works again") {
  Fixture f;
  auto uploader = f.Make();
  uploader->Pass();
  CHECK(f.stats.Health()[0].state == common::HealthState::kOk);
  std::filesystem::rename(f.audit, f.audit + ".away");  // listing fails
  uploader->Pass();
  CHECK(f.stats.Health()[0].state == common::HealthState::kDegraded);
  CHECK(f.stats.Health()[0].detail.find("sealing failed") != std::string::npos);
  std::filesystem::rename(f.audit + ".away", f.audit);
  uploader->Pass();  // nothing to upload: the next successful seal clears it
  CHECK(f.stats.Health()[0].state == common::HealthState::kOk);
}

TEST_CASE("a store that is down is retried with capped backoff until it returns") {
  Fixture f;
  f.AddHour(1, "a\n");
  auto uploader = f.Make();
  f.flaky->fail = 6;
  uploader->Pass();
  CHECK(uploader->pending() == 1);
  CHECK(f.Stat("archive.pending_hours") == 1);
  CHECK(f.Stat("archive.upload_failures.transient") == 1);
  CHECK(f.Stat("archive.oldest_pending_age_s") == 120);
  const auto health = f.stats.Health();
  REQUIRE(health.size() == 1);
  CHECK(health[0].state == common::HealthState::kDegraded);
  CHECK(health[0].detail.find("simulated failure") != std::string::npos);
  uploader->Pass();  // within the backoff: no new attempt
  CHECK(f.flaky->puts == 1);
  for (int i = 0; i < 12; ++i) {  // the delay never exceeds retry_max (8 s)
    f.clock.AdvanceMicros(8'000'001);
    uploader->Pass();
  }
  CHECK(uploader->pending() == 0);
  CHECK(f.flaky->puts == 7);
  CHECK(f.stats.Health()[0].state == common::HealthState::kOk);
}

TEST_CASE("a crash after the PUT but before the done record uploads nothing twice") {
  Fixture f;
  f.AddHour(1, "a\n");
  { f.Make()->Pass(); }
  // Rewind the record to "uploading", as a kill -9 right after the PUT leaves it.
  const std::string state_path = f.sealed + "/audit-20261121T0500Z.log.gz.upload";
  auto state = ParseUploadState(ReadFile(state_path));
  state->phase = UploadPhase::kUploading;
  WriteFile(state_path, UploadStateJson(*state));
  auto restarted = f.Make();
  restarted->Pass();
  CHECK(restarted->pending() == 0);
  CHECK(f.Stat("archive.already_present") == 1);
  auto all = LocalObjectStore::Open(f.archive).value()->ListAll("");
  CHECK(all->size() == 1);
}

TEST_CASE("a different object under the key is never overwritten") {
  Fixture f;
  f.AddHour(1, "mine\n");
  std::filesystem::create_directories(f.archive + "/2026/11/21");
  WriteFile(f.dir.path() + "/other", "someone else's\n");
  REQUIRE(LocalObjectStore::Open(f.archive).value()->Put(kKey05, f.dir.path() + "/other", {}).ok());
  auto uploader = f.Make(0);
  uploader->Pass();
  CHECK(f.Stat("archive.upload_failures.conflict") == 1);
  CHECK(f.stats.Health()[0].state == common::HealthState::kDegraded);
  f.clock.AdvanceMicros(86400'000'000LL);
  uploader->Pass();
  CHECK(std::filesystem::exists(f.audit + "/audit-20261121T0500Z.log"));  // kept locally
  CHECK(ReadFile(f.archive + "/" + kKey05) == "someone else's\n");
}

TEST_CASE("keep_local deletes local copies only after the upload and their age") {
  Fixture f;
  f.AddHour(1, "a\n");
  auto uploader = f.Make(3600);
  f.flaky->fail = 1;
  uploader->Pass();
  f.clock.AdvanceMicros(7200'000'000LL);  // old enough, but not uploaded yet
  CHECK(std::filesystem::exists(f.audit + "/audit-20261121T0500Z.log"));
  uploader->Pass();  // uploads
  uploader->Pass();  // then deletes
  CHECK_FALSE(std::filesystem::exists(f.audit + "/audit-20261121T0500Z.log"));
  CHECK_FALSE(std::filesystem::exists(f.sealed + "/audit-20261121T0500Z.log.gz"));
  CHECK(std::filesystem::exists(f.archive + "/" + kKey05));
  CHECK(f.Stat("archive.local_deleted") == 1);
}

TEST_CASE("the reader lists a range and streams every segment back, verified") {
  Fixture f;
  f.AddHour(1, "first segment\nERROR one\n");
  f.AddHour(2, "second segment\n");
  f.AddHour(1, "next hour\n", kHour05 + 1);
  f.clock.AdvanceMicros(7200'000'000LL);
  f.Make()->Pass();
  auto store = LocalObjectStore::Open(f.archive);
  ArchiveReader reader(**store, {*KeyTemplate::Parse(kDefaultKeyTemplate), "", "web-1", "audit"});
  auto hour = reader.List(k0500, k0500 + 3600);
  REQUIRE(hour.ok());
  REQUIRE(hour->size() == 2);
  CHECK((*hour)[0].segment == 1);
  CHECK((*hour)[0].lines == 2);
  CHECK((*hour)[1].segment == 2);
  std::string out;
  ChunkSink sink = [&](std::string_view b) {
    out.append(b);
    return common::Status::Ok();
  };
  for (const auto& s : *hour) REQUIRE(reader.Read(s, sink).ok());
  CHECK(out == "first segment\nERROR one\nsecond segment\n");
  CHECK(reader.List(k0500 - 86400 * 400, k0500 + 7200)->size() == 3);
  CHECK(ArchiveReader(**store, {*KeyTemplate::Parse(kDefaultKeyTemplate), "", "db-2", "audit"})
            .List(k0500, k0500 + 3600)
            ->empty());

  auto filter = LineFilter::Create("^ERR");
  std::string grepped;
  ChunkSink grep_sink = [&](std::string_view b) {
    grepped.append(b);
    return common::Status::Ok();
  };
  REQUIRE(
      reader.Read((*hour)[0], [&](std::string_view b) { return (*filter)->Write(b, grep_sink); })
          .ok());
  CHECK(grepped == "ERROR one\n");

  // Damage the archived copy: the read fails, naming the key.
  WriteFile(f.archive + "/" + kKey05, ReadFile(f.archive + "/" + kKey05) + "junk");
  auto damaged = reader.Read((*hour)[0], sink);
  REQUIRE_FALSE(damaged.ok());
  CHECK(damaged.error().message.find(kKey05) != std::string::npos);
}

}  // namespace hourglass::archive
