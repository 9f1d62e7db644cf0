#include "store/block_codec.h"

#include <catch2/catch.hpp>

#include <cmath>

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
