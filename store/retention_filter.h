// RetentionFilter: compaction filter of the data column family. Drops every
// block (stored value or pending merge operand) that lies entirely before
// now - duration of its archive, so expired data goes away during normal
// background compaction without stalling writes. Reads the Clock; RocksDB
// calls it from its compaction threads concurrently (it holds no state).
#pragma once

#include <rocksdb/compaction_filter.h>

#include <vector>

#include "common/clock.h"

namespace hourglass::store {

struct Retention;

class RetentionFilter final : public rocksdb::CompactionFilter {
 public:
  // `retentions` and `clock` must outlive the filter.
  RetentionFilter(const std::vector<Retention>& retentions, const common::Clock& clock)
      : retentions_(retentions), clock_(clock) {}

  Decision FilterV2(int level, const rocksdb::Slice& key, ValueType value_type,
                    const rocksdb::Slice& existing_value, std::string* new_value,
                    std::string* skip_until) const override;
  const char* Name() const override { return "hourglass.RetentionFilter"; }

 private:
  const std::vector<Retention>& retentions_;
  const common::Clock& clock_;
};

}  // namespace hourglass::store
