// RocksDB options of the metric store, tuned for one large write batch every
// 10 s on a small machine whose cores belong to the statsd receivers: few,
// low-priority background threads, large memtables, cheap compression where
// data is rewritten soon, strong compression at the bottom level.
#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

#include "store/block_merge_operator.h"
#include "store/rocksdb_logger.h"
#include "store/series_store_impl.h"

namespace hourglass::store {
namespace {

constexpr size_t kBlockCacheBytes = 128 << 20;

rocksdb::CompressionType PickCompression(rocksdb::CompressionType preferred) {
  for (auto c : rocksdb::GetSupportedCompressions()) {
    if (c == preferred) return c;
  }
  return rocksdb::kNoCompression;
}

rocksdb::ColumnFamilyOptions FamilyOptions(const std::shared_ptr<rocksdb::Cache>& cache,
                                           bool bloom) {
  rocksdb::ColumnFamilyOptions cf;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  if (bloom) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.format_version = 5;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.level_compaction_dynamic_level_bytes = true;
  cf.compression = PickCompression(rocksdb::kLZ4Compression);
  cf.bottommost_compression = PickCompression(rocksdb::kZSTD);
  return cf;
}

// The data family takes sealed blocks (raw and rollups, written once) and
// few merges: LZ4 from L0 on (rollup records in L0/L1 took a third of the
// disk uncompressed: 6.4 -> 4.2 bytes a point on the store_ingest feed; zstd
// would give 3.7 and slower reads).
rocksdb::ColumnFamilyOptions DataFamilyOptions(const std::shared_ptr<rocksdb::Cache>& cache,
                                               rocksdb::CompactionFilter* filter,
                                               const common::Clock* clock) {
  rocksdb::ColumnFamilyOptions data = FamilyOptions(cache, true);
  data.merge_operator = std::make_shared<BlockMergeOperator>(clock);
  data.compaction_filter = filter;
  data.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(9));
  data.memtable_prefix_bloom_size_ratio = 0.02;
  data.write_buffer_size = 128 << 20;
  data.max_write_buffer_number = 4;
  data.level0_file_num_compaction_trigger = 4;
  data.level0_slowdown_writes_trigger = 30;
  data.level0_stop_writes_trigger = 40;
  data.target_file_size_base = 64 << 20;
  data.max_bytes_for_level_base = 512 << 20;
  data.compression = PickCompression(rocksdb::kLZ4Compression);
  // LZ4 at the bottom too: renders read whole blocks, and a 10,000-series
  // render from zstd spent half its time decompressing.
  data.bottommost_compression = data.compression;
  data.periodic_compaction_seconds = 86400;
  return data;
}

// A checkpoint writes every head in one batch (~60 MB at 5.8 M series): more
// memtables than the default two, so one checkpoint does not stall the next
// write while its memtable flushes (a stall of 80 s was seen with 5.8 M
// heads on a busy machine); memory only while flushes lag.
rocksdb::ColumnFamilyOptions HeadsFamilyOptions(const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions heads = FamilyOptions(cache, false);
  heads.max_write_buffer_number = 4;
  return heads;
}

}  // namespace

// Two background threads (one flush, one compaction) at low CPU priority:
// the statsd receivers win the cores when they need them. The WAL stays on
// (a clean stop loses nothing); it is synced by the OS, as carbon's writes.
// RocksDB's info log goes to spdlog (no LOG files on the data disk). Its own
// error recovery is off (max_bgerror_resume_count, and the listener refuses
// the no-space auto recovery): in 7.8 a Resume() after a failed WAL write
// keeps the failed WAL writer, and the next write aborts on an assertion in
// debug-asserting builds (Debian's). The store recovers by reopening.
rocksdb::DBOptions StoreDbOptions(std::shared_ptr<rocksdb::EventListener> listener,
                                  rocksdb::Env* env) {
  rocksdb::DBOptions db_options;
  if (env != nullptr) db_options.env = env;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.info_log = NewSpdlogRocksDbLogger();
  db_options.listeners.push_back(std::move(listener));
  db_options.max_bgerror_resume_count = 0;
  db_options.max_total_wal_size = 1 << 30;
  db_options.bytes_per_sync = 1 << 20;
  db_options.wal_bytes_per_sync = 1 << 20;
  db_options.env->LowerThreadPoolCPUPriority(rocksdb::Env::Priority::LOW);
  db_options.env->LowerThreadPoolCPUPriority(rocksdb::Env::Priority::HIGH);
  return db_options;
}

std::vector<rocksdb::ColumnFamilyDescriptor> StoreFamilies(rocksdb::CompactionFilter* filter,
                                                           const common::Clock* clock) {
  auto cache = rocksdb::NewLRUCache(kBlockCacheBytes);
  rocksdb::ColumnFamilyOptions nodes = FamilyOptions(cache, true);
  nodes.merge_operator = NewNodeFlagsMergeOperator();
  return {{rocksdb::kDefaultColumnFamilyName, FamilyOptions(cache, false)},
          {"data", DataFamilyOptions(cache, filter, clock)},
          {"nodes", nodes},
          {"tags", FamilyOptions(cache, true)},
          {"heads", HeadsFamilyOptions(cache)},
          {"events", FamilyOptions(cache, false)}};  // store/event_store.h
}

}  // namespace hourglass::store
