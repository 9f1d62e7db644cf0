#include "store/raw_heads.h"

#include <algorithm>

namespace hourglass::store {

bool RawHeads::Add(const DataKey& key, uint16_t slot, double value, RawCombine combine,
                   uint16_t schema, int64_t now) {
  Shard& shard = ShardFor(key);
  auto [found, fresh] = shard.heads.TryEmplace(Pack(key));
  if (fresh) shard.NoteBlock(key);
  Head& head = *found;
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
  shard.bytes = shard.bytes - before + head.block.bytes().size();
  return fresh;
}

bool RawHeads::Restore(const DataKey& key, RawCombine combine, uint16_t schema,
                       std::string_view block) {
  Head head;
  if (!SeriesBlockWriter::Resume(block, &head.block)) return false;
  head.combine = combine;
  head.schema = schema;
  Shard& shard = ShardFor(key);
  auto [slot, fresh] = shard.heads.TryEmplace(Pack(key));
  if (!fresh) shard.bytes -= slot->block.bytes().size();
  *slot = std::move(head);
  shard.NoteBlock(key);
  shard.bytes += slot->block.bytes().size();
  return true;
}

RawHeads::Sealed RawHeads::TakeOne(const DataKey& key, bool* found) {
  Shard& shard = ShardFor(key);
  Head* head = shard.heads.Find(Pack(key));
  *found = head != nullptr;
  if (!*found) return {};
  Sealed out = shard.Take(Pack(key), head);
  shard.heads.Erase(Pack(key));
  return out;
}

std::string_view RawHeads::Find(const DataKey& key) const {
  const Head* head = ShardFor(key).heads.Find(Pack(key));
  return head == nullptr ? std::string_view() : head->block.bytes();
}

}  // namespace hourglass::store
