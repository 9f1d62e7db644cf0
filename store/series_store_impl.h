// SeriesStore::Impl: the store's internals, shared by series_store.cc (open,
// write), series_store_reads.cc, series_store_heads.cc (open raw blocks,
// WAL), series_store_checkpoint.cc (the heads' checkpoints and their
// thread), series_store_rollups.cc (rollups from sealed heads, close),
// series_store_recovery.cc (failed writes: the retry buffer, reopening
// RocksDB) and store_db_options.cc. Internal to store/. Threads: Write/Close
// serialize on write_mu_; everyone using db_ holds db_mu_ (shared; exclusive
// to reopen). Lock order: write_mu_, db_mu_, heads_mu_, NameIndex's mutex,
// commit_mu_.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/listener.h>
#include <rocksdb/write_batch.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common/dense_hash_map.h"
#include "common/rate_limited_log.h"
#include "store/aggregation_rules.h"
#include "store/name_index.h"
#include "store/operand_run.h"
#include "store/point_wal.h"
#include "store/raw_heads.h"
#include "store/resolution_layout.h"
#include "store/retention_filter.h"
#include "store/series_store.h"

namespace hourglass::store {

// RocksDB options of the store (store_db_options.cc). `listener` hears of
// background errors; RocksDB's own recovery is left to the store.
rocksdb::DBOptions StoreDbOptions(std::shared_ptr<rocksdb::EventListener> listener,
                                  rocksdb::Env* env);
// `clock` dates rollup blocks for the merge operator (recent: records, old:
// columns; block_merge_operator.h).
std::vector<rocksdb::ColumnFamilyDescriptor> StoreFamilies(rocksdb::CompactionFilter* filter,
                                                           const common::Clock* clock);

class SeriesStore::Impl {
 public:
  Impl(const StoreOptions& options, AggregationRules rules, const common::Clock& clock,
       common::StatsRegistry& stats);
  ~Impl();

  common::Status OpenDb();
  common::Status Write(std::span<const Point> points);
  common::Status RegisterNames(std::span<const std::string> names);
  common::Status Close();
  common::Result<SeriesData> Read(std::string_view name, int64_t from, int64_t until,
                                  int64_t now) const;
  size_t ReadLength(std::string_view name, int64_t from, int64_t until, int64_t now) const;
  common::Status Compact();
  const std::vector<Retention>& retentions() const { return options_.retentions; }
  // Runs `f(NameIndex&)` with db_mu_ shared; an error while RocksDB is
  // closed (being reopened after a failure).
  template <typename F>
  auto WithNames(F f) const -> decltype(f(std::declval<NameIndex&>())) {
    std::shared_lock lock(db_mu_);
    if (names_ == nullptr) return common::Status::Error(Unavailable());
    return f(*names_);
  }

  // Runs f(db, events family) with db_mu_ shared (see WithNames).
  template <typename F>
  common::Status WithEvents(F f) const {
    std::shared_lock lock(db_mu_);
    if (db_ == nullptr || handles_.size() <= kEventsFamily) {
      return common::Status::Error(Unavailable());
    }
    return f(*db_, *handles_[kEventsFamily]);
  }

  // RocksDB reports background errors here (series_store_recovery.cc).
  class Listener;

 private:
  // What a series' name decides: its retention schema and aggregation rule.
  struct SeriesClass {
    uint16_t schema;  // index in layout_.schemas()
    uint16_t rule;    // index in rules_ (rules_.size(): carbon's fallback)
  };
  struct IdHash {  // series ids are MurmurHash64A values already
    uint64_t operator()(uint64_t id) const { return id; }
  };
  using ClassMap = common::DenseHashMap<uint64_t, SeriesClass, IdHash>;
  struct Pending {
    uint64_t id;
    int64_t timestamp;
    double value;
    uint16_t schema;
    uint8_t first;  // finest level of the schema whose retention covers the point
    RawCombine combine;
  };
  void AddRollups(std::span<const Pending> pending, rocksdb::WriteBatch* batch);
  // What Classify makes of a run of points.
  struct Classified {
    std::vector<Pending> raw;      // for the heads, in arrival order
    std::vector<Pending> pending;  // the rest: older than raw, or a resolution without heads
    ClassMap learned;              // classes of series the cache does not hold yet
  };
  // The raw points of a batch for the heads, in arrival order: the runs of
  // its two halves (Classify's outputs, not copied into one).
  struct RawRuns {
    std::span<const Pending> first, second;
    size_t size() const { return first.size() + second.size(); }
    const Pending& operator[](size_t i) const {
      return i < first.size() ? first[i] : second[i - first.size()];
    }
  };
  // Validates `points` (dropped ones counted) and finds each one's series
  // class and destination. Reads the class cache: class_mu_ held (shared).
  void Classify(std::span<const Point> points, int64_t now, Classified* out) const;
  // Where a read goes and what it returns, before anything is read: the
  // shape of the answer (no values) and its length (0: whisper's None).
  struct ReadPlan {
    uint64_t id = 0;
    uint16_t rule = 0;
    uint8_t resolution = 0;  // the resolution's id in the data family
    uint8_t raw = 0;         // the raw resolution of the series' schema (its heads)
    SeriesData shape;
    size_t length = 0;
  };
  ReadPlan PlanRead(std::string_view name, int64_t from, int64_t until, int64_t now) const;
  SeriesClass MatchClass(std::string_view name) const;
  // Adds classes to the cache (emptied first when it would pass its bound).
  void RememberClasses(const ClassMap& learned) const;
  // The cached class of series `id`, matched and cached on a miss.
  SeriesClass ClassOf(uint64_t id, std::string_view name) const;
  common::Status LoadLayout();
  // Fills out->values from RocksDB and the heads; an error if a block could
  // not be read (the answer would miss it).
  rocksdb::Status FillValues(const ReadPlan& plan, const AggregationRule& rule,
                             SeriesData* out) const;

  // Failed writes (series_store_recovery.cc). Commit writes `batch`, or holds
  // it in the retry buffer while RocksDB cannot write (Ok: it will be
  // written, in order, once the store recovers), or drops it when the buffer
  // is full (an error; its points counted in write_errors_). Called with
  // db_mu_ shared.
  common::Status Commit(rocksdb::WriteBatch* batch, size_t points);
  // Whether a Write of `points` should be refused now (buffer full): then
  // counts them as lost and says why.
  common::Status Admit(size_t points);
  common::Status OpenRocksDb();
  void CloseRocksDb();
  std::string Unavailable() const;
  void StartRecovery();
  void StopRecovery();
  void RecoveryLoop();
  void Recover();
  bool DrainLocked();
  void MarkFailedLocked(const rocksdb::Status& s, bool wal);
  void ReportLocked();

  // Heads (series_store_heads.cc; checkpoints in series_store_checkpoint.cc):
  // the open raw blocks, their WAL and checkpoints (docs/STORE.md).
  common::Status OpenHeads();
  // Whether `resolution` keeps heads (a raw resolution of a configured schema).
  bool HasHeads(uint8_t resolution) const;
  // Seals the heads that are due (see the DESIGN note) into `batch`; at most
  // once per sweep interval unless `all_due` (then every head whose span
  // ended, touched or not: Compact). Under heads_mu_ (exclusive).
  void SealHeads(int64_t now, bool all_due, rocksdb::WriteBatch* batch);
  void Seal(std::vector<RawHeads::Sealed> sealed, rocksdb::WriteBatch* batch);
  // Logs the raw points `to_heads` (in arrival order) and adds them to their
  // heads, sealing a series' previous block when it starts a later one;
  // writes the raw points of `sorted` (by schema and series; first == 0) of
  // resolutions without heads as merge operands. Under heads_mu_ (exclusive).
  void AddRawPoints(const RawRuns& to_heads, std::span<const Pending> sorted, int64_t now,
                    rocksdb::WriteBatch* batch);
  // Writes the changed heads and the WAL position they cover, then drops the
  // WAL before it. `force`: whatever the WAL size (Close). Under write_mu_.
  common::Status Checkpoint(bool force);
  // Whether the WAL since the last checkpoint passed the threshold (see the
  // DESIGN note). Under write_mu_.
  bool CheckpointDue() const;
  // The checkpoint thread: runs a due checkpoint after a Write asked for it
  // (taking write_mu_ as a Write does), so the Write returns first.
  void CheckpointLoop();
  void StopCheckpoints();  // joins it (Close, before taking write_mu_)
  // The schema a head of raw resolution `raw` folds into (see the .cc).
  uint16_t SchemaOfHead(uint16_t recorded, uint8_t raw) const;

  // Rollups (series_store_rollups.cc). Adds to `batch` the rollup buckets
  // of the raw points of `raw_key`'s block (`raw_value`: a series block or
  // any raw value) in each resolution of `targets`, one merge operand per
  // rollup block; with `since` (indexed by resolution id), only points at or
  // after since[target].
  void FoldRollups(const DataKey& raw_key, std::string_view raw_value,
                   std::span<const uint8_t> targets, const std::vector<int64_t>* since,
                   rocksdb::WriteBatch* batch) const;
  // Stores written before rollups came from heads kept open rollup buckets
  // in memory ("rollup_state"): after a crash of such a store, writes the
  // buckets it lost from the raw blocks on disk; then drops the key.
  common::Status MigrateRollupState();

  StoreOptions options_;
  const common::Clock& clock_;
  common::StatsRegistry& stats_;
  AggregationRules rules_;
  ResolutionLayout layout_;  // set by OpenDb, then immutable
  RetentionFilter filter_;   // must outlive db_
  // Guards db_, handles_, data_ and names_: shared to use them, exclusive to
  // close and reopen RocksDB. db_ is null while a reopen fails.
  mutable std::shared_mutex db_mu_;
  std::unique_ptr<rocksdb::DB> db_;
  // default, data, nodes, tags, heads, events (StoreFamilies' order)
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  static constexpr size_t kEventsFamily = 5;
  rocksdb::ColumnFamilyHandle* data_ = nullptr;
  std::unique_ptr<NameIndex> names_;
  std::shared_ptr<Listener> listener_;

  common::Counter& points_written_;
  common::Counter& write_errors_;
  common::Counter& read_errors_;
  common::Counter& dropped_old_;
  common::Counter& dropped_invalid_;
  common::Counter& buckets_emitted_;
  common::Gauge& last_write_ms_;
  common::Counter& write_failures_;
  common::Counter& recoveries_;
  common::Gauge& writable_gauge_;
  common::Gauge& held_points_gauge_;
  common::Gauge& held_bytes_gauge_;

  // Guards the retry buffer and the write state below.
  std::mutex commit_mu_;
  struct HeldBatch {
    rocksdb::WriteBatch batch;
    size_t points;
  };
  std::deque<HeldBatch> held_;  // batches not yet written, in order
  size_t held_bytes_ = 0;
  size_t held_points_ = 0;
  bool writable_ = true;        // false from a failed write until recovered
  bool reopen_needed_ = false;  // a WAL write failed: Resume() is not safe
  std::string failure_;         // what failed, for /health
  bool disk_full_ = false;
  // The store's own WAL failed to log a batch (kept in the heads until a
  // checkpoint succeeds): what failed, for /health; empty while it logs.
  std::string wal_failure_;

  // The recovery thread: retries every options_.retry_interval_ms.
  std::mutex recovery_mu_;  // guards stopping_
  std::condition_variable recovery_cv_;
  bool stopping_ = false;
  std::thread recovery_thread_;

  // Guards classes_: the class of each series seen (by id), so the patterns
  // are matched once per series, not per point or read.
  mutable std::shared_mutex class_mu_;
  mutable ClassMap classes_;

  std::mutex write_mu_;  // serializes Write() and Close()
  bool closed_ = false;

  // Guards heads_. Write() holds it exclusively from changing the heads
  // (sealing takes some out) until the batch holding what it took is in
  // RocksDB; readers take it shared while they copy a series' heads and take
  // their RocksDB snapshot, so a sealed point is read once, from one side.
  mutable std::shared_mutex heads_mu_;
  RawHeads heads_;
  int64_t last_sweep_ = 0;
  // The heads' WAL; guarded by write_mu_. Empty while the store is closed.
  std::optional<PointWal> wal_;
  uint64_t wal_bytes_at_checkpoint_ = 0;  // wal_->appended_bytes() then
  uint64_t heads_generation_ = 0;         // of the last checkpoint's chunks
  int64_t last_wal_sync_micros_ = 0;
  bool wal_unlogged_ = false;  // heads hold points the WAL failed to log
  common::RateLimitedLog wal_log_;
  common::RateLimitedLog checkpoint_log_;  // failed checkpoints (under write_mu_)
  std::mutex checkpoint_mu_;               // guards the two flags below
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;
  bool checkpoint_stop_ = false;
  std::thread checkpoint_thread_;
  common::Counter& heads_sealed_;
  common::Counter& wal_errors_;
  common::Gauge& heads_gauge_;
  common::Gauge& head_bytes_gauge_;
};

}  // namespace hourglass::store
