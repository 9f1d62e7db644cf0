// SeenSet: a bounded set of 64-bit name hashes, to tell a name not passed on
// before ("is this name new?"). When it holds its maximum it is cleared, so
// names are passed on again (callers' writes are idempotent) and memory stays
// bounded. Not thread-safe: the owner guards it with its own mutex.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/dense_hash_map.h"

namespace hourglass::common {

class SeenSet {
 public:
  explicit SeenSet(size_t max_size) : max_size_(max_size) {}

  bool Contains(uint64_t id) const { return ids_.Find(id) != nullptr; }
  // Adds `id`; true if it was not there. A set already holding max_size ids
  // is cleared first, so it never holds more.
  bool Insert(uint64_t id) {
    if (Contains(id)) return false;
    if (ids_.size() >= max_size_) ids_.Clear();
    ids_.TryEmplace(id);
    return true;
  }
  // Forgets `id` (its write failed, so it must be passed on again).
  void Erase(uint64_t id) { ids_.Erase(id); }
  size_t size() const { return ids_.size(); }

 private:
  struct Mix {  // murmur's finalizer: callers' ids need not be spread already
    uint64_t operator()(uint64_t x) const {
      x ^= x >> 33;
      x *= 0xff51afd7ed558ccdull;
      return x ^ (x >> 33);
    }
  };
  const size_t max_size_;
  common::DenseHashMap<uint64_t, bool, Mix> ids_;  // the value is unused
};

}  // namespace hourglass::common
