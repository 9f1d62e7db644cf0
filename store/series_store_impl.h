// SeriesStore::Impl: the store's internals, shared by series_store.cc (open,
// write, read), series_store_rollups.cc (open rollup buckets: emission,
// watermarks, crash recovery) and store_db_options.cc. Internal to store/.
// Threads: Write/Close serialize on write_mu_; readers take acc_mu_ shared.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/aggregation_rules.h"
#include "store/name_index.h"
#include "store/retention_filter.h"
#include "store/rollup_accumulator.h"
#include "store/series_store.h"

namespace hourglass::store {

// RocksDB options of the store (store_db_options.cc).
rocksdb::DBOptions StoreDbOptions();
std::vector<rocksdb::ColumnFamilyDescriptor> StoreFamilies(rocksdb::CompactionFilter* filter);

class SeriesStore::Impl {
 public:
  Impl(const StoreOptions& options, const common::Clock& clock, common::StatsRegistry& stats);
  ~Impl();

  common::Status OpenDb();
  common::Status Write(std::span<const Point> points);
  common::Status Close();
  common::Result<SeriesData> Read(std::string_view name, int64_t from, int64_t until,
                                  int64_t now) const;
  common::Status Compact();
  const std::vector<Retention>& retentions() const { return options_.retentions; }
  NameIndex& names() const { return *names_; }

 private:
  struct Pending {
    uint64_t id;
    int64_t timestamp;
    double value;
    uint8_t first;  // finest archive whose retention covers the point
    RawCombine combine;
  };
  void AddRaw(const std::vector<Pending>& pending, rocksdb::WriteBatch* batch);
  void AddRollups(const std::vector<Pending>& pending, rocksdb::WriteBatch* batch);
  RawCombine CombineFor(uint64_t id, std::string_view name);
  void CheckRetentions();
  void FillValues(size_t archive, uint64_t id, const AggregationRule& rule, SeriesData* out) const;
  common::Status WriteBatch(rocksdb::WriteBatch* batch, size_t points);

  // Open rollup buckets (series_store_rollups.cc).
  bool Accumulates(size_t archive) const;
  int64_t WatermarkAt(size_t archive, int64_t now) const;
  void Sweep(int64_t now, rocksdb::WriteBatch* batch);
  void Emit(std::vector<RollupAccumulator::Group> groups, rocksdb::WriteBatch* batch);
  void PutRollupState(bool clean, rocksdb::WriteBatch* batch);
  common::Status LoadRollupState();
  common::Status RebuildFromRaw();

  StoreOptions options_;
  const common::Clock& clock_;
  common::StatsRegistry& stats_;
  AggregationRules rules_;
  RetentionFilter filter_;  // must outlive db_
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // default, data, nodes, tags
  rocksdb::ColumnFamilyHandle* data_ = nullptr;
  std::unique_ptr<NameIndex> names_;

  common::Counter& points_written_;
  common::Counter& write_errors_;
  common::Counter& dropped_old_;
  common::Counter& dropped_invalid_;
  common::Counter& buckets_emitted_;
  common::Gauge& last_write_ms_;
  common::Gauge& open_buckets_;
  common::Gauge& open_bucket_bytes_;

  std::mutex write_mu_;  // serializes Write() and Close(); guards rule_cache_, watermarks_
  std::unordered_map<uint64_t, RawCombine> rule_cache_;
  bool closed_ = false;
  // Per archive: every point of a bucket starting before it is in RocksDB;
  // points of later buckets are in acc_ (archive 0 and non-accumulating
  // archives: unused).
  std::vector<int64_t> watermarks_;

  // Guards acc_. Write() holds it exclusively from taking buckets out of acc_
  // until the batch holding them is in RocksDB; readers take it shared while
  // they copy a series' open buckets and take their RocksDB snapshot.
  mutable std::shared_mutex acc_mu_;
  RollupAccumulator acc_;
};

}  // namespace hourglass::store
