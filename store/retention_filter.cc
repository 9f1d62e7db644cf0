#include "store/retention_filter.h"

#include "store/data_key.h"
#include "store/series_store.h"

namespace hourglass::store {

rocksdb::CompactionFilter::Decision RetentionFilter::FilterV2(int level, const rocksdb::Slice& key,
                                                              ValueType value_type,
                                                              const rocksdb::Slice& existing_value,
                                                              std::string* new_value,
                                                              std::string* skip_until) const {
  if (value_type != ValueType::kValue && value_type != ValueType::kMergeOperand) {
    return Decision::kKeep;
  }
  DataKey k;
  if (!DataKey::Decode({key.data(), key.size()}, &k) || k.archive >= retentions_.size()) {
    return Decision::kKeep;  // not ours to judge (e.g. an archive removed from the config)
  }
  const Retention& r = retentions_[k.archive];
  int64_t block_end = static_cast<int64_t>(k.block_start) + r.step * kSlotsPerBlock;
  return block_end <= clock_.NowSeconds() - r.duration ? Decision::kRemove : Decision::kKeep;
}

}  // namespace hourglass::store
