// RetentionFilter: compaction filter of the data column family. Drops every
// block (stored value or pending merge operand) that lies entirely before
// now - the retention of its resolution id, so expired data goes away during normal
// background compaction without stalling writes. Reads the Clock; RocksDB
// calls it from its compaction threads concurrently.
#pragma once

#include <rocksdb/compaction_filter.h>

#include <array>
#include <atomic>
#include <vector>

#include "common/clock.h"

namespace hourglass::store {

struct ResolutionInfo;

class RetentionFilter final : public rocksdb::CompactionFilter {
 public:
  // `clock` must outlive the filter.
  explicit RetentionFilter(const common::Clock& clock) : clock_(clock) {}

  // Sets each resolution id's retention; until then (and for unknown ids) every
  // block is kept. Call once, right after the database opens.
  void SetResolutions(const std::vector<ResolutionInfo>& resolutions);

  Decision FilterV2(int level, const rocksdb::Slice& key, ValueType value_type,
                    const rocksdb::Slice& existing_value, std::string* new_value,
                    std::string* skip_until) const override;
  const char* Name() const override { return "hourglass.RetentionFilter"; }

 private:
  const common::Clock& clock_;
  // Per resolution id: seconds one block covers (0: unknown, keep) and how long
  // blocks are kept.
  std::array<std::atomic<int64_t>, 256> block_span_{};
  std::array<std::atomic<int64_t>, 256> duration_{};
};

}  // namespace hourglass::store
