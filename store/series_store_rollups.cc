// SeriesStore::Impl, rollups: folding a sealed raw block into the coarser
// resolutions of its series' schema (one operand per rollup block, in the
// seal's batch), the one-time write of the open buckets a store of the
// earlier design lost in a crash, and a clean close. Reads fold the open
// heads themselves (series_store_reads.cc).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <filesystem>

#include "store/block_codec.h"
#include "store/data_key.h"
#include "store/series_store_impl.h"

namespace hourglass::store {
namespace {

// Until rollups came from heads, the open rollup buckets' watermarks:
// "dirty W0,W1,..." while buckets were in memory, "clean ..." after Close().
constexpr const char* kRollupStateKey = "rollup_state";
// Raw blocks folded per batch while writing what a crashed old store lost.
constexpr size_t kMigrationBatchBlocks = 4096;

int64_t FloorTo(int64_t t, int64_t step) { return t - ((t % step) + step) % step; }

}  // namespace

void SeriesStore::Impl::FoldRollups(const DataKey& raw_key, std::string_view raw_value,
                                    std::span<const uint8_t> targets,
                                    const std::vector<int64_t>* since,
                                    rocksdb::WriteBatch* batch) const {
  if (targets.empty()) return;
  const auto& resolutions = layout_.resolutions();
  const int64_t raw_step = resolutions[raw_key.resolution].step;
  struct RawPoint {
    int64_t t;
    double v;
  };
  std::vector<RawPoint> points;
  points.reserve(kSlotsPerBlock);
  ForEachRaw(raw_value, [&](uint16_t slot, double v) {
    points.push_back({int64_t(raw_key.block_start) + slot * raw_step, v});
  });
  if (points.empty()) return;
  // One operand per rollup block, in the column form merges write (so a
  // block sealed once and never merged again is stored compactly too).
  auto scratch = std::make_unique<RollupBlock>();
  std::vector<uint16_t> used;
  std::string operand;
  char key[kDataKeySize];
  uint64_t buckets = 0;
  for (uint8_t target : targets) {
    const int64_t step = resolutions[target].step, span = step * kSlotsPerBlock;
    const int64_t from = since != nullptr ? (*since)[target] : INT64_MIN;
    int64_t block = INT64_MIN;
    auto flush = [&] {
      if (used.empty()) return;
      scratch->Encode(&operand);
      DataKey{target, raw_key.series_id, uint32_t(block)}.EncodeTo(key);
      batch->Merge(data_, rocksdb::Slice(key, kDataKeySize), operand);
      buckets += used.size();
      for (uint16_t slot : used) scratch->buckets[slot] = RollupBucket{};
      used.clear();
    };
    for (const RawPoint& p : points) {
      if (p.t < from) continue;
      const int64_t bucket = FloorTo(p.t, step);
      if (FloorTo(bucket, span) != block) {
        flush();
        block = FloorTo(bucket, span);
      }
      const auto slot = uint16_t((bucket - block) / step);
      if (scratch->buckets[slot].count == 0) used.push_back(slot);
      scratch->buckets[slot].Merge(
          RollupBucket::Point(p.v, uint16_t((p.t - bucket) / raw_step), 1));
    }
    flush();
  }
  buckets_emitted_.Add(buckets);
}

// A store of the earlier design that crashed ("dirty") kept the rollup
// buckets at or after its watermarks in memory only: fold the raw blocks
// that hold their points (only what is in RocksDB: what was in its heads is
// replayed from the WAL and folded when sealed). Schemas sharing a raw
// resolution are not told apart here (no names), so a series may get rollups
// in a resolution its schema lacks: written, never read, expired. Then the
// key goes: nothing in memory needs it any more.
common::Status SeriesStore::Impl::MigrateRollupState() {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), handles_[0], kRollupStateKey, &value);
  if (s.IsNotFound()) return common::Status::Ok();
  if (!s.ok()) return common::Status::Error(s.ToString());
  const auto& resolutions = layout_.resolutions();
  size_t blocks = 0;
  if (value.starts_with("dirty ")) {
    std::vector<int64_t> since(resolutions.size(), INT64_MAX);
    std::string_view rest = std::string_view(value).substr(6);
    for (size_t a = 0; a < resolutions.size() && !rest.empty(); ++a) {
      int64_t w = 0;
      auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), w);
      if (ec != std::errc()) break;
      if (resolutions[a].step != resolutions[a].raw_step) since[a] = w;
      rest.remove_prefix(ptr - rest.data());
      if (!rest.empty()) rest.remove_prefix(1);
    }
    for (size_t raw = 0; raw < resolutions.size(); ++raw) {
      if (resolutions[raw].step != resolutions[raw].raw_step) continue;
      std::vector<uint8_t> targets;
      int64_t from = INT64_MAX;
      for (size_t a = 0; a < resolutions.size(); ++a) {
        if (a != raw && resolutions[a].raw_step == resolutions[raw].raw_step &&
            since[a] != INT64_MAX) {
          targets.push_back(uint8_t(a));
          from = std::min(from, since[a]);
        }
      }
      if (targets.empty()) continue;
      const int64_t span = resolutions[raw].step * kSlotsPerBlock;
      const auto first_block = uint32_t(std::max<int64_t>(0, FloorTo(from, span)));
      const char lower_key[1] = {char(raw)}, upper_key[1] = {char(raw + 1)};
      rocksdb::Slice upper(upper_key, 1);
      rocksdb::ReadOptions ro;
      ro.total_order_seek = true;
      ro.iterate_upper_bound = &upper;
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, data_));
      rocksdb::WriteBatch batch;
      char key[kDataKeySize];
      size_t in_batch = 0;
      for (it->Seek(rocksdb::Slice(lower_key, 1)); it->Valid();) {
        DataKey k;
        if (!DataKey::Decode({it->key().data(), it->key().size()}, &k)) {
          it->Next();
          continue;
        }
        if (k.block_start < first_block) {
          DataKey{uint8_t(raw), k.series_id, first_block}.EncodeTo(key);
          it->Seek(rocksdb::Slice(key, kDataKeySize));
          continue;
        }
        FoldRollups(k, {it->value().data(), it->value().size()}, targets, &since, &batch);
        ++blocks;
        if (++in_batch == kMigrationBatchBlocks) {
          if (auto w = db_->Write(rocksdb::WriteOptions(), &batch); !w.ok()) {
            return common::Status::Error(w.ToString());
          }
          batch.Clear();
          in_batch = 0;
        }
        it->Next();
      }
      if (!it->status().ok()) return common::Status::Error(it->status().ToString());
      if (auto w = db_->Write(rocksdb::WriteOptions(), &batch); !w.ok()) {
        return common::Status::Error(w.ToString());
      }
    }
    spdlog::warn(
        "metric store {} was not closed cleanly by an earlier version: wrote the rollup buckets "
        "it held in memory from {} raw blocks",
        options_.path, blocks);
  }
  rocksdb::WriteOptions sync;
  sync.sync = true;  // the rollups above are durable before the key goes
  s = db_->Delete(sync, handles_[0], kRollupStateKey);
  return s.ok() ? common::Status::Ok() : common::Status::Error(s.ToString());
}

// Seals nothing early (a head's span may still get points): checkpoints the
// heads, so the next start reads them instead of the WAL, and flushes every
// memtable.
common::Status SeriesStore::Impl::Close() {
  StopRecovery();
  StopCheckpoints();
  if (listener_ != nullptr) Recover();  // one last try: space may be back
  std::lock_guard lock(write_mu_);
  std::shared_lock db_lock(db_mu_);
  if (closed_ || db_ == nullptr) {
    closed_ = true;
    return common::Status::Ok();
  }
  closed_ = true;
  {
    // Never touch a WAL after a failed write (see series_store_recovery.cc):
    // what is still held is lost, and the next start replays the heads from
    // their WAL.
    std::lock_guard commit_lock(commit_mu_);
    if (writable_) DrainLocked();
    if (!writable_) {
      wal_.reset();
      return common::Status::Error(
          fmt::format("metric store close failed: {}; {} points held in memory are lost", failure_,
                      held_points_));
    }
  }
  if (auto st = Checkpoint(true); !st.ok()) {
    spdlog::warn("metric store: {}; the next start replays the WAL", st.message());
  } else if (wal_) {
    // Everything logged is in the checkpoint: the WAL's files can go.
    wal_.reset();
    std::error_code ec;
    std::vector<std::filesystem::path> segments;
    for (const auto& e :
         std::filesystem::directory_iterator(std::filesystem::path(options_.path) / "wal", ec)) {
      if (ParseWalSegmentName(e.path().filename().string())) segments.push_back(e.path());
    }
    for (const auto& path : segments) std::filesystem::remove(path, ec);
  }
  wal_.reset();
  // Flush every memtable, so the WAL files become obsolete and RocksDB
  // deletes them: a clean stop leaves only table files, and the next start
  // replays nothing. A failure here loses nothing (the WAL is synced by the
  // checkpoint); the next start replays it.
  rocksdb::FlushOptions flush;
  flush.wait = true;
  flush.allow_write_stall = true;
  if (auto f = db_->Flush(flush, handles_); !f.ok()) {
    spdlog::warn(
        "metric store: flushing memtables at close failed ({}); the next start "
        "replays the WAL",
        f.ToString());
  }
  return common::Status::Ok();
}

}  // namespace hourglass::store
