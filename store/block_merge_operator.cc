#include "store/block_merge_operator.h"

#include <memory>

#include "store/block_codec.h"

namespace hourglass::store {
namespace {

std::string_view View(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

// Raw and rollup blocks never share a key (a resolution id is one or the
// other), so the first value of a merge tells which one it is.
bool IsRaw(const rocksdb::Slice& value) { return IsRawValue(View(value)); }

uint8_t Tag(const rocksdb::Slice& value) {
  return value.empty() ? 0 : static_cast<uint8_t>(value[0]);
}

}  // namespace

// A malformed operand (never written by this code) is skipped rather than
// failing the merge: failing would make the whole block unreadable.
bool BlockMergeOperator::FullMergeV2(const MergeOperationInput& merge_in,
                                     MergeOperationOutput* merge_out) const {
  const rocksdb::Slice* first = merge_in.existing_value;
  if (first == nullptr && !merge_in.operand_list.empty()) first = &merge_in.operand_list.front();
  if (first != nullptr && IsRaw(*first)) {
    // A head's sealed block on an empty key (the usual case) is stored as is.
    if (merge_in.existing_value == nullptr && merge_in.operand_list.size() == 1 &&
        (Tag(merge_in.operand_list.front()) & 0xf0) == kTagSealedOperand) {
      const rocksdb::Slice& only = merge_in.operand_list.front();
      merge_out->new_value.assign(only.data() + 1, only.size() - 1);
      return true;
    }
    auto block = std::make_unique<RawBlock>();
    if (merge_in.existing_value != nullptr) block->Apply(View(*merge_in.existing_value), true);
    for (const auto& operand : merge_in.operand_list) block->Apply(View(operand), false);
    block->Encode(&merge_out->new_value);
    return true;
  }
  auto block = std::make_unique<RollupBlock>();
  if (merge_in.existing_value != nullptr) block->Apply(View(*merge_in.existing_value));
  for (const auto& operand : merge_in.operand_list) block->Apply(View(operand));
  EncodeRollup(merge_in.key, *block, &merge_out->new_value);
  return true;
}

void BlockMergeOperator::EncodeRollup(const rocksdb::Slice& key, const RollupBlock& block,
                                      std::string* out) const {
  DataKey k;
  if (clock_ != nullptr && DataKey::Decode(View(key), &k) &&
      int64_t(k.block_start) + kColumnsAfterSeconds < clock_->NowSeconds()) {
    block.EncodeColumns(out);
  } else {
    block.Encode(out);
  }
}

// Rollup operands always combine. Raw operands combine only when they share
// one rule (mixed rules, after a rule change, stay separate operands so the
// full merge applies each in order).
bool BlockMergeOperator::PartialMergeMulti(const rocksdb::Slice& key,
                                           const std::deque<rocksdb::Slice>& operand_list,
                                           std::string* new_value, rocksdb::Logger* logger) const {
  if (operand_list.empty()) return false;
  if (!IsRaw(operand_list.front())) {
    auto block = std::make_unique<RollupBlock>();
    for (const auto& operand : operand_list) block->Apply(View(operand));
    EncodeRollup(key, *block, new_value);
    return true;
  }
  // Only old single-point operands of one rule combine; the result is an
  // operand again (a sealed-block operand carrying that rule).
  const uint8_t tag = Tag(operand_list.front());
  for (const auto& operand : operand_list) {
    if ((Tag(operand) & 0xf0) != kTagRaw || Tag(operand) != tag) return false;
  }
  auto block = std::make_unique<RawBlock>();
  block->present.reset();
  for (const auto& operand : operand_list) block->Apply(View(operand), false);
  std::string series_block;
  block->Encode(&series_block);
  EncodeSealedOperand(static_cast<RawCombine>(tag & 0x3), series_block, new_value);
  return true;
}

}  // namespace hourglass::store
