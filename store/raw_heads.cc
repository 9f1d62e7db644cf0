#include "store/raw_heads.h"

#include <algorithm>

namespace hourglass::store {
namespace {

double Combine(RawCombine combine, double old_value, double new_value) {
  switch (combine) {
    case RawCombine::kSum:
      return old_value + new_value;
    case RawCombine::kMin:
      return std::min(old_value, new_value);
    case RawCombine::kMax:
      return std::max(old_value, new_value);
    case RawCombine::kLast:
      break;
  }
  return new_value;
}

}  // namespace

void RawHeads::Add(const DataKey& key, uint16_t slot, double value, RawCombine combine) {
  Head& head = heads_[Pack(key)];
  head.combine = combine;
  head.dirty = true;
  const size_t before = head.block.bytes().size();
  if (!head.block.Append(slot, value)) {
    // An earlier or repeated slot: decode, merge, re-encode.
    std::string bytes(head.block.bytes());
    if (PatchSeriesBlock(&bytes, slot, value,
                         [combine](double o, double n) { return Combine(combine, o, n); })) {
      SeriesBlockWriter::Resume(bytes, &head.block);
    }
  }
  bytes_ = bytes_ - before + head.block.bytes().size();
}

bool RawHeads::Restore(const DataKey& key, RawCombine combine, std::string_view block) {
  Head head;
  if (!SeriesBlockWriter::Resume(block, &head.block)) return false;
  head.combine = combine;
  head.dirty = false;
  auto [it, fresh] = heads_.insert_or_assign(Pack(key), std::move(head));
  bytes_ += it->second.block.bytes().size();
  return true;
}

std::vector<RawHeads::Sealed> RawHeads::TakeBefore(uint8_t resolution, int64_t before) {
  std::vector<Sealed> out;
  for (auto it = heads_.begin(); it != heads_.end();) {
    const DataKey key = Unpack(it->first);
    if (key.resolution != resolution || int64_t(key.block_start) >= before) {
      ++it;
      continue;
    }
    bytes_ -= it->second.block.bytes().size();
    out.push_back({key, it->second.combine, std::string(it->second.block.bytes())});
    it = heads_.erase(it);
  }
  std::sort(out.begin(), out.end(), [](const Sealed& a, const Sealed& b) {
    return a.key.series_id != b.key.series_id ? a.key.series_id < b.key.series_id
                                              : a.key.block_start < b.key.block_start;
  });
  return out;
}

std::string_view RawHeads::Find(const DataKey& key) const {
  auto it = heads_.find(Pack(key));
  return it == heads_.end() ? std::string_view() : it->second.block.bytes();
}

}  // namespace hourglass::store
