// SeriesStore reads: where a read goes (whisper's choice of resolution),
// and the values of one series over a range, from RocksDB blocks and the
// heads (folded into buckets for a rollup read) (see the DESIGN notes in
// series_store.cc and series_store_heads.cc). A range's blocks are fetched
// with one MultiGet of their span-aligned keys (no iterator), and 44-byte
// rollup records are read in place (FillFromRecords).
#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/snapshot.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "store/block_codec.h"
#include "store/data_key.h"
#include "store/series_store_impl.h"

namespace hourglass::store {
namespace {

// The fast form of a rollup read's most common value, a block of
// kTagRollupBlock records (44 bytes a bucket): the generic ForEachRollup
// callback's answer, without a division, a call or a bucket copy per record.
// `base` is the output index of the block's slot 0; open[i - open_first] is
// the heads' bucket for output index i, merged in (and emptied) as there.
// False, nothing written, unless `value` is such a block.
bool FillFromRecords(std::string_view value, int64_t base, const BucketValue& value_of,
                     std::vector<RollupBucket>& open, int64_t open_first,
                     std::vector<double>& values) {
  constexpr size_t kRecord = detail::kRollupBlockRecord;
  if (value.empty() || static_cast<uint8_t>(value[0]) != kTagRollupBlock) return false;
  const std::string_view body = value.substr(1);
  if (body.size() % kRecord != 0) return true;  // malformed: ForEachRollup reads nothing
  const uint64_t n = values.size();
  const auto open_size = static_cast<uint64_t>(open.size());
  for (const char *p = body.data(), *end = p + body.size(); p != end; p += kRecord) {
    const int64_t i = base + detail::Load<uint16_t>(p);
    if (static_cast<uint64_t>(i) >= n) continue;
    if (static_cast<uint64_t>(i - open_first) < open_size) {
      RollupBucket b = detail::DecodeBlockRecord(p);
      b.Merge(std::exchange(open[static_cast<size_t>(i - open_first)], RollupBucket{}));
      values[static_cast<size_t>(i)] = value_of(b);
    } else {
      // A local bucket: only the fields value_of reads are loaded.
      values[static_cast<size_t>(i)] = value_of(detail::DecodeBlockRecord(p));
    }
  }
  return true;
}

// Folds the points of one head (a raw series block starting at
// `block_start`) into open[i - open_first], the buckets of out's step for
// output index i. One division per bucket, not per point.
void FoldHead(int64_t block_start, std::string_view head, int64_t raw_step, const SeriesData& out,
              int64_t open_first, std::vector<RollupBucket>& open) {
  const int64_t step = out.step;
  int64_t i = 0, bucket = 0, bucket_end = 0;  // [bucket, bucket_end): output index i
  int64_t slot_shift = 0;  // raw offset in the bucket = slot + slot_shift, when exact
  bool exact = false;
  ForEachRaw(head, [&](uint16_t slot, double v) {
    const int64_t t = block_start + slot * raw_step;
    if (t < out.start || t >= out.end) return;
    if (t < bucket || t >= bucket_end) {
      i = (t - out.start) / step;
      bucket = out.start + i * step;
      bucket_end = bucket + step;
      exact = (block_start - bucket) % raw_step == 0;
      slot_shift = (block_start - bucket) / raw_step;
    }
    const int64_t offset = exact ? slot + slot_shift : (t - bucket) / raw_step;
    open[size_t(i - open_first)].Merge(RollupBucket::Point(v, uint16_t(offset), 1));
  });
}

// Past this many blocks in a range (a read of years at 10 min), one iterator
// visiting the blocks that exist beats a key lookup per span.
constexpr int64_t kMultiGetMaxBlocks = 32;

// Calls fn(block start, value) for each block stored under `first`'s
// resolution and series from first.block_start to `upper` (exclusive), in
// order. Up to kMultiGetMaxBlocks spans: MultiGet of every `span`-aligned key
// (every writer keys blocks at multiples of their span), no iterator, seek or
// readahead; a missing key is skipped. Longer ranges: an iterator over the
// key range. A block that cannot be read (I/O error, corruption) is the
// error returned: the read fails rather than answer without it.
template <typename Fn>
rocksdb::Status ForEachStoredBlock(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* family,
                                   const rocksdb::ReadOptions& ro, DataKey first, int64_t upper,
                                   int64_t span, Fn&& fn) {
  if ((upper - first.block_start) / span > kMultiGetMaxBlocks) {
    char lo[kDataKeySize], hi[kDataKeySize];
    first.EncodeTo(lo);
    DataKey{first.resolution, first.series_id, uint32_t(upper)}.EncodeTo(hi);
    const rocksdb::Slice upper_key(hi, kDataKeySize);
    rocksdb::ReadOptions scan = ro;
    scan.iterate_upper_bound = &upper_key;
    scan.prefix_same_as_start = true;
    std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(scan, family));
    for (it->Seek(rocksdb::Slice(lo, kDataKeySize)); it->Valid(); it->Next()) {
      DataKey key;
      if (!DataKey::Decode({it->key().data(), it->key().size()}, &key)) continue;
      fn(int64_t(key.block_start), std::string_view(it->value().data(), it->value().size()));
    }
    return it->status();
  }
  constexpr size_t kBatch = kMultiGetMaxBlocks + 1;
  char keys[kBatch][kDataKeySize];
  rocksdb::Slice slices[kBatch];
  rocksdb::PinnableSlice values[kBatch];
  rocksdb::Status statuses[kBatch];
  size_t n = 0;
  for (int64_t block = first.block_start; block < upper; block += span, ++n) {
    DataKey{first.resolution, first.series_id, uint32_t(block)}.EncodeTo(keys[n]);
    slices[n] = rocksdb::Slice(keys[n], kDataKeySize);
  }
  db.MultiGet(ro, family, n, slices, values, statuses, /*sorted_input=*/true);
  for (size_t i = 0; i < n; ++i) {
    if (!statuses[i].ok() && !statuses[i].IsNotFound()) return statuses[i];
  }
  for (size_t i = 0; i < n; ++i) {
    if (statuses[i].ok()) {
      fn(first.block_start + int64_t(i) * span,
         std::string_view(values[i].data(), values[i].size()));
    }
  }
  return rocksdb::Status::OK();
}

}  // namespace

rocksdb::Status SeriesStore::Impl::FillValues(const ReadPlan& plan, const AggregationRule& rule,
                                              SeriesData* out) const {
  const uint8_t resolution = plan.resolution;
  const uint64_t id = plan.id;
  const int64_t step = out->step, span = step * kSlotsPerBlock;
  const int64_t raw_step = layout_.resolutions()[resolution].raw_step;
  const int64_t ratio = step / raw_step;
  const bool raw = ratio == 1;
  const BucketValue value_of(rule.method, rule.x_files_factor, ratio);
  const int64_t first_block = out->start - out->start % span;
  const int64_t last = out->end - step;
  const int64_t upper_block = std::min<int64_t>(last - last % span + span, UINT32_MAX);
  rocksdb::ReadOptions ro;
  // The series' heads (its open raw blocks) over the range and the snapshot
  // are taken together: a sealed point is either still in a head or already
  // in the snapshot (raw block and rollups alike), never both or neither.
  std::vector<std::pair<int64_t, std::string>> heads;  // (block start, series block)
  std::unique_ptr<rocksdb::ManagedSnapshot> snapshot;
  if (HasHeads(plan.raw)) {
    std::shared_lock lock(heads_mu_);
    const int64_t raw_span = raw_step * kSlotsPerBlock;
    // Only blocks from the oldest head on: usually the last one or two.
    const int64_t first =
        std::max<int64_t>(out->start - out->start % raw_span, heads_.oldest_block(plan.raw));
    const int64_t end = std::min<int64_t>(out->end, UINT32_MAX);
    for (int64_t b = first; b < end; b += raw_span) {
      std::string_view head = heads_.Find({plan.raw, id, uint32_t(b)});
      if (!head.empty()) heads.emplace_back(b, std::string(head));
    }
    if (!heads.empty()) snapshot = std::make_unique<rocksdb::ManagedSnapshot>(db_.get());
  }
  if (snapshot) ro.snapshot = snapshot->snapshot();
  // A rollup read folds the heads' points into buckets of its step first:
  // open[i - open_first] for output index i (only the span the heads cover,
  // usually the last hour or two of the range).
  std::vector<RollupBucket> open;
  int64_t open_first = 0;
  if (!raw && !heads.empty()) {
    const int64_t first_t = std::max<int64_t>(heads.front().first, out->start);
    open_first = std::max<int64_t>(0, (first_t - out->start) / step);
    open.resize(out->values.size() - size_t(std::min<int64_t>(open_first, out->values.size())));
    for (const auto& head : heads)
      FoldHead(head.first, head.second, raw_step, *out, open_first, open);
  }
  // Only the fields the rule reads are decoded: enough to merge a head's
  // bucket in too (BucketValue::fields).
  const uint8_t fields = value_of.fields();
  auto index = [&](int64_t t) -> int64_t {
    return t >= out->start && t < out->end ? (t - out->start) / step : -1;
  };
  auto apply_block = [&](int64_t block_start, std::string_view value) {
    if (raw) {
      ForEachRaw(value, [&](uint16_t slot, double v) {
        if (const int64_t i = index(block_start + slot * step); i >= 0) out->values[i] = v;
      });
      return;
    }
    // Block starts are multiples of the span, so of the step, as out->start
    // is: output index = base + slot, exactly as index() computes it.
    const int64_t offset = block_start - out->start;
    if (offset % step == 0 &&
        FillFromRecords(value, offset / step, value_of, open, open_first, out->values)) {
      return;
    }
    ForEachRollup(
        value,
        [&](uint16_t slot, RollupBucket b) {
          const int64_t i = index(block_start + slot * step);
          if (i < 0) return;
          if (i >= open_first && size_t(i - open_first) < open.size()) {
            b.Merge(std::exchange(open[i - open_first], RollupBucket{}));
          }
          out->values[i] = value_of(b);
        },
        fields);
  };
  const rocksdb::Status read =
      ForEachStoredBlock(*db_, data_, ro, DataKey{resolution, id, uint32_t(first_block)},
                         upper_block, span, apply_block);
  if (!read.ok()) return read;
  if (!raw) {
    for (size_t i = 0; i < open.size(); ++i) {
      if (open[i].count > 0) out->values[open_first + i] = value_of(open[i]);
    }
    return rocksdb::Status::OK();
  }
  // A head for a block already in RocksDB (a late point after its seal, or a
  // block a v1 store began) combines with it by the series' rule, as the
  // sealed operand will.
  const RawCombine combine = RawCombineFor(rule.method);
  for (const auto& head : heads) {
    const int64_t block_start = head.first;
    ForEachRaw(head.second, [&](uint16_t slot, double v) {
      const int64_t i = index(block_start + slot * step);
      if (i < 0) return;
      double& cur = out->values[i];
      cur = std::isnan(cur) ? v : CombineRaw(combine, cur, v);
    });
  }
  return rocksdb::Status::OK();
}

SeriesStore::Impl::ReadPlan SeriesStore::Impl::PlanRead(std::string_view name, int64_t from,
                                                        int64_t until, int64_t now) const {
  ReadPlan plan;
  const std::string canonical = CanonicalName(name);
  plan.id = SeriesId(canonical);
  const SeriesClass c = ClassOf(plan.id, canonical);
  plan.rule = c.rule;
  const ResolutionLayout::Schema& schema = layout_.schemas()[c.schema];
  const auto& rs = schema.retentions;
  plan.shape = {std::string(name), from, until, rs[0].step, {}};
  const int64_t oldest = now - rs.back().duration;
  if (from > now || until < oldest) return plan;  // whisper returns None
  from = std::max(from, oldest);
  until = std::min(until, now);
  size_t resolution = 0;
  while (resolution + 1 < rs.size() && rs[resolution].duration < now - from) ++resolution;
  const int64_t step = rs[resolution].step;
  plan.resolution = schema.ids[resolution];
  plan.raw = schema.ids[0];
  plan.shape.step = step;
  plan.shape.start = from - from % step + step;
  plan.shape.end = until - until % step + step;
  if (plan.shape.start == plan.shape.end) plan.shape.end += step;
  plan.length = static_cast<size_t>((plan.shape.end - plan.shape.start) / step);
  return plan;
}

common::Result<SeriesData> SeriesStore::Impl::Read(std::string_view name, int64_t from,
                                                   int64_t until, int64_t now) const {
  if (from > until) {
    return common::Status::Error(
        fmt::format("invalid time interval: from {} > until {}", from, until));
  }
  std::shared_lock db_lock(db_mu_);
  if (db_ == nullptr) return common::Status::Error(Unavailable());
  ReadPlan plan = PlanRead(name, from, until, now);
  SeriesData out = std::move(plan.shape);
  if (plan.length == 0) return out;
  out.values.assign(plan.length, std::numeric_limits<double>::quiet_NaN());
  if (out.start < 0 || out.end > std::numeric_limits<uint32_t>::max()) return out;
  if (const rocksdb::Status s = FillValues(plan, rules_.Rule(plan.rule), &out); !s.ok()) {
    read_errors_.Add();
    return common::Status::Error(
        fmt::format("cannot read '{}' from the metric store: {}", name, s.ToString()));
  }
  return out;
}

size_t SeriesStore::Impl::ReadLength(std::string_view name, int64_t from, int64_t until,
                                     int64_t now) const {
  return from > until ? 0 : PlanRead(name, from, until, now).length;
}

}  // namespace hourglass::store
