#include "store/block_merge_operator.h"

#include <catch2/catch.hpp>

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "store/block_codec.h"
#include "store/series_block.h"

using namespace hourglass::store;

namespace {

std::map<int, double> Points(std::string_view value) {
  std::map<int, double> out;
  REQUIRE(ForEachRaw(value, [&](uint16_t slot, double v) { out[slot] = v; }));
  return out;
}

std::string Full(const std::string* existing, const std::vector<std::string>& operands) {
  BlockMergeOperator op;
  std::vector<rocksdb::Slice> slices(operands.begin(), operands.end());
  rocksdb::Slice base = existing != nullptr ? rocksdb::Slice(*existing) : rocksdb::Slice();
  rocksdb::MergeOperator::MergeOperationInput in(
      rocksdb::Slice("k"), existing != nullptr ? &base : nullptr, slices, nullptr);
  std::string out;
  rocksdb::Slice existing_operand;
  rocksdb::MergeOperator::MergeOperationOutput result(out, existing_operand);
  REQUIRE(op.FullMergeV2(in, &result));
  return existing_operand.empty() ? out : existing_operand.ToString();
}

std::string Sealed(RawCombine combine, const std::vector<SeriesBlockPoint>& points) {
  std::string block, operand;
  REQUIRE(EncodeSeriesBlock(points, &block));
  EncodeSealedOperand(combine, block, &operand);
  return operand;
}

std::string RawOp(RawCombine combine, uint16_t slot, double v) {
  std::string out;
  EncodeRawOperand(combine, slot, v, &out);
  return out;
}

}  // namespace

TEST_CASE("a sealed head block on an empty key is stored as its series block", "[store][merge]") {
  const std::string operand = Sealed(RawCombine::kSum, {{0, 1.5}, {1, 2}, {359, 3}});
  const std::string stored = Full(nullptr, {operand});
  CHECK(stored == operand.substr(1));
  CHECK((static_cast<uint8_t>(stored[0]) & 0xf0) == kTagSeriesBlock);
  CHECK(Points(stored) == std::map<int, double>{{0, 1.5}, {1, 2}, {359, 3}});
}

TEST_CASE("old records, late points and sealed blocks merge by the series' rule",
          "[store][merge]") {
  // A v1 block (old records) as the base, then a late point that sums onto
  // slot 1 and a sealed block that sums onto slot 2 and adds slot 3.
  std::string base;
  EncodeRawOperand(RawCombine::kSum, 1, 10, &base);
  AppendRawRecord(2, 20, &base);
  const std::string merged =
      Full(&base, {RawOp(RawCombine::kSum, 1, 1), Sealed(RawCombine::kSum, {{2, 2}, {3, 3}})});
  CHECK((static_cast<uint8_t>(merged[0]) & 0xf0) == kTagSeriesBlock);
  CHECK(Points(merged) == std::map<int, double>{{1, 11}, {2, 22}, {3, 3}});
  // A series block as the base (a merge's output) takes more operands: last wins.
  const std::string again = Full(&merged, {RawOp(RawCombine::kLast, 3, 7)});
  CHECK(Points(again) == std::map<int, double>{{1, 11}, {2, 22}, {3, 7}});
  // min and max keep the smaller and larger value of a slot.
  CHECK(
      Points(Full(&merged, {Sealed(RawCombine::kMin, {{1, 5}}), RawOp(RawCombine::kMax, 2, 30)})) ==
      std::map<int, double>{{1, 5}, {2, 30}, {3, 3}});
}

TEST_CASE("partial merges of single-point operands keep their rule", "[store][merge]") {
  BlockMergeOperator op;
  std::deque<std::string> ops = {RawOp(RawCombine::kSum, 4, 1), RawOp(RawCombine::kSum, 4, 2),
                                 RawOp(RawCombine::kSum, 5, 3)};
  std::deque<rocksdb::Slice> slices(ops.begin(), ops.end());
  std::string partial;
  REQUIRE(op.PartialMergeMulti("k", slices, &partial, nullptr));
  CHECK(static_cast<uint8_t>(partial[0]) ==
        (kTagSealedOperand | static_cast<uint8_t>(RawCombine::kSum)));
  // Applied on a base, it still sums.
  std::string base;
  EncodeRawOperand(RawCombine::kSum, 4, 100, &base);
  CHECK(Points(Full(&base, {partial})) == std::map<int, double>{{4, 103}, {5, 3}});
  // Mixed rules, or a sealed block among them, stay separate operands.
  std::deque<std::string> mixed = {RawOp(RawCombine::kSum, 4, 1), RawOp(RawCombine::kMax, 4, 2)};
  std::deque<rocksdb::Slice> mixed_slices(mixed.begin(), mixed.end());
  CHECK_FALSE(op.PartialMergeMulti("k", mixed_slices, &partial, nullptr));
  std::deque<std::string> with_sealed = {RawOp(RawCombine::kSum, 4, 1),
                                         Sealed(RawCombine::kSum, {{4, 2}})};
  std::deque<rocksdb::Slice> sealed_slices(with_sealed.begin(), with_sealed.end());
  CHECK_FALSE(op.PartialMergeMulti("k", sealed_slices, &partial, nullptr));
}

TEST_CASE("a merged rollup block is stored as records while recent, as columns once old",
          "[store][merge]") {
  const int64_t now = 1'800'000'000;
  hourglass::common::ManualClock clock{now * 1'000'000};
  BlockMergeOperator op(&clock);
  std::string a, b;
  EncodeRollupBucketOperand(3, RollupBucket::Point(2, 0, 1), &a);
  EncodeRollupBucketOperand(3, RollupBucket::Point(5, 1, 1), &b);
  auto merged = [&](int64_t block_start) {
    char key[kDataKeySize];
    DataKey{1, 42, uint32_t(block_start)}.EncodeTo(key);
    std::vector<rocksdb::Slice> operands = {a, b};
    const rocksdb::Slice key_slice(key, kDataKeySize);  // the input keeps a reference
    rocksdb::MergeOperator::MergeOperationInput in(key_slice, nullptr, operands, nullptr);
    std::string out;
    rocksdb::Slice existing_operand;
    rocksdb::MergeOperator::MergeOperationOutput result(out, existing_operand);
    REQUIRE(op.FullMergeV2(in, &result));
    return out;
  };
  const int64_t limit = now - BlockMergeOperator::kColumnsAfterSeconds;
  for (int64_t start : {limit, limit - 1}) {
    const std::string value = merged(start);
    CHECK(uint8_t(value[0]) == (start == limit ? kTagRollupBlock : kTagRollupColumns));
    int n = 0;
    CHECK(ForEachRollup(value, [&](uint16_t slot, const RollupBucket& bucket) {
      ++n;
      CHECK(slot == 3);
      CHECK(bucket.count == 2);
      CHECK(bucket.sum == 7);
      CHECK(bucket.last == 5);
    }));
    CHECK(n == 1);
  }
}
