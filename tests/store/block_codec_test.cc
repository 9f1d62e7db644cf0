#include "store/block_codec.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

using namespace hourglass::store;

TEST_CASE("BucketValue applies xFilesFactor exactly as known / ratio >= xff", "[store][codec]") {
  for (int64_t ratio : {1, 6, 10, 60, 360}) {
    for (double xff : {0.0, 0.1, 0.3, 0.5, 1.0 / 3, 0.9, 1.0}) {
      const BucketValue value(AggregationMethod::kSum, xff, ratio);
      for (uint32_t known = 1; known <= ratio + 2; ++known) {
        RollupBucket b = RollupBucket::Point(2, 0, 1);
        b.known = known;
        const bool shown = static_cast<double>(known) / static_cast<double>(ratio) >= xff;
        INFO("ratio " << ratio << " xff " << xff << " known " << known);
        CHECK(std::isnan(value(b)) == !shown);
      }
    }
  }
  CHECK(std::isnan(BucketValue(AggregationMethod::kSum, 0, 6)(RollupBucket{})));  // empty
}

TEST_CASE("BucketValue methods and merged buckets", "[store][codec]") {
  RollupBucket b = RollupBucket::Point(4, 2, 1);
  b.Merge(RollupBucket::Point(1, 5, 1));
  b.Merge(RollupBucket::Point(7, 0, 1));  // earlier in time: not the last
  CHECK(BucketValue(AggregationMethod::kAverage, 0, 6)(b) == 4);
  CHECK(BucketValue(AggregationMethod::kSum, 0, 6)(b) == 12);
  CHECK(BucketValue(AggregationMethod::kMin, 0, 6)(b) == 1);
  CHECK(BucketValue(AggregationMethod::kMax, 0, 6)(b) == 7);
  CHECK(BucketValue(AggregationMethod::kLast, 0, 6)(b) == 1);
  CHECK(std::isnan(BucketValue(AggregationMethod::kSum, 0.6, 6)(b)));  // 3 of 6 known
}

TEST_CASE("a merged rollup block is stored column-wise and reads back exactly", "[store][codec]") {
  auto block = std::make_unique<RollupBlock>();
  std::string legacy;  // the same buckets as 44-byte records
  StartRollupOperand(&legacy);
  uint64_t bits = 0x9E3779B97F4A7C15ull;
  for (uint16_t slot = 0; slot < kSlotsPerBlock; slot += 1 + slot % 3) {
    bits = bits * 6364136223846793005ull + 1442695040888963407ull;
    double odd;
    std::memcpy(&odd, &bits, 8);
    RollupBucket b = RollupBucket::Point(slot * 0.1, uint16_t(slot % 6), 1);
    b.Merge(RollupBucket::Point(std::isfinite(odd) ? odd : -0.0, 5, 6));
    if (slot == 7) b.Merge(RollupBucket::Point(std::numeric_limits<double>::infinity(), 4, 1));
    block->buckets[slot] = b;
    AppendRollupRecord(slot, b, &legacy);
  }
  std::string columns;
  block->EncodeColumns(&columns);
  CHECK(uint8_t(columns[0]) == kTagRollupColumns);
  auto same = [](const RollupBucket& a, const RollupBucket& b) {
    return std::memcmp(&a.sum, &b.sum, 8) == 0 && std::memcmp(&a.min, &b.min, 8) == 0 &&
           std::memcmp(&a.max, &b.max, 8) == 0 && std::memcmp(&a.last, &b.last, 8) == 0 &&
           a.count == b.count && a.known == b.known && a.last_offset == b.last_offset;
  };
  size_t n = 0;
  CHECK(ForEachRollup(columns, [&](uint16_t slot, const RollupBucket& b) {
    ++n;
    CHECK(same(b, block->buckets[slot]));
  }));
  size_t expected = 0;
  for (const auto& b : block->buckets) expected += b.count != 0;
  CHECK(n == expected);
  // Merging the columns again (a later compaction) changes nothing.
  auto again = std::make_unique<RollupBlock>();
  REQUIRE(again->Apply(columns));
  std::string reencoded;
  again->EncodeColumns(&reencoded);
  CHECK(reencoded == columns);
  // An empty block, and truncated or damaged values, never read out of bounds.
  std::string empty;
  RollupBlock().EncodeColumns(&empty);
  CHECK(ForEachRollup(empty, [](uint16_t, const RollupBucket&) { FAIL("no bucket"); }));
  for (size_t cut = 1; cut < columns.size(); cut += 7) {
    (void)ForEachRollup(std::string_view(columns).substr(0, cut),
                        [](uint16_t slot, const RollupBucket&) { CHECK(slot < kSlotsPerBlock); });
  }
  CHECK_FALSE(ForEachRollup(columns + "x", [](uint16_t, const RollupBucket&) {}));
}

TEST_CASE("a rollup block of counter minutes takes a few bytes a bucket", "[store][codec]") {
  auto block = std::make_unique<RollupBlock>();
  for (uint16_t slot = 0; slot < kSlotsPerBlock; ++slot) {
    for (uint16_t offset = 0; offset < 6; ++offset) {
      block->buckets[slot].Merge(RollupBucket::Point(double((slot * 7 + offset) % 5), offset, 1));
    }
  }
  std::string columns;
  block->EncodeColumns(&columns);
  INFO(columns.size() << " bytes for 360 buckets");
  CHECK(columns.size() < kSlotsPerBlock * 4);  // a kTagRollupBlock record is 44 bytes
}
