#include "store/block_codec.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace hourglass::store {
namespace {

static_assert(std::endian::native == std::endian::little, "values are stored little-endian");

using detail::kRawRecord;
using detail::kRollupBlockRecord;
using detail::Load;

template <typename T>
void Append(std::string* out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out->append(buf, sizeof(T));
}

}  // namespace

BucketValue::BucketValue(AggregationMethod method, double x_files_factor, int64_t ratio)
    : method_(method), min_known_(0) {
  // The smallest k with k / ratio >= xFilesFactor, as Value() computes it;
  // past ratio every k passes (xFilesFactor <= 1).
  const auto r = static_cast<uint64_t>(std::max<int64_t>(ratio, 1));
  while (min_known_ <= r &&
         static_cast<double>(min_known_) / static_cast<double>(r) < x_files_factor) {
    ++min_known_;
  }
}

uint8_t BucketValue::fields() const {
  const uint8_t known = min_known_ > 0 ? kFieldKnown : 0;
  switch (method_) {
    case AggregationMethod::kAverage:
      return known | kFieldSum | kFieldCount;
    case AggregationMethod::kSum:
      return known | kFieldSum;
    case AggregationMethod::kMin:
      return known | kFieldMin;
    case AggregationMethod::kMax:
      return known | kFieldMax;
    case AggregationMethod::kLast:
      return known | kFieldLast | kFieldLastOffset;  // Merge picks the last by offset
  }
  return kAllFields;
}

void StartRawOperand(RawCombine combine, std::string* out) {
  out->clear();
  out->push_back(static_cast<char>(kTagRaw | static_cast<uint8_t>(combine)));
}

void AppendRawRecord(uint16_t slot, double value, std::string* out) {
  Append(out, slot);
  Append(out, value);
}

void EncodeRawOperand(RawCombine combine, uint16_t slot, double value, std::string* out) {
  StartRawOperand(combine, out);
  AppendRawRecord(slot, value, out);
}

void StartRollupOperand(std::string* out) {
  out->clear();
  out->push_back(static_cast<char>(kTagRollupBlock));
}

namespace {

// Writes one kRollupBlockRecord at `p`; returns the end.
char* PutRollupRecord(char* p, uint16_t slot, const RollupBucket& b) {
  auto put = [&p](auto v) {
    std::memcpy(p, &v, sizeof(v));
    p += sizeof(v);
  };
  put(slot);
  put(b.last_offset);
  put(b.count);
  put(b.known);
  put(b.sum);
  put(b.min);
  put(b.max);
  put(b.last);
  return p;
}

}  // namespace

void AppendRollupRecord(uint16_t slot, const RollupBucket& b, std::string* out) {
  char record[kRollupBlockRecord];
  PutRollupRecord(record, slot, b);
  out->append(record, kRollupBlockRecord);
}

void EncodeRollupBucketOperand(uint16_t slot, const RollupBucket& bucket, std::string* out) {
  StartRollupOperand(out);
  AppendRollupRecord(slot, bucket, out);
}

namespace detail {

RollupBucket DecodePointRecord(const char* p) {
  return RollupBucket::Point(Load<double>(p + 6), Load<uint16_t>(p + 2), Load<uint16_t>(p + 4));
}

}  // namespace detail

bool RawBlock::Apply(std::string_view value, bool is_base) {
  if (value.empty()) return false;
  auto combine = static_cast<RawCombine>(static_cast<uint8_t>(value[0]) & 0x3);
  return ForEachRaw(value, [&](uint16_t slot, double v) {
    if (slot >= kSlotsPerBlock) return;
    double& cur = values[slot];
    if (is_base || !present[slot]) {
      cur = v;
      present.set(slot);
      return;
    }
    cur = CombineRaw(combine, cur, v);
  });
}

void EncodeSealedOperand(RawCombine combine, std::string_view block, std::string* out) {
  out->clear();
  out->push_back(static_cast<char>(kTagSealedOperand | static_cast<uint8_t>(combine)));
  out->append(block);
}

// Merged blocks are encoded on every read that meets unmerged operands.
void RawBlock::Encode(std::string* out) const {
  SeriesBlockWriter writer;
  for (uint16_t slot = 0; slot < kSlotsPerBlock; ++slot) {
    if (present[slot]) writer.Append(slot, values[slot]);
  }
  if (writer.count() == 0) {
    out->assign(1, static_cast<char>(kTagRaw));  // no points: an empty record list
  } else {
    out->assign(writer.bytes());
  }
}

bool RollupBlock::Apply(std::string_view value) {
  return ForEachRollup(value, [&](uint16_t slot, const RollupBucket& b) {
    if (slot < kSlotsPerBlock) buckets[slot].Merge(b);
  });
}

// kTagRollupColumns: the tag, then seven columns in this order: count,
// known, last_offset, sum, min, max, last. Each column is a varint byte
// length and a series block (series_block.h) of that field over the
// non-empty buckets (slot = bucket slot; integers as doubles, exact below
// 2^53), so a column of equal counts or a slow-moving sum costs a few bits a
// bucket instead of the 44 bytes of a kTagRollupBlock record.
void RollupBlock::Encode(std::string* out) const {
  size_t n = 0;
  for (const RollupBucket& b : buckets) n += b.count != 0;
  out->resize(1 + n * kRollupBlockRecord);
  char* p = out->data();
  *p++ = static_cast<char>(kTagRollupBlock);
  for (uint16_t slot = 0; slot < kSlotsPerBlock; ++slot) {
    if (buckets[slot].count != 0) p = PutRollupRecord(p, slot, buckets[slot]);
  }
}

void RollupBlock::EncodeColumns(std::string* out) const {
  constexpr int kColumns = 7;
  SeriesBlockWriter columns[kColumns];
  for (uint16_t slot = 0; slot < kSlotsPerBlock; ++slot) {
    const RollupBucket& b = buckets[slot];
    if (b.count == 0) continue;
    const double fields[kColumns] = {
        double(b.count), double(b.known), double(b.last_offset), b.sum, b.min, b.max, b.last};
    for (int c = 0; c < kColumns; ++c) columns[c].Append(slot, fields[c]);
  }
  out->clear();
  out->push_back(static_cast<char>(kTagRollupColumns));
  for (const SeriesBlockWriter& column : columns) {
    for (uint64_t n = column.bytes().size();; n >>= 7) {  // varint length
      out->push_back(static_cast<char>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0)));
      if (n < 0x80) break;
    }
    out->append(column.bytes());
  }
}

namespace detail {

bool DecodeRollupColumns(std::string_view value, uint8_t fields, std::vector<SlotBucket>* out) {
  constexpr int kColumns = 7;
  if ((fields & kAllFields) == 0) fields = kFieldCount;
  out->clear();
  if (value.empty() || static_cast<uint8_t>(value[0]) != kTagRollupColumns) return false;
  value.remove_prefix(1);
  SeriesBlockDecoder columns[kColumns];
  bool empty = true;
  for (int c = 0; c < kColumns; ++c) {
    uint64_t n = 0;
    int shift = 0;
    while (true) {
      if (value.empty() || shift > 28) return false;
      const auto byte = static_cast<uint8_t>(value[0]);
      value.remove_prefix(1);
      n |= uint64_t(byte & 0x7f) << shift;
      shift += 7;
      if ((byte & 0x80) == 0) break;
    }
    if (n > value.size()) return false;
    if (c == 0) empty = n == 0;
    if ((n == 0) != empty) return false;
    if (n > 0 && (fields & (1 << c)) != 0 && !columns[c].Init(value.substr(0, n))) return false;
    value.remove_prefix(n);
  }
  if (!value.empty()) return false;
  if (empty) return true;
  int wanted[kColumns], n_wanted = 0;
  for (int c = 0; c < kColumns; ++c) {
    if ((fields & (1 << c)) == 0) continue;
    if (n_wanted > 0 && columns[c].count() != columns[wanted[0]].count()) return false;
    wanted[n_wanted++] = c;
  }
  // Fields not decoded stay 0 (count 1: not an empty bucket).
  SeriesBlockPoint p[kColumns] = {{0, 1}, {}, {}, {}, {}, {}, {}};
  SeriesBlockDecoder& lead = columns[wanted[0]];
  while (lead.Next(&p[wanted[0]])) {
    const uint16_t slot = p[wanted[0]].slot;
    for (int w = 1; w < n_wanted; ++w) {
      const int c = wanted[w];
      if (!columns[c].Next(&p[c]) || p[c].slot != slot) return false;
    }
    const double count = p[0].value, known = p[1].value, offset = p[2].value;
    if (!(count >= 1 && count <= UINT32_MAX && known >= 0 && known <= UINT32_MAX && offset >= 0 &&
          offset <= UINT16_MAX)) {
      return false;
    }
    RollupBucket b;
    b.count = uint32_t(count);
    b.known = uint32_t(known);
    b.last_offset = uint16_t(offset);
    b.sum = p[3].value;
    b.min = p[4].value;
    b.max = p[5].value;
    b.last = p[6].value;
    out->push_back({slot, b});
  }
  return !lead.corrupt();
}

}  // namespace detail

}  // namespace hourglass::store
