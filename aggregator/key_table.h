// KeyTable: the aggregator's persistent per-key state, keyed by (type, key)
// and numbered with small dense ids that shards use to index their window
// buffers. Internal to aggregator/. Threads: the flush thread is the only
// writer and mutates the index only while holding every shard's mutex;
// receive threads look keys up (Find) while holding their own shard's mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
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
  const std::string* typed_key = nullptr;  // the index's key; null for a free id
  double value = 0;  // counter: window sum; gauge: current value; timer: window count (sum 1/rate)
  uint32_t last_active = 0;  // number of the last flush whose window gave it samples
  MetricType type = MetricType::kCounter;
  bool touched : 1 = false;          // got samples in the window being flushed
  bool named : 1 = false;            // its series names were returned in new_names
  bool pinned : 1 = false;           // statsd.* self counters: never deleted or evicted
  bool gauge_has_value : 1 = false;  // gauge: a value exists (else a delta starts from 0)
};
static_assert(sizeof(KeyState) <= 24);

class KeyTable {
 public:
  using Index = std::unordered_map<std::string, uint32_t, TypedKeyHash, TypedKeyEq>;

  std::optional<uint32_t> Find(TypedKeyView key) const {
    auto it = index_.find(key);
    if (it == index_.end()) return std::nullopt;
    return it->second;
  }
  // Returns the id of the key, inserting it if absent. Writer only.
  uint32_t Insert(std::string typed_key) {
    auto [it, inserted] = index_.try_emplace(std::move(typed_key), 0);
    if (!inserted) return it->second;
    uint32_t id;
    if (!free_ids_.empty()) {
      id = free_ids_.back();
      free_ids_.pop_back();
    } else {
      id = static_cast<uint32_t>(states_.size());
      states_.emplace_back();
    }
    it->second = id;
    KeyState& state = states_[id];
    state = KeyState();
    state.typed_key = &it->first;
    state.type = SplitTypedKey(it->first).type;
    return id;
  }
  // Frees the id for reuse. Writer only.
  void Erase(uint32_t id) {
    KeyState& state = states_[id];
    index_.erase(*state.typed_key);
    state = KeyState();
    free_ids_.push_back(id);
  }

  size_t size() const { return index_.size(); }
  // Keys the writer would evict to admit new ones past max_keys: published
  // after each flush so that receive threads admit that many new keys into
  // their pending maps. A hint (relaxed), the writer decides at interning.
  size_t evictable() const { return evictable_.load(std::memory_order_relaxed); }
  void set_evictable(size_t n) { evictable_.store(n, std::memory_order_relaxed); }
  size_t id_limit() const { return states_.size(); }
  KeyState& state(uint32_t id) { return states_[id]; }

 private:
  Index index_;
  std::vector<KeyState> states_;
  std::vector<uint32_t> free_ids_;
  std::atomic<size_t> evictable_{0};
};

}  // namespace hourglass::aggregator
