// DESIGN
//
// Memory per key is what bounds statsd.max_keys, so the table avoids a node
// per key. Three parts:
// - states_: one 24-byte KeyState per id (ids are dense; freed ids are
//   reused first).
// - the arena: each key's bytes (a 4-byte length, the type byte, the key),
//   packed into 64 KiB blocks. An erased key's bytes become garbage; when
//   the garbage outgrows the live bytes the live keys are copied into fresh
//   blocks (amortised O(1) per erase, under the writer's locks like any
//   other change).
// - slots_: an open-addressing index of 8-byte slots (high half of the
//   key's hash, id + 1), linear probing at a load of at most 3/4, deletion by
//   backward shift (no tombstones). The stored hash half places a slot, so
//   growing never rereads a key, and a probe compares keys only on a match
//   of those 32 bits.

#include "aggregator/key_table.h"

#include <cstring>

namespace hourglass::aggregator {
namespace {

constexpr size_t kBlockBytes = 64 * 1024;
constexpr size_t kEntryHeader = sizeof(uint32_t) + 1;  // length, type byte
constexpr size_t kMinSlots = 64;

uint32_t EntryKeyLength(const char* entry) {
  uint32_t n;
  std::memcpy(&n, entry, sizeof n);
  return n;
}

TypedKeyView EntryView(const char* entry) {
  return {static_cast<MetricType>(entry[sizeof(uint32_t)]),
          std::string_view(entry + kEntryHeader, EntryKeyLength(entry))};
}

uint32_t SlotHash(uint64_t slot) { return static_cast<uint32_t>(slot >> 32); }
uint32_t SlotId(uint64_t slot) { return static_cast<uint32_t>(slot) - 1; }

}  // namespace

class KeyTable::Arena {
 public:
  const char* Add(TypedKeyView key) {
    const size_t need = kEntryHeader + key.key.size();
    if (blocks_.empty() || block_size_ - used_ < need) {
      block_size_ = std::max(kBlockBytes, need);
      blocks_.push_back(std::make_unique<char[]>(block_size_));
      used_ = 0;
    }
    char* entry = blocks_.back().get() + used_;
    used_ += need;
    live_ += need;
    const auto n = static_cast<uint32_t>(key.key.size());
    std::memcpy(entry, &n, sizeof n);
    entry[sizeof n] = static_cast<char>(key.type);
    std::memcpy(entry + kEntryHeader, key.key.data(), key.key.size());
    return entry;
  }
  void Free(const char* entry) {
    const size_t n = kEntryHeader + EntryKeyLength(entry);
    live_ -= n;
    garbage_ += n;
  }
  bool WantsCompaction() const { return garbage_ > kBlockBytes && garbage_ > live_; }

 private:
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t block_size_ = 0, used_ = 0;
  size_t live_ = 0, garbage_ = 0;
};

KeyTable::KeyTable() : slots_(kMinSlots, 0), arena_(std::make_unique<Arena>()) {}
KeyTable::~KeyTable() = default;

TypedKeyView KeyTable::key(uint32_t id) const { return EntryView(states_[id].key); }

size_t KeyTable::Slot(TypedKeyView key, uint64_t hash) const {
  const uint32_t tag = static_cast<uint32_t>(hash >> 32);
  const size_t mask = slots_.size() - 1;
  for (size_t i = tag & mask;; i = (i + 1) & mask) {
    const uint64_t slot = slots_[i];
    if (slot == 0) return i;
    if (SlotHash(slot) != tag) continue;
    const TypedKeyView held = EntryView(states_[SlotId(slot)].key);
    if (held.type == key.type && held.key == key.key) return i;
  }
}

std::optional<uint32_t> KeyTable::Find(TypedKeyView key) const {
  const uint64_t slot = slots_[Slot(key, TypedKeyHash()(key))];
  if (slot == 0) return std::nullopt;
  return SlotId(slot);
}

uint32_t KeyTable::Insert(std::string_view typed_key) {
  const TypedKeyView key = SplitTypedKey(typed_key);
  const uint64_t hash = TypedKeyHash()(key);
  size_t i = Slot(key, hash);
  if (slots_[i] != 0) return SlotId(slots_[i]);
  if ((size_ + 1) * 4 > slots_.size() * 3) {
    Grow();
    i = Slot(key, hash);
  }
  uint32_t id;
  if (!free_ids_.empty()) {
    id = free_ids_.back();
    free_ids_.pop_back();
  } else {
    id = static_cast<uint32_t>(states_.size());
    states_.emplace_back();
  }
  slots_[i] = (hash >> 32) << 32 | (uint64_t{id} + 1);
  ++size_;
  KeyState& state = states_[id];
  state = KeyState();
  state.key = arena_->Add(key);
  state.type = key.type;
  return id;
}

void KeyTable::Erase(uint32_t id) {
  const TypedKeyView key = EntryView(states_[id].key);
  size_t hole = Slot(key, TypedKeyHash()(key));
  // Backward shift: pull later slots of the run into the hole unless their
  // home lies cyclically in (hole, j].
  const size_t mask = slots_.size() - 1;
  for (size_t j = (hole + 1) & mask; slots_[j] != 0; j = (j + 1) & mask) {
    const size_t home = SlotHash(slots_[j]) & mask;
    const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (stays) continue;
    slots_[hole] = slots_[j];
    hole = j;
  }
  slots_[hole] = 0;
  --size_;
  arena_->Free(states_[id].key);
  states_[id] = KeyState();
  free_ids_.push_back(id);
  if (arena_->WantsCompaction()) Compact();
}

void KeyTable::Grow() {
  std::vector<uint64_t> old(slots_.size() * 2, 0);
  old.swap(slots_);
  const size_t mask = slots_.size() - 1;
  for (uint64_t slot : old) {
    if (slot == 0) continue;
    size_t i = SlotHash(slot) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

void KeyTable::Compact() {
  auto fresh = std::make_unique<Arena>();
  for (KeyState& state : states_) {
    if (state.held()) state.key = fresh->Add(EntryView(state.key));
  }
  arena_ = std::move(fresh);
}

}  // namespace hourglass::aggregator
