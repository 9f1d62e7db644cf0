// SeriesStore::Impl, open rollup buckets: per-resolution watermarks, emission of
// accumulated buckets, clean close, and the rebuild from raw after a crash.
// See "Open rollup buckets" in the DESIGN note of series_store.cc.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <filesystem>

#include "store/block_codec.h"
#include "store/data_key.h"
#include "store/series_store_impl.h"

namespace hourglass::store {
namespace {

constexpr const char* kRollupStateKey = "rollup_state";

int64_t FloorTo(int64_t t, int64_t step) { return t - ((t % step) + step) % step; }

}  // namespace

// A resolution's bucket is written once now - lateness passes its end
// (ResolutionLayout decides which resolutions accumulate and their lateness).
int64_t SeriesStore::Impl::WatermarkAt(size_t resolution, int64_t now) const {
  const ResolutionInfo& info = layout_.resolutions()[resolution];
  return FloorTo(now - info.lateness, info.step);
}

void SeriesStore::Impl::Emit(std::vector<RollupAccumulator::Group> groups,
                             rocksdb::WriteBatch* batch) {
  std::string operand;
  char key[kDataKeySize];
  for (const auto& group : groups) {
    const int64_t step = layout_.resolutions()[group.resolution].step;
    const int64_t block_start = group.start - group.start % (step * kSlotsPerBlock);
    auto slot = uint16_t((group.start - block_start) / step);
    for (const auto& e : group.entries) {
      EncodeRollupBucketOperand(slot, e.bucket, &operand);
      DataKey{group.resolution, e.id, uint32_t(block_start)}.EncodeTo(key);
      batch->Merge(data_, rocksdb::Slice(key, kDataKeySize), operand);
    }
    buckets_emitted_.Add(group.entries.size());
  }
}

// "dirty W1,W2,..." while buckets may be in memory; "clean W1,W2,..." after
// Close(). W0 is unused (the raw resolution has no open buckets).
void SeriesStore::Impl::PutRollupState(bool clean, rocksdb::WriteBatch* batch) {
  std::string value = clean ? "clean " : "dirty ";
  for (size_t a = 0; a < watermarks_.size(); ++a) {
    value += fmt::format("{}{}", a == 0 ? "" : ",", watermarks_[a]);
  }
  batch->Put(handles_[0], kRollupStateKey, value);
}

// Called with write_mu_ and acc_mu_ held. Emits the buckets that the
// watermarks passed, and records the new watermarks in the same batch.
void SeriesStore::Impl::Sweep(int64_t now, rocksdb::WriteBatch* batch) {
  bool moved = false;
  for (size_t a = 0; a < watermarks_.size(); ++a) {
    if (!layout_.resolutions()[a].accumulates) continue;
    int64_t w = WatermarkAt(a, now);
    if (w <= watermarks_[a]) continue;
    Emit(acc_.TakeBefore(uint8_t(a), w), batch);
    watermarks_[a] = w;
    moved = true;
  }
  if (moved) PutRollupState(false, batch);
}

// Emits every open bucket and records watermarks past all of them, so a later
// crash rebuild never replays a point that is already in a rollup.
common::Status SeriesStore::Impl::Close() {
  StopRecovery();
  if (listener_ != nullptr) Recover();  // one last try: space may be back
  std::lock_guard lock(write_mu_);
  std::shared_lock db_lock(db_mu_);
  if (closed_ || db_ == nullptr) {
    closed_ = true;
    return common::Status::Ok();
  }
  closed_ = true;
  {
    std::unique_lock acc_lock(acc_mu_);
    rocksdb::WriteBatch batch;
    auto groups = acc_.TakeAll();
    const int64_t now = clock_.NowSeconds();
    for (size_t a = 0; a < watermarks_.size(); ++a) {
      const int64_t step = layout_.resolutions()[a].step;
      watermarks_[a] = std::max(watermarks_[a], FloorTo(now, step) + step);
    }
    for (const auto& g : groups) {
      const int64_t end = g.start + layout_.resolutions()[g.resolution].step;
      watermarks_[g.resolution] = std::max(watermarks_[g.resolution], end);
    }
    Emit(std::move(groups), &batch);
    open_buckets_.Set(0);
    open_bucket_bytes_.Set(0);
    PutRollupState(true, &batch);
    // Never touch a WAL after a failed write (see series_store_recovery.cc):
    // what is still held is lost, and the next start rebuilds the open
    // buckets from the raw points on disk (and the heads from their WAL).
    std::lock_guard commit_lock(commit_mu_);
    if (writable_) DrainLocked();
    if (!writable_) {
      wal_.reset();
      return common::Status::Error(
          fmt::format("metric store close failed: {}; {} points held in memory are lost", failure_,
                      held_points_));
    }
    auto s = db_->Write(rocksdb::WriteOptions(), &batch);
    if (s.ok()) s = db_->FlushWAL(true);
    if (!s.ok()) {
      wal_.reset();
      return common::Status::Error("metric store close failed: " + s.ToString());
    }
  }
  // The heads stay open (their spans may still get points); a checkpoint
  // makes the next start read them instead of the WAL.
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
  // replays nothing (it used to keep up to max_total_wal_size of WAL, because
  // the small families never filled a memtable). A failure here loses
  // nothing (the WAL is synced above); the next start replays it.
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

// On open: after a clean close, accumulation starts at max(saved, current)
// watermarks; after a crash ("dirty"), the open buckets are rebuilt from the
// raw resolution (points at or after the saved watermarks) and the saved
// watermarks stay. A store without the key (new, or written before open
// buckets existed) has nothing in flight.
common::Status SeriesStore::Impl::LoadRollupState() {
  const int64_t now = clock_.NowSeconds();
  const size_t n = layout_.resolutions().size();
  watermarks_.assign(n, 0);
  for (size_t a = 0; a < n; ++a) watermarks_[a] = WatermarkAt(a, now);
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), handles_[0], kRollupStateKey, &value);
  if (!s.ok() && !s.IsNotFound()) return common::Status::Error(s.ToString());
  bool dirty = false;
  if (s.ok()) {
    dirty = value.starts_with("dirty ");
    std::string_view rest = std::string_view(value).substr(std::min<size_t>(6, value.size()));
    for (size_t a = 0; a < n && !rest.empty(); ++a) {
      int64_t w = 0;
      auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), w);
      if (ec != std::errc()) break;
      if (layout_.resolutions()[a].accumulates) {
        watermarks_[a] = dirty ? w : std::max(w, watermarks_[a]);
      }
      rest.remove_prefix(ptr - rest.data());
      if (!rest.empty()) rest.remove_prefix(1);
    }
  }
  if (dirty) {
    if (auto st = RebuildFromRaw(); !st.ok()) return st;
  }
  rocksdb::WriteBatch batch;
  PutRollupState(false, &batch);
  s = db_->Write(rocksdb::WriteOptions(), &batch);
  return s.ok() ? common::Status::Ok() : common::Status::Error(s.ToString());
}

// Replays every raw slot at or after an accumulating resolution's watermark into
// acc_: one pass over each raw resolution, seeking past each series' older
// blocks. Schemas that share a raw resolution (same raw step) are not told apart
// here, so a series may get open buckets in a resolution its schema lacks:
// they are written, never read, and expire.
common::Status SeriesStore::Impl::RebuildFromRaw() {
  const auto& resolutions = layout_.resolutions();
  size_t blocks = 0;
  for (size_t raw = 0; raw < resolutions.size(); ++raw) {
    if (!resolutions[raw].configured || resolutions[raw].step != resolutions[raw].raw_step)
      continue;
    std::vector<uint8_t> targets;
    for (size_t a = 0; a < resolutions.size(); ++a) {
      if (resolutions[a].accumulates && resolutions[a].raw_step == resolutions[raw].raw_step) {
        targets.push_back(uint8_t(a));
      }
    }
    auto replayed = ReplayRaw(uint8_t(raw), targets);
    if (!replayed.ok()) return replayed.status();
    blocks += *replayed;
    ReplayHeads(uint8_t(raw), targets);  // the open raw blocks, not in RocksDB yet
  }
  if (acc_.entries() > 0) {
    spdlog::warn(
        "metric store {} was not closed cleanly: rebuilt {} open rollup buckets from {} raw "
        "blocks",
        options_.path, acc_.entries(), blocks);
  }
  return common::Status::Ok();
}

common::Result<size_t> SeriesStore::Impl::ReplayRaw(uint8_t raw,
                                                    const std::vector<uint8_t>& targets) {
  int64_t from = INT64_MAX;
  for (uint8_t a : targets) from = std::min(from, watermarks_[a]);
  if (from == INT64_MAX) return size_t{0};
  const auto& resolutions = layout_.resolutions();
  const int64_t step = resolutions[raw].step, span = step * kSlotsPerBlock;
  const auto first_block = uint32_t(std::max<int64_t>(0, FloorTo(from, span)));
  const char lower_key[1] = {char(raw)}, upper_key[1] = {char(raw + 1)};
  rocksdb::Slice upper(upper_key, 1);
  rocksdb::ReadOptions ro;
  ro.total_order_seek = true;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, data_));
  char key[kDataKeySize];
  size_t blocks = 0;
  for (it->Seek(rocksdb::Slice(lower_key, 1)); it->Valid();) {
    DataKey k;
    if (!DataKey::Decode({it->key().data(), it->key().size()}, &k)) {
      it->Next();
      continue;
    }
    if (k.block_start < first_block) {
      DataKey{raw, k.series_id, first_block}.EncodeTo(key);
      it->Seek(rocksdb::Slice(key, kDataKeySize));
      continue;
    }
    ++blocks;
    ForEachRaw({it->value().data(), it->value().size()}, [&](uint16_t slot, double v) {
      const int64_t t = int64_t(k.block_start) + slot * step;
      for (uint8_t a : targets) {
        if (t < watermarks_[a]) continue;
        const int64_t bucket = FloorTo(t, resolutions[a].step);
        acc_.Add(a, bucket, k.series_id, uint16_t((t - bucket) / step), v);
      }
    });
    it->Next();
  }
  if (!it->status().ok()) return common::Status::Error(it->status().ToString());
  return blocks;
}

}  // namespace hourglass::store
