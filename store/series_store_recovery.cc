// DESIGN: how the metric store survives failed writes (a full disk).
//
// Every RocksDB write of the store (Write's batch, the name index's batch)
// goes through Commit(), under commit_mu_, so batches reach RocksDB in order.
// When a write fails the store stops writing: the failed batch and every
// later one wait in the retry buffer (held_, at most
// options_.retry_buffer_bytes; past it Write() drops the points, counted in
// store.write_errors), and nothing touches RocksDB's WAL again until the
// store has recovered. /health says "failed" with the reason ("disk full"),
// store.writable is 0 (also while only background work or the heads' WAL
// fails), store.write_failures counts failed attempts.
//
// Why not DB::Resume(): in RocksDB 7.8 a failed WAL append leaves the WAL's
// file writer marked as failed, and Resume() (RocksDB's automatic no-space
// recovery, or ours) does not replace it when the memtables are empty; the
// next write then fails for ever, or aborts on the assertion
// `sync_without_flush_called_` where assertions are compiled in (Debian's
// librocksdb). So RocksDB's own recovery is switched off (store_db_options.cc,
// Listener below) and the recovery thread, every options_.retry_interval_ms:
//   - after a failed write (or a background error RocksDB attributes to the
//     WAL, memtable or MANIFEST), reopens RocksDB once the filesystem has
//     room for the memtables plus kReopenSpareBytes: the torn last WAL record
//     of the failed batch is dropped by RocksDB's point-in-time WAL replay,
//     and the whole batch is written again from the retry buffer;
//   - after a background error alone (a flush or compaction found the disk
//     full; writes were never attempted on a failed WAL), calls Resume().
// Then it writes the retry buffer in order and reports "ok" again. Readers
// wait (db_mu_) while RocksDB is reopened; while a reopen fails they get an
// error and Write() drops points (counted).
#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <spdlog/spdlog.h>

#include "store/series_store_impl.h"

namespace hourglass::store {
namespace {

constexpr uint64_t kReopenSpareBytes = 8 << 20;

bool TouchesWal(rocksdb::BackgroundErrorReason reason) {
  return reason == rocksdb::BackgroundErrorReason::kWriteCallback ||
         reason == rocksdb::BackgroundErrorReason::kMemTable ||
         reason == rocksdb::BackgroundErrorReason::kManifestWrite;
}

bool IsDiskFull(const rocksdb::Status& s) {
  return s.IsNoSpace() || s.ToString().find("No space left") != std::string::npos;
}

}  // namespace

// Records RocksDB's background errors for the recovery thread and refuses
// RocksDB's automatic recovery. Called by RocksDB with its mutex held: it
// only records.
class SeriesStore::Impl::Listener : public rocksdb::EventListener {
 public:
  struct Reported {
    rocksdb::Status error;  // ok: nothing reported since Clear()
    bool wal = false;       // a reason that may have left the WAL failed
  };

  void OnBackgroundError(rocksdb::BackgroundErrorReason reason, rocksdb::Status* error) override {
    std::lock_guard lock(mu_);
    if (error == nullptr || error->ok()) return;
    reported_.error = *error;
    reported_.wal = reported_.wal || TouchesWal(reason) ||
                    error->severity() >= rocksdb::Status::Severity::kFatalError;
  }

  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status,
                            bool* auto_recovery) override {
    if (auto_recovery != nullptr) *auto_recovery = false;
  }

  Reported Get() const {
    std::lock_guard lock(mu_);
    return reported_;
  }

  void Clear() {
    std::lock_guard lock(mu_);
    reported_ = {};
  }

 private:
  mutable std::mutex mu_;  // guards reported_
  Reported reported_;
};

std::string SeriesStore::Impl::Unavailable() const {
  return fmt::format("metric store {} is unavailable (reopening after a failed write)",
                     options_.path);
}

common::Status SeriesStore::Impl::OpenRocksDb() {
  if (listener_ == nullptr) listener_ = std::make_shared<Listener>();
  rocksdb::DB* db = nullptr;
  handles_.clear();
  auto s = rocksdb::DB::Open(StoreDbOptions(listener_, options_.env.get()), options_.path,
                             StoreFamilies(&filter_, &clock_), &handles_, &db);
  if (!s.ok()) return common::Status::Error(s.ToString());
  db_.reset(db);
  data_ = handles_[1];
  names_ =
      std::make_unique<NameIndex>(db, handles_[2], handles_[3], stats_,
                                  [this](rocksdb::WriteBatch* batch) { return Commit(batch, 0); });
  return common::Status::Ok();
}

void SeriesStore::Impl::CloseRocksDb() {
  names_.reset();
  if (db_ == nullptr) return;
  for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
  handles_.clear();
  data_ = nullptr;
  if (auto s = db_->Close(); !s.ok())
    spdlog::warn("metric store: closing RocksDB: {}", s.ToString());
  db_.reset();
}

common::Status SeriesStore::Impl::Admit(size_t points) {
  std::lock_guard lock(commit_mu_);
  if (db_ != nullptr && (writable_ || held_bytes_ < options_.retry_buffer_bytes)) {
    return common::Status::Ok();
  }
  write_errors_.Add(points);
  if (db_ == nullptr) return common::Status::Error(Unavailable());
  return common::Status::Error(
      fmt::format("metric store cannot write ({}) and its retry buffer ({} bytes) is full: {} "
                  "points dropped",
                  failure_, options_.retry_buffer_bytes, points));
}

common::Status SeriesStore::Impl::Commit(rocksdb::WriteBatch* batch, size_t points) {
  std::lock_guard lock(commit_mu_);
  if (batch->Count() == 0) {
    points_written_.Add(points);  // all in heads (logged in the store's WAL)
    return common::Status::Ok();
  }
  if (writable_ && !held_.empty()) DrainLocked();
  if (writable_) {
    auto s = db_->Write(rocksdb::WriteOptions(), batch);
    if (s.ok()) {
      points_written_.Add(points);
      return common::Status::Ok();
    }
    MarkFailedLocked(s, true);
  }
  if (db_ == nullptr || held_bytes_ + batch->GetDataSize() > options_.retry_buffer_bytes) {
    write_errors_.Add(points);
    return common::Status::Error(fmt::format(
        "metric store cannot write ({}) and its retry buffer is full: {} points dropped", failure_,
        points));
  }
  held_bytes_ += batch->GetDataSize();
  held_points_ += points;
  held_.push_back({std::move(*batch), points});
  ReportLocked();
  return common::Status::Ok();
}

// Writes the retry buffer in order; false (and marked failed) if a write fails.
bool SeriesStore::Impl::DrainLocked() {
  while (!held_.empty()) {
    HeldBatch& front = held_.front();
    auto s = db_->Write(rocksdb::WriteOptions(), &front.batch);
    if (!s.ok()) {
      MarkFailedLocked(s, true);
      return false;
    }
    points_written_.Add(front.points);
    held_bytes_ -= front.batch.GetDataSize();
    held_points_ -= front.points;
    held_.pop_front();
  }
  ReportLocked();
  return true;
}

void SeriesStore::Impl::MarkFailedLocked(const rocksdb::Status& s, bool wal) {
  write_failures_.Add();
  reopen_needed_ = reopen_needed_ || wal;
  disk_full_ = IsDiskFull(s);
  failure_ = s.ToString();
  if (writable_) {
    spdlog::error(
        "metric store: write failed: {}; holding writes in memory (up to {} bytes) and retrying "
        "every {} ms",
        failure_, options_.retry_buffer_bytes, options_.retry_interval_ms);
  }
  writable_ = false;
  ReportLocked();
}

// /health and store.writable from the write state: store.writable is 1 only
// while /health says "ok" (a failed flush or WAL append is a failed write to
// an operator, even while RocksDB still takes writes in memory).
void SeriesStore::Impl::ReportLocked() {
  held_points_gauge_.Set(double(held_points_));
  held_bytes_gauge_.Set(double(held_bytes_));
  const char* what = disk_full_ ? "disk full" : "writes failing";
  bool ok = false;
  if (db_ == nullptr) {
    stats_.SetHealth("store", common::HealthState::kFailed,
                     fmt::format("down ({}): {}; retrying", what, failure_));
  } else if (!writable_) {
    stats_.SetHealth(
        "store", common::HealthState::kFailed,
        fmt::format("{}: {}; {} points held in memory, retrying", what, failure_, held_points_));
  } else if (auto reported = listener_->Get(); !reported.error.ok()) {
    stats_.SetHealth(
        "store", common::HealthState::kDegraded,
        fmt::format("{}: background work failed: {}; retrying",
                    IsDiskFull(reported.error) ? "disk full" : "error", reported.error.ToString()));
  } else if (!wal_failure_.empty()) {
    const bool full = wal_failure_.find("No space left") != std::string::npos;
    stats_.SetHealth("store", common::HealthState::kDegraded,
                     fmt::format("{}: WAL append failed: {}; points kept in memory until a "
                                 "checkpoint succeeds",
                                 full ? "disk full" : "error", wal_failure_));
  } else {
    stats_.SetHealth("store", common::HealthState::kOk);
    ok = true;
  }
  writable_gauge_.Set(ok ? 1 : 0);
}

void SeriesStore::Impl::StartRecovery() {
  recovery_thread_ = std::thread([this] { RecoveryLoop(); });
}

void SeriesStore::Impl::StopRecovery() {
  {
    std::lock_guard lock(recovery_mu_);
    stopping_ = true;
  }
  recovery_cv_.notify_all();
  if (recovery_thread_.joinable()) recovery_thread_.join();
}

void SeriesStore::Impl::RecoveryLoop() {
  std::unique_lock lock(recovery_mu_);
  while (!stopping_) {
    recovery_cv_.wait_for(lock, std::chrono::milliseconds(options_.retry_interval_ms),
                          [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    Recover();
    lock.lock();
  }
}

// Reopen or Resume as the DESIGN note says; the caller is the recovery
// thread, the only one that replaces db_ while the store is open.
void SeriesStore::Impl::Recover() {
  const Listener::Reported reported = listener_->Get();
  {
    std::lock_guard lock(commit_mu_);
    if (writable_ && held_.empty() && reported.error.ok()) return;
  }
  std::unique_lock db_lock(db_mu_);
  std::lock_guard lock(commit_mu_);
  const bool reopen = reopen_needed_ || db_ == nullptr || reported.wal;
  if (!reopen) {
    // No write failed (that sets reopen_needed_), so the WAL is intact.
    if (auto s = db_->Resume(); !s.ok()) return ReportLocked();
    listener_->Clear();
    recoveries_.Add();
    spdlog::info("metric store: resumed after a background error");
    DrainLocked();
    return;
  }
  if (db_ != nullptr) {
    uint64_t memtables = 0;
    db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables, &memtables);
    uint64_t free = 0;
    rocksdb::Env* env = options_.env ? options_.env.get() : rocksdb::Env::Default();
    if (env->GetFreeSpace(options_.path, &free).ok() && free < memtables + kReopenSpareBytes) {
      return ReportLocked();  // still full: keep RocksDB open for reads
    }
    CloseRocksDb();
  }
  writable_ = false;
  reopen_needed_ = true;
  listener_->Clear();
  if (auto s = OpenRocksDb(); !s.ok()) {
    failure_ = "reopening failed: " + s.message();
    disk_full_ = s.message().find("No space left") != std::string::npos;
    return ReportLocked();
  }
  writable_ = true;
  reopen_needed_ = false;
  recoveries_.Add();
  spdlog::info("metric store: reopened after a failed write; writing {} held points", held_points_);
  DrainLocked();
}

}  // namespace hourglass::store
