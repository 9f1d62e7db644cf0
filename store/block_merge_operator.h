// BlockMergeOperator: RocksDB merge operator of the data column family. Folds
// operands into 360-slot blocks: raw slots (single-point operands and sealed
// head blocks) combine by the rule each operand carries and are written as a
// series block (series_block.h); rollup buckets keep (count, known, sum, min,
// max, last): as records while the block is recent, as columns once it
// started more than kColumnsAfterSeconds ago (by `clock`; none: records).
// RocksDB calls it from any thread.
#pragma once

#include <rocksdb/merge_operator.h>

#include "common/clock.h"

namespace hourglass::store {

struct RollupBlock;

class BlockMergeOperator final : public rocksdb::MergeOperator {
 public:
  // Two days: a 24 h dashboard reads records; the long retentions (weeks to
  // years at 10 min) are stored compactly. Compactions rewrite a block as it
  // ages (the data family compacts every file at least daily).
  static constexpr int64_t kColumnsAfterSeconds = 2 * 86400;

  explicit BlockMergeOperator(const common::Clock* clock = nullptr) : clock_(clock) {}
  bool FullMergeV2(const MergeOperationInput& merge_in,
                   MergeOperationOutput* merge_out) const override;
  bool PartialMergeMulti(const rocksdb::Slice& key, const std::deque<rocksdb::Slice>& operand_list,
                         std::string* new_value, rocksdb::Logger* logger) const override;
  const char* Name() const override { return "hourglass.BlockMergeOperator.v1"; }

 private:
  // Encodes a merged rollup block of data key `key` in the form its age asks for.
  void EncodeRollup(const rocksdb::Slice& key, const RollupBlock& block, std::string* out) const;
  const common::Clock* clock_;
};

}  // namespace hourglass::store
