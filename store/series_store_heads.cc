// DESIGN: heads, the open raw blocks (docs/STORE.md has the whole plan).
//
// Every raw point (of a raw resolution of a configured schema) is logged in
// the store's WAL (data_dir/metrics/wal, one record per Write) and appended
// to its series' head for its block in memory. A head is sealed, as one
// merge operand on its data key (a sealed-block operand: the merge operator
// folds it onto whatever the key holds, so a v1 block, an earlier seal of
// the same block or a late point is never overwritten), once its span ended
// store.seal_lateness (2 min) ago and either nothing was added for as long (a sweep
// every kSweepSeconds) or the series has started a later block (at once: a
// backfill, sent in time order, seals each block as it moves on). A point
// for a block sealed before starts a new head, sealed the same way.
//
// Replay must not add a point twice: sealing writes, in the same batch, a
// marker in place of the head's checkpoint copy ("heads" family: 0xff and
// the last WAL sequence the sealed block includes). On open, WAL records
// after "heads_seq" are replayed except a point whose block has a marker at
// or after the record's sequence. A checkpoint drops the markers (the
// records they guard are before it).
//
// Checkpoint (on the store's checkpoint thread, asked by the Write that
// passed the threshold, so that Write returns first): once the WAL written
// since the last checkpoint exceeds both
// kCheckpointWalBytes and twice the heads' own bytes (so checkpoints write
// about half what the WAL did: with millions of series a statsd flush logs
// more than the heads hold), after a WAL write failed, and at
// Close, every head is put in the "heads" family in chunks of about 1 MiB
// under a new generation, with the WAL sequence it includes ("heads_seq"),
// in one batch that also deletes the older generation and the markers;
// RocksDB's WAL is synced, and the WAL segments before it are deleted:
// restart reads at most about kCheckpointWalBytes of WAL plus the heads.
//
// A WAL record's point keeps the raw resolution id, the series' rule and its
// retention schema in the high bits of its timestamp (bits 40-47, 48-49 and
// 50-61), and a checkpointed head its rule and schema, since replay has no
// names to match.
//
// Rollups come from heads: a seal writes, in the same batch, each coarser
// resolution's buckets of the sealed points (one operand per rollup block,
// series_store_rollups.cc), and reads of a rollup resolution fold the open
// heads in. So no rollup state is kept anywhere else and a crash loses none.
#include <fmt/format.h>
#include <rocksdb/db.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <optional>
#include <unordered_map>

#include "store/block_codec.h"
#include "store/heads_format.h"
#include "store/operand_run.h"
#include "store/run_beside.h"
#include "store/series_store_impl.h"

namespace hourglass::store {
namespace {

using namespace heads_format;

constexpr int64_t kSweepSeconds = 10;
// Points per WAL record: at most ~28 bytes each encoded, well under
// kWalMaxRecordBytes (64 MiB).
constexpr size_t kWalPointsPerRecord = 1u << 20;

int64_t FloorTo(int64_t t, int64_t step) { return t - ((t % step) + step) % step; }

}  // namespace

bool SeriesStore::Impl::HasHeads(uint8_t resolution) const {
  const auto& r = layout_.resolutions();
  return resolution < r.size() && r[resolution].configured &&
         r[resolution].step == r[resolution].raw_step;
}

common::Status SeriesStore::Impl::OpenHeads() {
  uint64_t heads_seq = 0;
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), handles_[0], kHeadsSeqKey, &value);
  if (!s.ok() && !s.IsNotFound()) return common::Status::Error(s.ToString());
  std::from_chars(value.data(), value.data() + value.size(), heads_seq);
  value.clear();
  s = db_->Get(rocksdb::ReadOptions(), handles_[0], kHeadsGenerationKey, &value);
  if (!s.ok() && !s.IsNotFound()) return common::Status::Error(s.ToString());
  std::from_chars(value.data(), value.data() + value.size(), heads_generation_);

  // Heads as of the last checkpoint, and the markers of blocks sealed since.
  std::unordered_map<std::string, uint64_t> markers;
  size_t damaged_chunks = 0;
  char key_bytes[kDataKeySize];
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[4]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    DataKey key;
    const rocksdb::Slice v = it->value();
    if (it->key().size() == kChunkKeySize) {
      if (ChunkGeneration({it->key().data(), kChunkKeySize}) != heads_generation_) continue;
      const bool ok = ForEachChunkHead(
          {v.data(), v.size()},
          [&](const DataKey& k, RawCombine combine, uint16_t schema, std::string_view block) {
            // Sealed since (its marker, a data-key-sized key, came first in
            // key order): this copy is in RocksDB already.
            k.EncodeTo(key_bytes);
            if (markers.contains(std::string(key_bytes, kDataKeySize))) return;
            if (HasHeads(k.resolution)) {
              heads_.Restore(k, combine, SchemaOfHead(schema, k.resolution), block);
            }
          });
      damaged_chunks += !ok;
      continue;
    }
    // A marker, or a head checkpointed one per key (before chunks).
    if (!DataKey::Decode({it->key().data(), it->key().size()}, &key) || v.size() < 2) continue;
    if (v[0] == kMarkerTag && v.size() == 9) {
      uint64_t seq = 0;
      std::memcpy(&seq, v.data() + 1, 8);
      markers.emplace(it->key().ToString(), seq);
      continue;
    }
    if (!HasHeads(key.resolution)) continue;
    const auto tag = uint8_t(v[0]);
    if (tag <= 3) {  // written before schemas travelled with heads
      heads_.Restore(key, static_cast<RawCombine>(tag), SchemaOfHead(UINT16_MAX, key.resolution),
                     {v.data() + 1, v.size() - 1});
    } else if ((tag & ~3) == kHeadTag && v.size() >= 3) {
      const uint16_t schema = uint16_t(uint8_t(v[1]) | (uint8_t(v[2]) << 8));
      heads_.Restore(key, static_cast<RawCombine>(tag & 3), SchemaOfHead(schema, key.resolution),
                     {v.data() + 3, v.size() - 3});
    }
  }
  if (!it->status().ok()) return common::Status::Error(it->status().ToString());
  if (damaged_chunks > 0) {
    spdlog::error(
        "metric store {}: {} damaged checkpoint chunk(s); their heads after the damage "
        "are lost",
        options_.path, damaged_chunks);
  }

  PointWalOptions wal_options;
  wal_options.clock = &clock_;
  wal_options.fsync = ParseWalFsync(options_.wal_fsync).value_or(WalFsync::kInterval);
  wal_options.segment_bytes = options_.wal_segment_bytes;
  // After a clean stop the WAL is empty: numbering goes on past the checkpoint.
  wal_options.first_sequence = heads_seq + 1;
  uint64_t replayed = 0, skipped = 0;
  const int64_t now = clock_.NowSeconds();
  auto wal = PointWal::Open(
      (std::filesystem::path(options_.path) / "wal").string(), wal_options,
      [&](uint64_t seq, std::span<const WalPoint> points) {
        if (seq <= heads_seq) return common::Status::Ok();
        for (const WalPoint& p : points) {
          const auto resolution = uint8_t(p.timestamp >> kResolutionShift);
          const auto combine = static_cast<RawCombine>((p.timestamp >> kCombineShift) & 0x3);
          const auto schema = uint16_t((p.timestamp >> kSchemaShift) & kSchemaMask);
          const int64_t t = p.timestamp & kTimeMask;
          if (!HasHeads(resolution)) continue;
          const int64_t step = layout_.resolutions()[resolution].step;
          const int64_t slot_time = FloorTo(t, step);
          const int64_t block = FloorTo(slot_time, step * kSlotsPerBlock);
          const DataKey key{resolution, p.series_id, uint32_t(block)};
          if (!markers.empty()) {
            key.EncodeTo(key_bytes);
            auto m = markers.find(std::string(key_bytes, kDataKeySize));
            if (m != markers.end() && m->second >= seq) {
              ++skipped;  // in a block sealed after this record
              continue;
            }
          }
          heads_.Add(key, uint16_t((slot_time - block) / step), p.value, combine,
                     SchemaOfHead(schema, resolution), now);
          ++replayed;
        }
        return common::Status::Ok();
      });
  if (!wal.ok()) return wal.status();
  wal_.emplace(std::move(wal).value());
  const WalReplayStats& stats = wal_->replay_stats();
  if (stats.dropped_bytes > 0) {
    spdlog::warn("metric store WAL: {} bytes of a torn tail dropped ({})", stats.dropped_bytes,
                 stats.dropped_reason);
  }
  if (replayed + skipped > 0) {
    spdlog::info(
        "metric store {}: {} open raw blocks restored, {} points replayed from the WAL ({} "
        "already sealed)",
        options_.path, heads_.size(), replayed, skipped);
  }
  heads_gauge_.Set(double(heads_.size()));
  head_bytes_gauge_.Set(double(heads_.bytes()));
  return common::Status::Ok();
}

void SeriesStore::Impl::Seal(std::vector<RawHeads::Sealed> sealed, rocksdb::WriteBatch* batch) {
  if (sealed.empty()) return;
  std::sort(sealed.begin(), sealed.end(), [](const RawHeads::Sealed& a, const RawHeads::Sealed& b) {
    return a.key.series_id != b.key.series_id ? a.key.series_id < b.key.series_id
                                              : a.key.block_start < b.key.block_start;
  });
  // Every record so far is in these blocks (or in other heads).
  const uint64_t seq = wal_ ? wal_->next_sequence() - 1 : 0;
  char marker[9];
  marker[0] = kMarkerTag;
  std::memcpy(marker + 1, &seq, 8);
  std::string operand;
  char key[kDataKeySize];
  for (const RawHeads::Sealed& head : sealed) {
    head.key.EncodeTo(key);
    EncodeSealedOperand(head.combine, head.block, &operand);
    batch->Merge(data_, rocksdb::Slice(key, kDataKeySize), operand);
    batch->Put(handles_[4], rocksdb::Slice(key, kDataKeySize), rocksdb::Slice(marker, 9));
  }
  for (const RawHeads::Sealed& head : sealed) {
    if (head.schema >= layout_.schemas().size()) continue;
    const auto& ids = layout_.schemas()[head.schema].ids;
    FoldRollups(head.key, head.block, std::span(ids).subspan(1), nullptr, batch);
  }
  heads_sealed_.Add(sealed.size());
  heads_gauge_.Set(double(heads_.size()));
  head_bytes_gauge_.Set(double(heads_.bytes()));
}

void SeriesStore::Impl::SealHeads(int64_t now, bool all_due, rocksdb::WriteBatch* batch) {
  if (!all_due && now < last_sweep_ + kSweepSeconds) return;
  last_sweep_ = now;
  const auto& resolutions = layout_.resolutions();
  Seal(heads_.TakeIf([&](const DataKey& key, const RawHeads::Head& head) {
    const int64_t end =
        int64_t(key.block_start) + resolutions[key.resolution].step * kSlotsPerBlock;
    const int64_t late = options_.seal_lateness_s;
    return end + late <= now && (all_due || head.touched + late <= now);
  }),
       batch);
}

void SeriesStore::Impl::AddRawPoints(const RawRuns& to_heads, std::span<const Pending> sorted,
                                     int64_t now, rocksdb::WriteBatch* batch) {
  // The block and slot of a raw point of its schema's finest resolution.
  const auto place = [this](const Pending& p, uint16_t* slot) {
    const auto& schema = layout_.schemas()[p.schema];
    const int64_t step = schema.retentions[0].step;
    const int64_t slot_time = p.timestamp - p.timestamp % step;
    const int64_t block = slot_time - slot_time % (step * kSlotsPerBlock);
    *slot = uint16_t((slot_time - block) / step);
    return DataKey{schema.ids[0], p.id, uint32_t(block)};
  };
  OperandRun run(data_, batch);
  for (const Pending& p : sorted) {
    uint16_t slot = 0;
    if (p.first == 0) {
      const DataKey key = place(p, &slot);
      run.AddRaw(key, p.combine, slot, p.value);
    }
  }
  run.Finish();
  // The WAL records are written while the heads take the points (on two
  // threads for a large batch: they share nothing but `to_heads`).
  std::optional<common::Status> wal_failed;
  const auto log = [&] {
    // One WAL record per kWalPointsPerRecord points: a record is at most
    // kWalMaxRecordBytes (a statsd flush of 1 M keys is ~6 M points).
    std::vector<WalPoint> logged;
    logged.reserve(std::min(kWalPointsPerRecord, to_heads.size()));
    for (size_t begin = 0; wal_ && begin < to_heads.size(); begin += kWalPointsPerRecord) {
      logged.clear();
      for (size_t i = begin; i < std::min(begin + kWalPointsPerRecord, to_heads.size()); ++i) {
        const Pending& p = to_heads[i];
        logged.push_back(
            {p.id, PackTime(p.timestamp, layout_.schemas()[p.schema].ids[0], p.combine, p.schema),
             p.value});
      }
      if (auto seq = wal_->Append(logged); !seq.ok()) {
        wal_failed = seq.status();
        return;
      }
    }
  };
  // A series that starts a block seals its previous one if that span ended
  // long enough ago (a backfill in time order seals each block as it goes).
  std::array<std::vector<RawHeads::Sealed>, RawHeads::kShards> moved_on;
  // Adds the points of one shard of the heads (shards may be added at once),
  // or of every shard (kAllShards). Each point's key is placed once, kAhead
  // points early, and prefetched in three steps (index slot, entry, block).
  constexpr size_t kAllShards = RawHeads::kShards;
  const auto add = [&](size_t shard) {
    struct Placed {
      DataKey key;
      uint16_t slot;
    };
    constexpr size_t kAhead = 24;  // prefetch distance: a heads table of millions misses
    constexpr size_t kRing = 32;   // > kAhead: the placed keys not added yet
    std::array<Placed, kRing> ring;
    const size_t n = to_heads.size();
    const auto mine = [&](size_t i) {
      return shard == kAllShards || RawHeads::ShardOf(to_heads[i].id) == shard;
    };
    const auto place_at = [&](size_t i) {
      Placed& p = ring[i % kRing];
      p.key = place(to_heads[i], &p.slot);
      heads_.PrefetchSlot(p.key);
    };
    for (size_t i = 0; i < std::min(kAhead, n); ++i) {
      if (mine(i)) place_at(i);
    }
    for (size_t i = 0; i < n; ++i) {
      if (i + kAhead < n && mine(i + kAhead)) place_at(i + kAhead);
      if (i + kAhead / 2 < n && mine(i + kAhead / 2)) {
        heads_.PrefetchHead(ring[(i + kAhead / 2) % kRing].key);
      }
      if (i + kAhead / 6 < n && mine(i + kAhead / 6)) {
        heads_.PrefetchBlock(ring[(i + kAhead / 6) % kRing].key);
      }
      if (!mine(i)) continue;
      const Pending& p = to_heads[i];
      const Placed& at = ring[i % kRing];
      const DataKey& key = at.key;
      if (!heads_.Add(key, at.slot, p.value, p.combine, p.schema, now)) continue;
      const int64_t span = layout_.resolutions()[key.resolution].step * kSlotsPerBlock;
      const int64_t previous = int64_t(key.block_start) - span;
      if (previous < 0 || previous + span + options_.seal_lateness_s > now) continue;
      bool found = false;
      RawHeads::Sealed head =
          heads_.TakeOne({key.resolution, key.series_id, uint32_t(previous)}, &found);
      if (found) moved_on[shard == kAllShards ? 0 : shard].push_back(std::move(head));
    }
  };
  static_assert(RawHeads::kShards == 2);
  if (to_heads.size() >= kParallelPoints) {
    // Three pieces on two cores: the WAL beside each shard's adds.
    RunBeside([&] { RunBeside(log, [&] { add(1); }); }, [&] { add(0); });
  } else {
    log();
    add(kAllShards);
  }
  if (wal_failed) {
    // Kept in memory: the next checkpoint (forced by this) makes them durable.
    wal_errors_.Add();
    wal_unlogged_ = true;
    {
      std::lock_guard commit_lock(commit_mu_);
      wal_failure_ = wal_failed->message();
      ReportLocked();
    }
    if (const uint64_t n = wal_log_.Take(clock_.NowSeconds())) {
      spdlog::warn("metric store WAL: {} ({} batch(es) kept in memory until the next checkpoint)",
                   wal_failed->message(), n);
    }
  }
  std::vector<RawHeads::Sealed> sealed = std::move(moved_on[0]);
  for (auto& head : moved_on[1]) sealed.push_back(std::move(head));
  Seal(std::move(sealed), batch);
  heads_gauge_.Set(double(heads_.size()));
  head_bytes_gauge_.Set(double(heads_.bytes()));
}

// The schema a head's points fold into: the one recorded with it when it
// still has this raw resolution (the configuration may have changed since it
// was logged), else the first schema whose raw resolution it is, else none
// (UINT16_MAX: no rollups).
uint16_t SeriesStore::Impl::SchemaOfHead(uint16_t recorded, uint8_t raw) const {
  const auto& schemas = layout_.schemas();
  if (recorded < schemas.size() && schemas[recorded].ids[0] == raw) return recorded;
  for (size_t i = 0; i < schemas.size(); ++i) {
    if (schemas[i].ids[0] == raw) return uint16_t(i);
  }
  return UINT16_MAX;
}

}  // namespace hourglass::store
