#include "store/block_merge_operator.h"

#include <memory>

#include "store/block_codec.h"

namespace hourglass::store {
namespace {

// Raw and rollup blocks never share a key (a resolution id is one or the
// other), so the first value of a merge tells which one it is.
bool IsRaw(const rocksdb::Slice& value) {
  return !value.empty() && (static_cast<uint8_t>(value[0]) & 0xf0) == kTagRaw;
}

uint8_t CombineBits(const rocksdb::Slice& value) {
  return value.empty() ? 0 : static_cast<uint8_t>(value[0]) & 0x3;
}

std::string_view View(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

}  // namespace

// A malformed operand (never written by this code) is skipped rather than
// failing the merge: failing would make the whole block unreadable.
bool BlockMergeOperator::FullMergeV2(const MergeOperationInput& merge_in,
                                     MergeOperationOutput* merge_out) const {
  const rocksdb::Slice* first = merge_in.existing_value;
  if (first == nullptr && !merge_in.operand_list.empty()) first = &merge_in.operand_list.front();
  if (first != nullptr && IsRaw(*first)) {
    auto block = std::make_unique<RawBlock>();
    if (merge_in.existing_value != nullptr) block->Apply(View(*merge_in.existing_value), true);
    for (const auto& operand : merge_in.operand_list) block->Apply(View(operand), false);
    uint8_t bits = merge_in.operand_list.empty() ? 0 : CombineBits(merge_in.operand_list.back());
    block->Encode(bits, &merge_out->new_value);
    return true;
  }
  auto block = std::make_unique<RollupBlock>();
  if (merge_in.existing_value != nullptr) block->Apply(View(*merge_in.existing_value));
  for (const auto& operand : merge_in.operand_list) block->Apply(View(operand));
  block->Encode(&merge_out->new_value);
  return true;
}

// Rollup operands always combine. Raw operands combine only when they share
// one rule (mixed rules, after a rule change, stay separate operands so the
// full merge applies each in order).
bool BlockMergeOperator::PartialMergeMulti(const rocksdb::Slice& /*key*/,
                                           const std::deque<rocksdb::Slice>& operand_list,
                                           std::string* new_value, rocksdb::Logger* logger) const {
  if (operand_list.empty()) return false;
  if (!IsRaw(operand_list.front())) {
    auto block = std::make_unique<RollupBlock>();
    for (const auto& operand : operand_list) block->Apply(View(operand));
    block->Encode(new_value);
    return true;
  }
  uint8_t bits = CombineBits(operand_list.front());
  for (const auto& operand : operand_list) {
    if (operand.empty() || CombineBits(operand) != bits) return false;
  }
  auto block = std::make_unique<RawBlock>();
  block->present.reset();
  for (const auto& operand : operand_list) block->Apply(View(operand), false);
  block->Encode(bits, new_value);
  return true;
}

}  // namespace hourglass::store
