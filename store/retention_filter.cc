#include "store/retention_filter.h"

#include "store/data_key.h"
#include "store/resolution_layout.h"

namespace hourglass::store {

void RetentionFilter::SetResolutions(const std::vector<ResolutionInfo>& resolutions) {
  for (size_t id = 0; id < resolutions.size() && id < block_span_.size(); ++id) {
    duration_[id].store(resolutions[id].duration, std::memory_order_relaxed);
    block_span_[id].store(resolutions[id].step * kSlotsPerBlock, std::memory_order_release);
  }
}

rocksdb::CompactionFilter::Decision RetentionFilter::FilterV2(
    int /*level*/, const rocksdb::Slice& key, ValueType value_type, const rocksdb::Slice& /*value*/,
    std::string* /*new_value*/, std::string* /*skip_until*/) const {
  if (value_type != ValueType::kValue && value_type != ValueType::kMergeOperand) {
    return Decision::kKeep;
  }
  DataKey k;
  if (!DataKey::Decode({key.data(), key.size()}, &k)) return Decision::kKeep;
  const int64_t span = block_span_[k.resolution].load(std::memory_order_acquire);
  if (span == 0) return Decision::kKeep;  // not known (yet)
  const int64_t block_end = int64_t(k.block_start) + span;
  const int64_t duration = duration_[k.resolution].load(std::memory_order_relaxed);
  return block_end <= clock_.NowSeconds() - duration ? Decision::kRemove : Decision::kKeep;
}

}  // namespace hourglass::store
