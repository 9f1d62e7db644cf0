// DESIGN: the upload queue.
//
// State on disk, in the spool directory (data_dir/sealed), per sealed file:
//   NAME.log.gz           the sealed file (Sealer)
//   NAME.log.gz.manifest  sizes, checksums, line count: it is queued
//   NAME.log.gz.upload    the upload state: pending -> uploading -> done
//                         (or conflict), with the object key and attempts
// Every record is written atomically and fsynced (temp, rename, fsync dir).
// The queue is the set of manifests whose state is not done: nothing lives
// only in memory, so a restart (kill -9 included) rebuilds it with one
// directory listing, oldest hour first.
//
// No hour is lost: a file is queued before anything can delete it, and its
// local copies are removed only once its state is done and it is older than
// archive.keep_local. None is uploaded twice: "uploading" records the key
// before the PUT; after a crash the same key is tried again, and the store
// never overwrites: an identical object already there (same size and
// x-amz-meta-hourglass-sha256) counts as done, so the retry that follows a
// crash between the PUT and the "done" record creates nothing new. A
// multipart upload cut by a crash leaves only invisible parts; the retry
// starts a fresh one, and the key gets exactly one complete object; the
// parts of the cut one are aborted first (AbortIncompleteUploads).
//
// Retries: a transient, auth or not-found (no bucket) failure means the
// store is down or refusing us, so the whole queue waits (capped exponential
// backoff with jitter: retry_base_ms doubling to retry_max_ms, each delay
// drawn from [d/2, d]);
// any other failure backs off that file alone. There is no give-up: an hour
// waits as long as it takes. A key held by a different object is never
// overwritten: the file is marked conflict, kept locally, counted and
// reported in /health.
//
// Parts (archive.ship_interval, see sealer.cc) are queued and uploaded as
// sealed files of their own, in order of hour, segment and part; their key is
// the key template's with the part's file name.
//
// Self-metrics: archive.pending_hours (sealed files, parts included),
// archive.oldest_pending_age_s, archive.uploaded_bytes, archive.uploaded_parts,
// archive.oldest_unshipped_s (since the oldest audit byte not in the archive
// was first seen), archive.upload_failures.KIND; /health "archive"
// carries the last error (StoreError messages never hold secrets).
#include "archive/shipping/uploader.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "archive/audit/audit_files.h"
#include "archive/audit/audit_format.h"

namespace hourglass::archive {
namespace {

constexpr int64_t kMicros = 1'000'000;

std::string ContentType(std::string_view compression) {
  if (compression == "gzip") return "application/gzip";
  if (compression == "zstd") return "application/zstd";
  return "text/plain; charset=utf-8";
}

}  // namespace

struct Uploader::Counters {
  explicit Counters(common::StatsRegistry& s)
      : uploaded(s.GetCounter("archive.uploaded_files", "sealed files stored in the archive")),
        already(s.GetCounter("archive.already_present",
                             "uploads found already stored, identical (after a restart)")),
        parts(s.GetCounter("archive.uploaded_parts",
                           "parts of hours stored in the archive (archive.ship_interval)")),
        bytes(s.GetCounter("archive.uploaded_bytes", "bytes uploaded to the archive")),
        deleted(s.GetCounter("archive.local_deleted", "hours whose local copies were deleted")),
        pending(s.GetGauge("archive.pending_hours", "sealed files waiting for upload")),
        oldest(s.GetGauge("archive.oldest_pending_age_s",
                          "seconds since the end of the oldest hour not yet uploaded")),
        unshipped(s.GetGauge("archive.oldest_unshipped_s",
                             "seconds since the oldest audit line not yet in the archive was "
                             "first seen (0: everything is archived)")) {
    for (auto kind : {ErrorKind::kNotFound, ErrorKind::kAuth, ErrorKind::kTransient,
                      ErrorKind::kPermanent, ErrorKind::kLocal}) {
      const std::string name = "archive.upload_failures." + std::string(ErrorKindName(kind));
      failures[static_cast<int>(kind)] = &s.GetCounter(name, "failed upload attempts by kind");
    }
    conflicts = &s.GetCounter("archive.upload_failures.conflict",
                              "keys held by a different object (never overwritten)");
  }
  common::Counter& uploaded;
  common::Counter& already;
  common::Counter& parts;
  common::Counter& bytes;
  common::Counter& deleted;
  common::Gauge& pending;
  common::Gauge& oldest;
  common::Gauge& unshipped;
  common::Counter* failures[5] = {};
  common::Counter* conflicts = nullptr;
};

std::unique_ptr<Uploader> Uploader::Create(UploaderOptions options, std::unique_ptr<Sealer> sealer,
                                           std::unique_ptr<ObjectStore> store,
                                           const common::Clock& clock,
                                           common::StatsRegistry& stats) {
  return std::unique_ptr<Uploader>(
      new Uploader(std::move(options), std::move(sealer), std::move(store), clock, stats));
}

Uploader::Uploader(UploaderOptions options, std::unique_ptr<Sealer> sealer,
                   std::unique_ptr<ObjectStore> store, const common::Clock& clock,
                   common::StatsRegistry& stats)
    : options_(std::move(options)),
      sealer_(std::move(sealer)),
      store_(std::move(store)),
      clock_(clock),
      stats_(stats),
      counters_(std::make_unique<Counters>(stats)) {
  stats_.SetHealth("archive", common::HealthState::kOk, "target " + store_->Describe());
}

Uploader::~Uploader() { Shutdown(false, std::chrono::milliseconds(0)); }

void Uploader::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Uploader::Run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    Pass();
    lock.lock();
    cv_.wait_for(lock, std::chrono::milliseconds(options_.scan_interval_ms), [&] { return stop_; });
  }
}

void Uploader::Shutdown(bool seal_all, std::chrono::milliseconds budget) {
  if (shut_down_) return;
  shut_down_ = true;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (budget.count() > 0 || seal_all) {
    Pass(true, seal_all, std::chrono::steady_clock::now() + budget);
    spdlog::info("archive stopped pending_hours={}", pending_);
  }
}

std::string Uploader::Path(const std::string& name) const {
  return sealer_->options().sealed_dir + "/" + name;
}

constexpr std::string_view kSealingFailed = "sealing failed: ";

void Uploader::Seal(bool force) {
  auto sealed = sealer_->SealDue(force);
  if (sealed) {
    // A sealing error lasts until sealing works again (e.g. out of file
    // descriptors for a moment), not until the next upload.
    if (last_error_.starts_with(kSealingFailed)) last_error_.clear();
    return;
  }
  last_error_ = std::string(kSealingFailed) + sealed.status().message();
  if (last_error_ != last_logged_error_) spdlog::error("archive {}", last_error_);
  last_logged_error_ = last_error_;
}

void Uploader::Pass(bool final, bool seal_all, std::chrono::steady_clock::time_point deadline) {
  Seal(final && seal_all);
  std::vector<Entry> queue = LoadQueue();
  for (Entry& entry : queue) {
    const int64_t now = clock_.NowMicros();
    if (entry.state.phase == UploadPhase::kDone) {
      CleanUp(entry);
      continue;
    }
    if (entry.state.phase == UploadPhase::kConflict) continue;
    if (final && std::chrono::steady_clock::now() >= deadline) break;
    if (!final && now < store_next_try_micros_) break;
    const auto retry = retries_.find(entry.manifest.file);
    if (!final && retry != retries_.end() && now < retry->second.next_try_micros) continue;
    if (!Upload(entry) && !final) break;  // the store is failing: wait for the backoff
  }
  Report(queue);
}

std::vector<Uploader::Entry> Uploader::LoadQueue() {
  std::vector<Entry> queue;
  std::error_code ec;
  const std::string dir = sealer_->options().sealed_dir;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.ends_with(kManifestSuffix)) continue;
    auto text = ReadSmallFile(it->path().string());
    auto manifest = text ? ParseManifest(*text) : common::Result<SealedManifest>(text.status());
    if (!manifest) {
      spdlog::error("archive skipping unreadable manifest {}: {}", name,
                    manifest.status().message());
      continue;
    }
    Entry entry{std::move(*manifest), {}};
    if (auto state_text =
            ReadSmallFile(Path(entry.manifest.file + std::string(kUploadStateSuffix)))) {
      if (auto state = ParseUploadState(*state_text)) entry.state = std::move(*state);
    }
    queue.push_back(std::move(entry));
  }
  std::sort(queue.begin(), queue.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.manifest.hour, a.manifest.segment, a.manifest.part) <
           std::tie(b.manifest.hour, b.manifest.segment, b.manifest.part);
  });
  return queue;
}

common::Status Uploader::SaveState(const Entry& entry) {
  return WriteFileAtomically(sealer_->options().sealed_dir,
                             entry.manifest.file + std::string(kUploadStateSuffix),
                             UploadStateJson(entry.state));
}

bool Uploader::Upload(Entry& entry) {
  const SealedManifest& m = entry.manifest;
  if (entry.state.key.empty()) {  // a retry after a crash keeps the key it started with
    entry.state.key = options_.key_template.Render(options_.prefix, m.hour, options_.host, m.file);
  }
  if (entry.state.phase == UploadPhase::kUploading && !retries_.contains(m.file)) {
    AbortLeftovers(entry.state.key);  // a crash cut the last attempt short
  }
  entry.state.phase = UploadPhase::kUploading;
  ++entry.state.attempts;
  entry.state.updated_micros = clock_.NowMicros();
  if (auto status = SaveState(entry); !status) {
    return Fail(entry, {ErrorKind::kLocal, status.message()});
  }
  PutOptions options{.content_type = ContentType(m.compression)};
  options.metadata = {{"hourglass-lines", std::to_string(m.lines)},
                      {"hourglass-raw-sha256", m.raw_sha256},
                      {"hourglass-raw-bytes", std::to_string(m.raw_bytes)},
                      {"hourglass-hour", HourStamp(m.hour)},
                      {"hourglass-segment", std::to_string(m.segment)},
                      {"hourglass-part", std::to_string(m.part)},
                      {"hourglass-from", std::to_string(m.from)},
                      {"hourglass-compression", m.compression}};
  StoreResult<PutOutcome> outcome = store_->Put(entry.state.key, Path(m.file), options);
  if (!outcome) return Fail(entry, outcome.error());
  return Finish(entry, *outcome);
}

void Uploader::AbortLeftovers(const std::string& key) {
  StoreResult<int> aborted = store_->AbortIncompleteUploads(key);
  if (!aborted) {
    spdlog::warn("archive could not clean up unfinished uploads of {}: {}", key,
                 aborted.error().message);
  } else if (*aborted > 0) {
    spdlog::info("archive aborted {} unfinished multipart upload(s) of {} left by a crash",
                 *aborted, key);
  }
}

bool Uploader::Finish(Entry& entry, PutOutcome outcome) {
  const SealedManifest& m = entry.manifest;
  entry.state.phase =
      outcome == PutOutcome::kConflictDifferent ? UploadPhase::kConflict : UploadPhase::kDone;
  entry.state.outcome = std::string(PutOutcomeName(outcome));
  entry.state.updated_micros = clock_.NowMicros();
  if (auto status = SaveState(entry); !status) {
    return Fail(entry, {ErrorKind::kLocal, status.message()});
  }
  retries_.erase(m.file);
  if (outcome == PutOutcome::kConflictDifferent) {
    counters_->conflicts->Add();
    last_error_ = "a different object already holds " + entry.state.key + "; " + m.file +
                  " is kept locally and never overwrites it";
    spdlog::error("archive conflict file={} key={}: {}", m.file, entry.state.key, last_error_);
    return true;
  }
  counters_->uploaded.Add();
  if (m.part > 0) counters_->parts.Add();
  if (outcome == PutOutcome::kAlreadyIdentical) counters_->already.Add();
  if (outcome == PutOutcome::kUploaded) counters_->bytes.Add(m.bytes);
  if (!last_error_.empty()) spdlog::info("archive uploads recovered");
  last_error_.clear();
  last_logged_error_.clear();
  spdlog::info("archive uploaded file={} key={} bytes={} outcome={}", m.file, entry.state.key,
               m.bytes, entry.state.outcome);
  return true;
}

int64_t Uploader::BackoffMicros(uint64_t failures) {
  const int shift = static_cast<int>(std::min<uint64_t>(failures > 0 ? failures - 1 : 0, 30));
  const int64_t cap = options_.retry_max_ms * 1000;
  const int64_t delay = std::min(cap, (options_.retry_base_ms * 1000) << shift);
  std::uniform_int_distribution<int64_t> jitter(delay / 2, std::max<int64_t>(delay, 1));
  return jitter(rng_);
}

bool Uploader::Fail(Entry& entry, const StoreError& error) {
  counters_->failures[static_cast<int>(error.kind)]->Add();
  Retry& retry = retries_[entry.manifest.file];
  ++retry.failures;
  const int64_t delay = BackoffMicros(retry.failures);
  retry.next_try_micros = clock_.NowMicros() + delay;
  last_error_ = std::string(ErrorKindName(error.kind)) + ": " + error.message;
  if (last_error_ != last_logged_error_) {  // one line per distinct error, not per retry
    spdlog::error("archive upload failed file={} kind={} retry_in={}s: {}", entry.manifest.file,
                  ErrorKindName(error.kind), delay / kMicros, error.message);
    last_logged_error_ = last_error_;
  }
  const bool store_wide = error.kind == ErrorKind::kTransient || error.kind == ErrorKind::kAuth ||
                          error.kind == ErrorKind::kNotFound;  // no such bucket
  if (store_wide) store_next_try_micros_ = retry.next_try_micros;
  return !store_wide;
}

void Uploader::CleanUp(const Entry& entry) {
  const SealedManifest& m = entry.manifest;
  const int64_t hour_end = (m.hour + 1) * 3600;
  const int64_t now = clock_.NowSeconds();
  if (now < hour_end || now - hour_end < options_.keep_local_s) return;
  const std::string audit_dir = sealer_->options().audit_dir;
  // The audit file first: once it is gone nothing can seal the hour again.
  for (const std::string& path :
       {audit_dir + "/" + m.source, audit_dir + "/" + m.source + std::string(kCompleteSuffix),
        Path(m.file), Path(m.file + std::string(kUploadStateSuffix)),
        Path(m.file + std::string(kManifestSuffix))}) {
    ::unlink(path.c_str());
  }
  counters_->deleted.Add();
  spdlog::info("archive deleted local copies file={} key={}", m.file, entry.state.key);
}

void Uploader::Report(const std::vector<Entry>& queue) {
  size_t pending = 0, conflicts = 0;
  int64_t oldest_end = 0;
  int64_t oldest_seen = sealer_->oldest_unsealed_micros();
  for (const Entry& entry : queue) {
    conflicts += entry.state.phase == UploadPhase::kConflict;
    if (entry.state.phase == UploadPhase::kDone) continue;
    const int64_t seen = entry.manifest.first_seen_micros != 0 ? entry.manifest.first_seen_micros
                                                               : entry.manifest.sealed_micros;
    if (oldest_seen == 0 || seen < oldest_seen) oldest_seen = seen;
    if (entry.state.phase == UploadPhase::kConflict) continue;
    if (pending++ == 0) oldest_end = (entry.manifest.hour + 1) * 3600;
  }
  const int64_t unshipped = oldest_seen == 0 ? 0 : (clock_.NowMicros() - oldest_seen) / kMicros;
  counters_->unshipped.Set(static_cast<double>(std::max<int64_t>(unshipped, 0)));
  pending_ = pending;
  counters_->pending.Set(static_cast<double>(pending));
  const int64_t age = pending > 0 ? clock_.NowSeconds() - oldest_end : 0;
  counters_->oldest.Set(static_cast<double>(std::max<int64_t>(age, 0)));
  std::string summary = fmt::format(
      "{} hours pending (oldest ended {}s ago), oldest unshipped line seen {}s ago, {} parts and "
      "{} bytes uploaded, failures auth={} "
      "transient={} permanent={} local={}, target {}",
      pending, std::max<int64_t>(age, 0), std::max<int64_t>(unshipped, 0), counters_->parts.Value(),
      counters_->bytes.Value(), counters_->failures[static_cast<int>(ErrorKind::kAuth)]->Value(),
      counters_->failures[static_cast<int>(ErrorKind::kTransient)]->Value(),
      counters_->failures[static_cast<int>(ErrorKind::kPermanent)]->Value(),
      counters_->failures[static_cast<int>(ErrorKind::kLocal)]->Value(), store_->Describe());
  if (conflicts > 0) summary += "; " + std::to_string(conflicts) + " in conflict (kept locally)";
  if (last_error_.empty() && conflicts == 0) {
    stats_.SetHealth("archive", common::HealthState::kOk, summary);
  } else {
    stats_.SetHealth("archive", common::HealthState::kDegraded,
                     last_error_.empty() ? summary : summary + "; last error: " + last_error_);
  }
}

}  // namespace hourglass::archive
