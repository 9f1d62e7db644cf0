// RollupAccumulator: the open rollup buckets of every series, kept in memory
// so a point costs one RocksDB merge (raw) instead of one per resolution. Buckets
// are grouped per (resolution, bucket start); a group is emitted as merge operands
// once the watermark passes it (see the DESIGN note in series_store.cc).
// Not thread-safe: SeriesStore guards it with its accumulator mutex.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "store/block_codec.h"

namespace hourglass::store {

class RollupAccumulator {
 public:
  // One open bucket: 56 bytes.
  struct Entry {
    uint64_t id;
    RollupBucket bucket;
  };
  // All open buckets of one resolution and bucket start, sorted by id on demand.
  struct Group {
    uint8_t resolution = 0;
    int64_t start = 0;
    std::vector<Entry> entries;   // dense; index_ maps id -> position
    std::vector<uint32_t> index;  // open addressing, 0 = empty, else position + 1
  };

  // Adds one point (weight 1) at raw slot `raw_offset` of bucket `start`.
  void Add(uint8_t resolution, int64_t start, uint64_t id, uint16_t raw_offset, double value);
  // Adds a whole bucket record (used when rebuilding from raw).
  void AddBucket(uint8_t resolution, int64_t start, uint64_t id, const RollupBucket& bucket);

  // Removes and returns the groups of `resolution` with start < `before`, each
  // with entries sorted by id.
  std::vector<Group> TakeBefore(uint8_t resolution, int64_t before);
  // Removes and returns every group.
  std::vector<Group> TakeAll();

  // Open buckets of series `id` in `resolution`, as (start, bucket).
  std::vector<std::pair<int64_t, RollupBucket>> Lookup(uint8_t resolution, uint64_t id) const;

  size_t entries() const { return entries_; }
  // Heap bytes held (entries and index tables).
  size_t bytes() const;

 private:
  Entry* FindOrInsert(Group& group, uint64_t id);
  static void Grow(Group& group);
  static void SortById(Group& group);

  std::map<std::pair<uint8_t, int64_t>, Group> groups_;
  std::vector<size_t> last_size_;  // per resolution: size of the last group taken, to presize
  size_t entries_ = 0;
};

}  // namespace hourglass::store
