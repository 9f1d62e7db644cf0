// KeyTable: the aggregator's persistent per-key state, keyed by (type, key)
// and numbered with small dense ids that shards use to index their window
// buffers. Internal to aggregator/. Threads: the flush thread is the only
// writer and mutates the index only while holding every shard's mutex;
// receive threads look keys up (Find) while holding their own shard's mutex.
// Layout (about 40 bytes per key plus its bytes): see the DESIGN note in
// key_table.cc.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aggregator/sample.h"

namespace hourglass::aggregator {

// A key as looked up: the stored form is one type byte followed by the key.
struct TypedKeyView {
  MetricType type;
  std::string_view key;
};

inline TypedKeyView SplitTypedKey(std::string_view stored) {
  return {static_cast<MetricType>(stored.front() - '0'), stored.substr(1)};
}

inline std::string MakeTypedKey(MetricType type, std::string_view key) {
  std::string out;
  out.reserve(key.size() + 1);
  out.push_back(static_cast<char>('0' + static_cast<int>(type)));
  out.append(key);
  return out;
}

struct TypedKeyHash {
  using is_transparent = void;
  size_t operator()(TypedKeyView k) const {
    return std::hash<std::string_view>()(k.key) ^
           (static_cast<size_t>(k.type) * 0x9e3779b97f4a7c15ULL);
  }
  size_t operator()(const std::string& stored) const { return (*this)(SplitTypedKey(stored)); }
};

struct TypedKeyEq {
  using is_transparent = void;
  static TypedKeyView View(const std::string& s) { return SplitTypedKey(s); }
  static TypedKeyView View(TypedKeyView k) { return k; }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    const TypedKeyView x = View(a);
    const TypedKeyView y = View(b);
    return x.type == y.type && x.key == y.key;
  }
};

// Persistent state of one key (24 bytes).
struct KeyState {
  const char* key = nullptr;  // in the table's key arena; null for a free id
  double value = 0;  // counter: window sum; gauge: current value; timer: window count (sum 1/rate)
  uint32_t last_active = 0;  // number of the last flush whose window gave it samples
  MetricType type = MetricType::kCounter;
  bool touched : 1 = false;          // got samples in the window being flushed
  bool named : 1 = false;            // its series names were returned in new_names
  bool pinned : 1 = false;           // statsd.* self counters: never deleted or evicted
  bool gauge_has_value : 1 = false;  // gauge: a value exists (else a delta starts from 0)

  bool held() const { return key != nullptr; }
};
static_assert(sizeof(KeyState) <= 24);

class KeyTable {
 public:
  KeyTable();
  ~KeyTable();
  KeyTable(const KeyTable&) = delete;
  KeyTable& operator=(const KeyTable&) = delete;

  std::optional<uint32_t> Find(TypedKeyView key) const;
  // Returns the id of the key (stored form, MakeTypedKey), inserting it if
  // absent. Writer only.
  uint32_t Insert(std::string_view typed_key);
  // Frees the id for reuse. Writer only.
  void Erase(uint32_t id);

  // The key of a held id. Valid until the next Insert or Erase.
  TypedKeyView key(uint32_t id) const;
  size_t size() const { return size_; }
  size_t id_limit() const { return states_.size(); }
  KeyState& state(uint32_t id) { return states_[id]; }
  const KeyState& state(uint32_t id) const { return states_[id]; }

  // Keys the writer would evict to admit new ones past max_keys: published
  // after each flush so that receive threads admit that many new keys into
  // their pending maps. A hint (relaxed), the writer decides at interning.
  size_t evictable() const { return evictable_.load(std::memory_order_relaxed); }
  void set_evictable(size_t n) { evictable_.store(n, std::memory_order_relaxed); }

 private:
  class Arena;
  size_t Slot(TypedKeyView key, uint64_t hash) const;  // its slot, or the empty one ending its run
  void Grow();
  void Compact();

  std::vector<uint64_t> slots_;  // 0: empty; else (hash >> 32) << 32 | (id + 1)
  size_t size_ = 0;
  std::vector<KeyState> states_;
  std::vector<uint32_t> free_ids_;
  std::unique_ptr<Arena> arena_;
  std::atomic<size_t> evictable_{0};
};

}  // namespace hourglass::aggregator
