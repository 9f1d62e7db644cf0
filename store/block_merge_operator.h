// BlockMergeOperator: RocksDB merge operator of the data column family. Folds
// operands into 360-slot blocks: raw slots (single-point operands and sealed
// head blocks) combine by the rule each operand carries and are written as a
// series block (series_block.h); rollup buckets keep (count, known, sum, min,
// max, last). Stateless: RocksDB calls it from any thread.
#pragma once

#include <rocksdb/merge_operator.h>

namespace hourglass::store {

class BlockMergeOperator final : public rocksdb::MergeOperator {
 public:
  bool FullMergeV2(const MergeOperationInput& merge_in,
                   MergeOperationOutput* merge_out) const override;
  bool PartialMergeMulti(const rocksdb::Slice& key, const std::deque<rocksdb::Slice>& operand_list,
                         std::string* new_value, rocksdb::Logger* logger) const override;
  const char* Name() const override { return "hourglass.BlockMergeOperator.v1"; }
};

}  // namespace hourglass::store
