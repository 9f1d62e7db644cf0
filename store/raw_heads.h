// RawHeads: the open raw blocks of every series, the "heads" of docs/STORE.md.
// A point of a raw block span that is not sealed yet is appended to its
// series' head (a SeriesBlockWriter): O(1) in slot order, a re-encode for an
// earlier slot. Sealing takes the heads of ended spans out whole, as blocks
// ready to write. The heads are kept in kShards shards by series id: Add and
// TakeOne of keys of different shards may run at once (a large Write adds
// on two threads); everything else is not thread-safe: SeriesStore guards it
// with heads_mu_ (readers copy a head's bytes under the shared lock).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/dense_hash_map.h"
#include "store/aggregation_rules.h"
#include "store/data_key.h"
#include "store/series_block.h"

namespace hourglass::store {

class RawHeads {
 public:
  struct Head {
    SeriesBlockWriter block;
    int64_t touched = 0;  // clock seconds of the last point added
    uint16_t schema = 0;  // the series' retention schema: its rollups at seal
    RawCombine combine = RawCombine::kLast;
  };
  struct Sealed {
    DataKey key;
    RawCombine combine;
    uint16_t schema;
    std::string block;  // a series block
  };

  static constexpr size_t kShards = 2;
  // The shard of the heads of `series_id`.
  static size_t ShardOf(uint64_t series_id) { return series_id % kShards; }

  // Adds (slot, value) to the head of `key`'s block at clock time `now`. A
  // second value for a slot combines by `combine` (the series' rule, as raw
  // merges do); `schema` is the series' retention schema (index in the
  // store's layout). True if the head is new.
  bool Add(const DataKey& key, uint16_t slot, double value, RawCombine combine, uint16_t schema,
           int64_t now);
  // Puts back a checkpointed head (open: the heads column family). False if
  // `block` is not a valid series block.
  bool Restore(const DataKey& key, RawCombine combine, uint16_t schema, std::string_view block);

  // Removes and returns the heads for which due(key, head) is true.
  template <typename Due>
  std::vector<Sealed> TakeIf(Due&& due) {
    std::vector<Sealed> out;
    for (Shard& shard : shards_) {
      shard.oldest.fill(INT64_MAX);
      for (size_t i = 0; i < shard.heads.size();) {
        auto& e = shard.heads.At(i);
        const DataKey key = Unpack(e.key);
        if (!due(key, e.value)) {
          shard.NoteBlock(key);
          ++i;
          continue;
        }
        out.push_back(shard.Take(e.key, &e.value));
        shard.heads.EraseAt(i);  // the last head moves to i
      }
    }
    return out;
  }
  // No head of `resolution` starts before this (a lower bound: exact after
  // TakeIf, possibly lower after TakeOne). INT64_MAX: none.
  int64_t oldest_block(uint8_t resolution) const {
    int64_t oldest = INT64_MAX;
    for (const Shard& shard : shards_) oldest = std::min(oldest, shard.oldest[resolution]);
    return oldest;
  }
  // Removes and returns the head of `key`, if any (`found` says).
  Sealed TakeOne(const DataKey& key, bool* found);
  // Cache hints for an Add of `key` soon: PrefetchSlot some points ahead,
  // PrefetchHead fewer, PrefetchBlock fewer still (see DenseHashMap).
  void PrefetchSlot(const DataKey& key) const { ShardFor(key).heads.PrefetchSlot(Pack(key)); }
  void PrefetchHead(const DataKey& key) const { ShardFor(key).heads.PrefetchEntry(Pack(key)); }
  void PrefetchBlock(const DataKey& key) const {
    if (const Head* head = ShardFor(key).heads.Find(Pack(key))) {
      const std::string_view bytes = head->block.bytes();
      __builtin_prefetch(bytes.data() + bytes.size());
    }
  }
  // The bytes of the head of `key`'s block, or empty.
  std::string_view Find(const DataKey& key) const;
  // Calls fn(key, head) for every head (checkpoint).
  template <typename Fn>
  void ForEach(Fn&& fn) {
    for (Shard& shard : shards_) {
      for (size_t i = 0; i < shard.heads.size(); ++i) {
        fn(Unpack(shard.heads.At(i).key), shard.heads.At(i).value);
      }
    }
  }

  size_t size() const {
    size_t n = 0;
    for (const Shard& shard : shards_) n += shard.heads.size();
    return n;
  }
  size_t bytes() const {
    size_t n = 0;
    for (const Shard& shard : shards_) n += shard.bytes;
    return n;
  }

 private:
  struct KeyHash {
    uint64_t operator()(const std::pair<uint64_t, uint64_t>& k) const {
      // The series id is already a hash; mix in the block (murmur's finalizer).
      uint64_t x = k.first ^ (k.second * 0x9E3779B97F4A7C15ull);
      x ^= x >> 33;
      x *= 0xff51afd7ed558ccdull;
      return x ^ (x >> 33);
    }
  };
  using Key = std::pair<uint64_t, uint64_t>;  // series id, (resolution << 32) | block start
  static Key Pack(const DataKey& k) {
    return {k.series_id, (uint64_t(k.resolution) << 32) | k.block_start};
  }
  static DataKey Unpack(const Key& k) {
    return {uint8_t(k.second >> 32), k.first, uint32_t(k.second)};
  }

  using Map = common::DenseHashMap<Key, Head, KeyHash>;
  struct Shard {
    Map heads;
    std::array<int64_t, 256> oldest = MakeOldest();
    size_t bytes = 0;  // encoded bytes of its heads

    Sealed Take(const Key& key, Head* head) {
      bytes -= head->block.bytes().size();
      return {Unpack(key), head->combine, head->schema, std::string(head->block.bytes())};
    }
    void NoteBlock(const DataKey& key) {
      oldest[key.resolution] = std::min<int64_t>(oldest[key.resolution], key.block_start);
    }
  };
  static std::array<int64_t, 256> MakeOldest() {
    std::array<int64_t, 256> a;
    a.fill(INT64_MAX);
    return a;
  }
  Shard& ShardFor(const DataKey& key) { return shards_[ShardOf(key.series_id)]; }
  const Shard& ShardFor(const DataKey& key) const { return shards_[ShardOf(key.series_id)]; }

  std::array<Shard, kShards> shards_;
};

}  // namespace hourglass::store
