// SeriesStore::Impl, open rollup buckets: per-archive watermarks, emission of
// accumulated buckets, clean close, and the rebuild from raw after a crash.
// See "Open rollup buckets" in the DESIGN note of series_store.cc.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>

#include "store/block_codec.h"
#include "store/data_key.h"
#include "store/series_store_impl.h"

namespace hourglass::store {
namespace {

constexpr const char* kRollupStateKey = "rollup_state";
// Archive a's bucket is emitted once now - lateness(a) passes its end, so a
// point up to that late still lands in memory. Archives differ by one 10 s
// flush so their emissions never fall into the same Write.
constexpr int64_t kLateness = 30;
constexpr int64_t kLatenessPerArchive = 10;

int64_t Lateness(size_t archive) { return kLateness + kLatenessPerArchive * int64_t(archive); }

int64_t FloorTo(int64_t t, int64_t step) { return t - ((t % step) + step) % step; }

}  // namespace

// Accumulating needs the raw archive to hold every point of an open bucket,
// so the crash rebuild can replay them.
bool SeriesStore::Impl::Accumulates(size_t archive) const {
  const auto& rs = options_.retentions;
  return archive > 0 && archive < rs.size() &&
         rs[0].duration >= rs[archive].step + Lateness(archive) + 600;
}

int64_t SeriesStore::Impl::WatermarkAt(size_t archive, int64_t now) const {
  return FloorTo(now - Lateness(archive), options_.retentions[archive].step);
}

void SeriesStore::Impl::Emit(std::vector<RollupAccumulator::Group> groups,
                             rocksdb::WriteBatch* batch) {
  std::string operand;
  char key[kDataKeySize];
  for (const auto& group : groups) {
    const int64_t step = options_.retentions[group.archive].step;
    const int64_t block_start = group.start - group.start % (step * kSlotsPerBlock);
    auto slot = uint16_t((group.start - block_start) / step);
    for (const auto& e : group.entries) {
      EncodeRollupBucketOperand(slot, e.bucket, &operand);
      DataKey{group.archive, e.id, uint32_t(block_start)}.EncodeTo(key);
      batch->Merge(data_, rocksdb::Slice(key, kDataKeySize), operand);
    }
    buckets_emitted_.Add(group.entries.size());
  }
}

// "dirty W1,W2,..." while buckets may be in memory; "clean W1,W2,..." after
// Close(). W0 is unused (the raw archive has no open buckets).
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
  for (size_t a = 1; a < watermarks_.size(); ++a) {
    if (!Accumulates(a)) continue;
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
  std::lock_guard lock(write_mu_);
  if (closed_ || db_ == nullptr) return common::Status::Ok();
  closed_ = true;
  std::unique_lock acc_lock(acc_mu_);
  rocksdb::WriteBatch batch;
  auto groups = acc_.TakeAll();
  const int64_t now = clock_.NowSeconds();
  for (size_t a = 1; a < watermarks_.size(); ++a) {
    const int64_t step = options_.retentions[a].step;
    watermarks_[a] = std::max(watermarks_[a], FloorTo(now, step) + step);
  }
  for (const auto& g : groups) {
    const int64_t end = g.start + options_.retentions[g.archive].step;
    watermarks_[g.archive] = std::max(watermarks_[g.archive], end);
  }
  Emit(std::move(groups), &batch);
  open_buckets_.Set(0);
  open_bucket_bytes_.Set(0);
  PutRollupState(true, &batch);
  auto s = db_->Write(rocksdb::WriteOptions(), &batch);
  if (s.ok()) s = db_->FlushWAL(true);
  if (!s.ok()) return common::Status::Error("metric store close failed: " + s.ToString());
  return common::Status::Ok();
}

// On open: after a clean close, accumulation starts at max(saved, current)
// watermarks; after a crash ("dirty"), the open buckets are rebuilt from the
// raw archive (points at or after the saved watermarks) and the saved
// watermarks stay. A store without the key (new, or written before open
// buckets existed) has nothing in flight.
common::Status SeriesStore::Impl::LoadRollupState() {
  const int64_t now = clock_.NowSeconds();
  const size_t n = options_.retentions.size();
  watermarks_.assign(n, 0);
  for (size_t a = 1; a < n; ++a) watermarks_[a] = WatermarkAt(a, now);
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
      if (a > 0) watermarks_[a] = dirty ? w : std::max(w, watermarks_[a]);
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

// Replays every raw slot at or after an accumulating archive's watermark into
// acc_. One pass over the raw archive, seeking past each series' older blocks.
common::Status SeriesStore::Impl::RebuildFromRaw() {
  const auto& rs = options_.retentions;
  int64_t from = INT64_MAX;
  for (size_t a = 1; a < rs.size(); ++a) {
    if (Accumulates(a)) from = std::min(from, watermarks_[a]);
  }
  if (from == INT64_MAX) return common::Status::Ok();
  const int64_t step = rs[0].step, span = step * kSlotsPerBlock;
  const auto first_block = uint32_t(std::max<int64_t>(0, FloorTo(from, span)));
  char upper_key[1] = {1};
  rocksdb::Slice upper(upper_key, 1);
  rocksdb::ReadOptions ro;
  ro.total_order_seek = true;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, data_));
  char key[kDataKeySize];
  size_t series = 0;
  for (it->Seek(rocksdb::Slice("\0", 1)); it->Valid();) {
    DataKey k;
    if (!DataKey::Decode({it->key().data(), it->key().size()}, &k)) {
      it->Next();
      continue;
    }
    if (k.block_start < first_block) {
      DataKey{0, k.series_id, first_block}.EncodeTo(key);
      it->Seek(rocksdb::Slice(key, kDataKeySize));
      continue;
    }
    ++series;
    ForEachRaw({it->value().data(), it->value().size()}, [&](uint16_t slot, double v) {
      const int64_t t = int64_t(k.block_start) + slot * step;
      for (size_t a = 1; a < rs.size(); ++a) {
        if (!Accumulates(a) || t < watermarks_[a]) continue;
        const int64_t bucket = FloorTo(t, rs[a].step);
        acc_.Add(uint8_t(a), bucket, k.series_id, uint16_t((t - bucket) / step), v);
      }
    });
    it->Next();
  }
  if (!it->status().ok()) return common::Status::Error(it->status().ToString());
  spdlog::warn(
      "metric store {} was not closed cleanly: rebuilt {} open rollup buckets from {} raw blocks",
      options_.path, acc_.entries(), series);
  return common::Status::Ok();
}

}  // namespace hourglass::store
