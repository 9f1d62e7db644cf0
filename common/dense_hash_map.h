// DenseHashMap: a hash map for millions of small entries (the store's heads
// and series classes, keyed by 64-bit hashes): the entries sit densely in
// chunks of 4096 (growing never copies them), and an open-addressed index of
// 8-byte slots (32 bits of the hash, 32 bits of entry position) finds them
// with linear probing. A lookup touches one index slot and one entry; an
// entry costs sizeof(key + value) plus 8 to 16 bytes of index, against a
// node, a bucket and malloc's overhead in std::unordered_map. Erasing moves
// the last entry into the hole, so positions change; pointers to entries are
// valid until that entry is erased or moved. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace hourglass::common {

// Hash must spread its 64 bits well (the index uses the top 32 of them).
template <typename Key, typename Value, typename Hash>
class DenseHashMap {
 public:
  struct Entry {
    Key key;
    Value value;
  };

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Entry i < size(), in no particular order.
  Entry& At(size_t i) { return chunks_[i >> kChunkBits][i & (kChunk - 1)]; }
  const Entry& At(size_t i) const { return chunks_[i >> kChunkBits][i & (kChunk - 1)]; }

  Value* Find(const Key& key) {
    const size_t i = FindIndex(key);
    return i == kNone ? nullptr : &At(i).value;
  }
  const Value* Find(const Key& key) const {
    const size_t i = FindIndex(key);
    return i == kNone ? nullptr : &At(i).value;
  }

  // Hints for a lookup of `key` a few lookups from now (a table of millions
  // misses the cache on every lookup): PrefetchSlot loads the index slot,
  // PrefetchEntry (after PrefetchSlot, later) the entry its home slot names.
  void PrefetchSlot(const Key& key) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[Home(Tag(key))]);
  }
  void PrefetchEntry(const Key& key) const {
    if (slots_.empty()) return;
    const uint64_t slot = slots_[Home(Tag(key))];
    if (slot != 0) __builtin_prefetch(&At(uint32_t(slot) - 1));
  }

  // The entry of `key`, inserted value-initialized if absent (then second is
  // true).
  std::pair<Value*, bool> TryEmplace(const Key& key) {
    if ((size_ + 1) * 2 > slots_.size()) Grow();
    const uint32_t tag = Tag(key);
    for (size_t s = Home(tag);; s = (s + 1) & mask_) {
      const uint64_t slot = slots_[s];
      if (slot == 0) {
        if ((size_ >> kChunkBits) == chunks_.size()) {
          chunks_.push_back(std::make_unique<Entry[]>(kChunk));
        }
        Entry& e = At(size_++);
        e.key = key;
        e.value = Value();
        slots_[s] = (uint64_t(tag) << 32) | uint32_t(size_);
        return {&e.value, true};
      }
      if (uint32_t(slot >> 32) == tag && At(uint32_t(slot) - 1).key == key) {
        return {&At(uint32_t(slot) - 1).value, false};
      }
    }
  }

  // Removes `key`'s entry; false if absent.
  bool Erase(const Key& key) {
    const size_t i = FindIndex(key);
    if (i == kNone) return false;
    EraseAt(i);
    return true;
  }
  // Removes At(i): the last entry moves to position i.
  void EraseAt(size_t i) {
    RemoveSlot(SlotOf(i));
    const size_t last = size_ - 1;
    if (i != last) {
      const size_t s = SlotOf(last);
      slots_[s] = (slots_[s] & ~uint64_t(0xffffffff)) | uint32_t(i + 1);
      At(i) = std::move(At(last));
    }
    At(last) = Entry();  // frees what the value held
    --size_;
    if (size_ + kChunk <= (chunks_.size() - 1) * kChunk) chunks_.pop_back();  // one spare
  }

  void Clear() {
    chunks_.clear();
    chunks_.shrink_to_fit();
    slots_.clear();
    slots_.shrink_to_fit();
    mask_ = 0;
    size_ = 0;
  }
  // Bytes held by the chunks and the index (not what values point to).
  size_t MemoryBytes() const {
    return chunks_.size() * kChunk * sizeof(Entry) + slots_.capacity() * sizeof(uint64_t);
  }

 private:
  static constexpr size_t kChunkBits = 12;
  static constexpr size_t kChunk = size_t(1) << kChunkBits;
  static constexpr size_t kNone = SIZE_MAX;
  static uint32_t Tag(const Key& key) { return uint32_t(Hash()(key) >> 32); }
  size_t Home(uint32_t tag) const { return tag & mask_; }

  size_t FindIndex(const Key& key) const {
    if (slots_.empty()) return kNone;
    const uint32_t tag = Tag(key);
    for (size_t s = Home(tag);; s = (s + 1) & mask_) {
      const uint64_t slot = slots_[s];
      if (slot == 0) return kNone;
      if (uint32_t(slot >> 32) == tag && At(uint32_t(slot) - 1).key == key) {
        return uint32_t(slot) - 1;
      }
    }
  }
  // The index slot pointing at At(i).
  size_t SlotOf(size_t i) const {
    for (size_t s = Home(Tag(At(i).key));; s = (s + 1) & mask_) {
      if (uint32_t(slots_[s]) == i + 1) return s;
    }
  }
  // Linear probing's deletion: shift later slots of the run back into the
  // hole when their home allows it, so no tombstones are needed.
  void RemoveSlot(size_t hole) {
    for (size_t s = (hole + 1) & mask_; slots_[s] != 0; s = (s + 1) & mask_) {
      const size_t home = Home(uint32_t(slots_[s] >> 32));
      // Movable if home is not in the cyclic range (hole, s].
      if (((s - home) & mask_) >= ((s - hole) & mask_)) {
        slots_[hole] = slots_[s];
        hole = s;
      }
    }
    slots_[hole] = 0;
  }
  void Grow() {
    const size_t capacity = slots_.empty() ? 16 : slots_.size() * 2;
    slots_.assign(capacity, 0);
    mask_ = capacity - 1;
    for (size_t i = 0; i < size_; ++i) {
      const uint32_t tag = Tag(At(i).key);
      size_t s = Home(tag);
      while (slots_[s] != 0) s = (s + 1) & mask_;
      slots_[s] = (uint64_t(tag) << 32) | uint32_t(i + 1);
    }
  }

  std::vector<std::unique_ptr<Entry[]>> chunks_;
  size_t size_ = 0;
  std::vector<uint64_t> slots_;  // (tag << 32) | (position + 1); 0: empty
  size_t mask_ = 0;
};

}  // namespace hourglass::common
