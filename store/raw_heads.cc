#include "store/raw_heads.h"

#include <algorithm>

namespace hourglass::store {

bool RawHeads::Add(const DataKey& key, uint16_t slot, double value, RawCombine combine,
                   uint16_t schema, int64_t now) {
  auto [it, fresh] = heads_.try_emplace(Pack(key));
  if (fresh) NoteBlock(key);
  Head& head = it->second;
  head.combine = combine;
  head.schema = schema;
  head.touched = now;
  const size_t before = head.block.bytes().size();
  if (!head.block.Append(slot, value)) {
    // An earlier or repeated slot: decode, merge, re-encode.
    std::string bytes(head.block.bytes());
    if (PatchSeriesBlock(&bytes, slot, value,
                         [combine](double o, double n) { return CombineRaw(combine, o, n); })) {
      SeriesBlockWriter::Resume(bytes, &head.block);
    }
  }
  bytes_ = bytes_ - before + head.block.bytes().size();
  return fresh;
}

bool RawHeads::Restore(const DataKey& key, RawCombine combine, uint16_t schema,
                       std::string_view block) {
  Head head;
  if (!SeriesBlockWriter::Resume(block, &head.block)) return false;
  head.combine = combine;
  head.schema = schema;
  auto [it, fresh] = heads_.insert_or_assign(Pack(key), std::move(head));
  NoteBlock(key);
  bytes_ += it->second.block.bytes().size();
  return true;
}

RawHeads::Sealed RawHeads::TakeOne(const DataKey& key, bool* found) {
  auto it = heads_.find(Pack(key));
  *found = it != heads_.end();
  if (!*found) return {};
  Sealed out = Take(it);
  heads_.erase(it);
  return out;
}

std::string_view RawHeads::Find(const DataKey& key) const {
  auto it = heads_.find(Pack(key));
  return it == heads_.end() ? std::string_view() : it->second.block.bytes();
}

}  // namespace hourglass::store
