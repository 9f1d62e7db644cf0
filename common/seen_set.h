// SeenSet: a bounded set of 64-bit name hashes, to tell a name not passed on
// before ("is this name new?"). When it holds its maximum it is cleared, so
// names are passed on again (callers' writes are idempotent) and memory stays
// bounded. Not thread-safe: the owner guards it with its own mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_set>

namespace hourglass::common {

class SeenSet {
 public:
  explicit SeenSet(size_t max_size) : max_size_(max_size) {}

  bool Contains(uint64_t id) const { return ids_.contains(id); }
  // Adds `id`; true if it was not there. A set already holding max_size ids
  // is cleared first, so it never holds more.
  bool Insert(uint64_t id) {
    if (ids_.contains(id)) return false;
    if (ids_.size() >= max_size_) ids_.clear();
    ids_.insert(id);
    return true;
  }
  // Forgets `id` (its write failed, so it must be passed on again).
  void Erase(uint64_t id) { ids_.erase(id); }
  size_t size() const { return ids_.size(); }

 private:
  const size_t max_size_;
  std::unordered_set<uint64_t> ids_;
};

}  // namespace hourglass::common
