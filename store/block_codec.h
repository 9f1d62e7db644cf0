// Block values of the data column family: merge operands written by Write()
// and the merged blocks RocksDB stores, plus dense scratch forms used while
// merging. Pure functions over bytes; any thread. Numbers are little-endian
// (asserted at compile time); the first byte of a value is its tag.
#pragma once

#include <algorithm>
#include <bitset>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "store/aggregation_rules.h"
#include "store/data_key.h"
#include "store/series_block.h"

namespace hourglass::store {

// Value tags. Raw values carry their RawCombine in the low two bits.
inline constexpr uint8_t kTagRaw = 0x10;  // records: slot u16, value f64
// Single-point rollup records: read (stores written before v0.2), not written.
inline constexpr uint8_t kTagRollupPoint = 0x20;  // slot u16, raw_offset u16, weight u16, value f64
inline constexpr uint8_t kTagRollupBlock = 0x30;  // slot u16 + RollupBucket fields (see .cc)
// A merged rollup block, column-wise: each RollupBucket field over the
// block's buckets as a series block (see .cc). What merges write.
inline constexpr uint8_t kTagRollupColumns = 0x60;

// Bits naming RollupBucket fields (a read decodes only what its rule needs).
enum RollupField : uint8_t {
  kFieldCount = 1,
  kFieldKnown = 2,
  kFieldLastOffset = 4,
  kFieldSum = 8,
  kFieldMin = 16,
  kFieldMax = 32,
  kFieldLast = 64,
  kAllFields = 127,
};

// The exact aggregate of every point that fell into one rollup bucket.
struct RollupBucket {
  double sum = 0;
  double min = 0;
  double max = 0;
  double last = 0;           // value of the latest point in time (ties: latest write)
  uint32_t count = 0;        // points merged in
  uint32_t known = 0;        // raw slots' worth of data (for xFilesFactor)
  uint16_t last_offset = 0;  // raw slot within the bucket of `last`

  // The bucket of one point: `weight` raw slots' worth of data at raw slot
  // `raw_offset` of the bucket.
  static RollupBucket Point(double value, uint16_t raw_offset, uint16_t weight) {
    return {value, value, value, value, 1, weight, raw_offset};
  }
  // Inline: reads merge a bucket per point of a head.
  void Merge(const RollupBucket& other) {
    if (other.count == 0) return;
    if (count == 0) {
      *this = other;
      return;
    }
    sum += other.sum;
    min = std::min(min, other.min);
    max = std::max(max, other.max);
    if (other.last_offset >= last_offset) {
      last = other.last;
      last_offset = other.last_offset;
    }
    count += other.count;
    known += other.known;
  }
};

// A bucket's value under one rule in one resolution: NaN when empty or when
// known / ratio < xFilesFactor (ratio = rollup step / raw step), else the
// method applied. The xFilesFactor test is turned into a minimum `known`
// count once: reads call this for every point.
class BucketValue {
 public:
  BucketValue(AggregationMethod method, double x_files_factor, int64_t ratio);
  // The RollupField bits operator() reads, and RollupBucket::Merge needs to
  // give it the right answer (the others may be left 0 on both sides).
  uint8_t fields() const;
  double operator()(const RollupBucket& b) const {
    if (b.count == 0 || b.known < min_known_) return std::numeric_limits<double>::quiet_NaN();
    switch (method_) {
      case AggregationMethod::kAverage:
        return b.sum / b.count;
      case AggregationMethod::kSum:
        return b.sum;
      case AggregationMethod::kMin:
        return b.min;
      case AggregationMethod::kMax:
        return b.max;
      case AggregationMethod::kLast:
        return b.last;
    }
    return std::numeric_limits<double>::quiet_NaN();
  }

 private:
  AggregationMethod method_;
  uint64_t min_known_;
};

// Operands: Start* clears `out` and writes the tag, Append* adds one record.
// Records of one operand apply in order, as separate operands would.
void StartRawOperand(RawCombine combine, std::string* out);
void AppendRawRecord(uint16_t slot, double value, std::string* out);
void StartRollupOperand(std::string* out);
void AppendRollupRecord(uint16_t slot, const RollupBucket& bucket, std::string* out);
// Start + one Append.
void EncodeRawOperand(RawCombine combine, uint16_t slot, double value, std::string* out);
void EncodeRollupBucketOperand(uint16_t slot, const RollupBucket& bucket, std::string* out);

namespace detail {
inline constexpr size_t kRawRecord = 2 + 8;
inline constexpr size_t kRollupPointRecord = 2 + 2 + 2 + 8;
inline constexpr size_t kRollupBlockRecord = 2 + 2 + 4 + 4 + 4 * 8;
template <typename T>
T Load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}
// Inline: a read decodes a record per bucket, and only the fields its rule
// uses survive optimisation.
inline RollupBucket DecodeBlockRecord(const char* p) {
  RollupBucket b;
  b.last_offset = Load<uint16_t>(p + 2);
  b.count = Load<uint32_t>(p + 4);
  b.known = Load<uint32_t>(p + 8);
  b.sum = Load<double>(p + 12);
  b.min = Load<double>(p + 20);
  b.max = Load<double>(p + 28);
  b.last = Load<double>(p + 36);
  return b;
}
RollupBucket DecodePointRecord(const char* p);
struct SlotBucket {
  uint16_t slot;
  RollupBucket bucket;
};
// The buckets of a kTagRollupColumns value (tag included), in slot order,
// with only the `fields` (RollupField bits) decoded: the others are 0 (count:
// 1). False if malformed (`out` may hold a prefix).
bool DecodeRollupColumns(std::string_view value, uint8_t fields, std::vector<SlotBucket>* out);
}  // namespace detail

// Tag of a sealed-block operand: the points a head sealed, merged onto
// whatever the key holds by the operand's RawCombine (low two bits), then a
// series block (series_block.h).
inline constexpr uint8_t kTagSealedOperand = 0x50;

// Whether a data value (stored or operand) is a raw block: old records
// (kTagRaw), a series block (kTagSeriesBlock) or a sealed-block operand.
inline bool IsRawValue(std::string_view value) {
  if (value.empty()) return false;
  const uint8_t high = static_cast<uint8_t>(value[0]) & 0xf0;
  return high == kTagRaw || high == kTagSeriesBlock || high == kTagSealedOperand;
}

// Calls fn(slot, value) for each point of a raw value in any of its forms.
// False if malformed (fn may have seen a prefix of a series block).
template <typename Fn>
bool ForEachRaw(std::string_view value, Fn&& fn) {
  using detail::kRawRecord;
  if (value.empty()) return false;
  const uint8_t high = static_cast<uint8_t>(value[0]) & 0xf0;
  if (high == kTagSealedOperand) value.remove_prefix(1);
  if (high == kTagSeriesBlock || high == kTagSealedOperand) {
    return ForEachSeriesBlockPoint(value, 0, int(kSlotsPerBlock),
                                   [&](int slot, double v) { fn(uint16_t(slot), v); });
  }
  if (high != kTagRaw) return false;
  std::string_view body = value.substr(1);
  if (body.size() % kRawRecord != 0) return false;
  for (size_t i = 0; i < body.size(); i += kRawRecord) {
    fn(detail::Load<uint16_t>(body.data() + i), detail::Load<double>(body.data() + i + 2));
  }
  return true;
}

// A sealed-block operand: `combine`, then `block` (a series block).
void EncodeSealedOperand(RawCombine combine, std::string_view block, std::string* out);

// Calls fn(slot, bucket) for each record of a rollup value (columns, block
// records or points). With `fields`, a column value decodes only those
// (RollupField bits); the other forms always have every field.
template <typename Fn>
bool ForEachRollup(std::string_view value, Fn&& fn, uint8_t fields = kAllFields) {
  if (value.empty()) return false;
  std::string_view body = value.substr(1);
  uint8_t tag = static_cast<uint8_t>(value[0]);
  if (tag == kTagRollupColumns) {
    thread_local std::vector<detail::SlotBucket> buckets;  // fn never nests a decode
    const bool ok = detail::DecodeRollupColumns(value, fields, &buckets);
    for (const auto& b : buckets) fn(b.slot, b.bucket);
    return ok;
  }
  size_t record = tag == kTagRollupBlock   ? detail::kRollupBlockRecord
                  : tag == kTagRollupPoint ? detail::kRollupPointRecord
                                           : 0;
  if (record == 0 || body.size() % record != 0) return false;
  for (size_t i = 0; i < body.size(); i += record) {
    const char* p = body.data() + i;
    fn(detail::Load<uint16_t>(p),
       tag == kTagRollupBlock ? detail::DecodeBlockRecord(p) : detail::DecodePointRecord(p));
  }
  return true;
}

// Dense scratch for merging one raw block.
struct RawBlock {
  double values[kSlotsPerBlock];
  std::bitset<kSlotsPerBlock> present;
  // Applies a stored block or operand; operands combine by their tag's rule.
  bool Apply(std::string_view value, bool is_base);
  // As a series block (the form every merge writes; old records stay
  // readable).
  void Encode(std::string* out) const;
};

// Dense scratch for merging one rollup block.
struct RollupBlock {
  RollupBucket buckets[kSlotsPerBlock];
  bool Apply(std::string_view value);
  // As kTagRollupBlock records (44 bytes a bucket; read without decoding:
  // recent blocks, which dashboards read most).
  void Encode(std::string* out) const;
  // As kTagRollupColumns (a few bytes a bucket; a read decodes the columns
  // its rule needs, about twice the time: old blocks).
  void EncodeColumns(std::string* out) const;
};

}  // namespace hourglass::store
