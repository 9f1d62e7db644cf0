// DESIGN
//
// Keys. KeyTable maps (type, sanitized key) to a dense id and holds each
// key's persistent state (24 bytes, plus the key's bytes in an arena and an
// 8-byte slot of an open-addressing index: see key_table.cc). Only the flush
// thread changes the index, and only while holding every shard's mutex, so a
// receive thread may look keys up while holding just its own shard's mutex
// (which it does for a whole receive batch).
//
// Windows. A shard accumulates into a ShardWindow: a dense vector of 16-byte
// accumulators indexed by key id (grown on demand), a log of (id, value) for
// timer values, per-id member sets, and a `pending` map for keys the table
// does not know yet (the only place a shard allocates a key string).
//
// Flush. For each shard in turn: swap its window with the flush thread's
// spare under the shard's mutex (a few pointer swaps), then merge it outside
// the lock and reset it (buffers keep their capacity, so the next swap hands
// the shard warm buffers). Pending keys are then interned under all shard
// mutexes (only new keys cost this). Timer values are sorted once by (id,
// value) and every key's series are emitted in id order. Keys idle under a
// delete_* option are erased under all shard mutexes unless a sample reached
// them since the swap (then they live on into the next window).
//
// Eviction. Idle keys keep being reported (etsy's default) only while there
// is room. Each key remembers the last flush whose window gave it samples.
// When the table is near max_keys, the emit pass (which visits every key
// anyway) lists the keys that will have been idle evict_idle_windows windows
// by the next flush, and publishes their number: shards admit that many new
// keys past max_keys into their pending maps. At the next flush each pending
// key that finds the table full takes the id of one of the listed keys idle
// longest (nth_element picks as many as there are pending keys: linear in
// the list, and only when keys are evicted), if that key is still idle and
// no sample reached it since the swap; otherwise the new key is dropped and
// counted.

#include "aggregator/aggregator.h"

#include <algorithm>
#include <span>

#include "aggregator/series_namer.h"
#include "aggregator/shard_window.h"
#include "aggregator/timer_stats.h"

namespace hourglass::aggregator {
namespace {

constexpr std::string_view kPacketsReceived = "statsd.packets_received";
constexpr std::string_view kMetricsReceived = "statsd.metrics_received";
constexpr std::string_view kBadLinesSeen = "statsd.bad_lines_seen";

// Locks every shard's mutex in index order: the key table's writer section.
class AllShardsLock {
 public:
  explicit AllShardsLock(std::vector<std::unique_ptr<Shard>>& shards) : shards_(shards) {
    for (auto& shard : shards_) shard->impl().mu.lock();
  }
  ~AllShardsLock() {
    for (auto it = shards_.rbegin(); it != shards_.rend(); ++it) (*it)->impl().mu.unlock();
  }

 private:
  std::vector<std::unique_ptr<Shard>>& shards_;
};

void MergeAccInto(Acc& dst, const Acc& src, MetricType type) {
  if (type == MetricType::kGauge && src.gauge_absolute) {
    dst.value = src.value;
    dst.gauge_absolute = true;
  } else {
    dst.value += src.value;
  }
  dst.samples += src.samples;
}

// Windows without samples after which a key may be evicted (at least one).
uint32_t EvictIdleWindows(const AggregatorOptions& options) {
  return static_cast<uint32_t>(std::clamp<size_t>(options.evict_idle_windows, 1, 1u << 30));
}

void MergeMembers(MemberSet& dst, MemberSet&& src, size_t limit) {
  if (dst.empty()) {
    dst = std::move(src);
    return;
  }
  for (auto it = src.begin(); it != src.end() && dst.size() < limit;) {
    auto next = std::next(it);
    dst.insert(src.extract(it));
    it = next;
  }
}

}  // namespace

class Aggregator::State {
 public:
  State(AggregatorOptions options, size_t shard_count, common::StatsRegistry& stats);
  FlushResult Flush(int64_t timestamp_s, double window_s);

 private:
  struct Emitter {
    FlushResult& result;
    int64_t timestamp;
    void Add(std::string name, double value) {
      result.points.push_back({std::move(name), timestamp, value});
    }
  };

  void CollectShard(Shard::Impl& impl);
  void MergeKeyAcc(KeyState& state, const Acc& acc);
  void InternPending();
  void EmitAll(Emitter& out, double window_s);
  bool EmitKey(uint32_t id, KeyState& state, Emitter& out, double window_s, size_t& cursor);
  void EmitTimer(uint32_t id, std::string_view key, Emitter& out, double count, double window_s,
                 size_t& cursor);
  void AddNewNames(const KeyState& state, std::string_view key, size_t first_point,
                   FlushResult& result);
  void DeleteIdle();
  bool LiveInShards(uint32_t id);
  bool EvictOne(size_t want);
  bool CanEvict(uint32_t id);

  AggregatorOptions options_;
  KeyTable table_;
  SeriesNamer namer_;
  TimerStatsCalculator timer_calc_;
  common::Counter& keys_dropped_;
  common::Gauge& unique_keys_;
  common::Counter& keys_evicted_;
  ShardStats shard_stats_;

  // Flush-thread scratch, kept across flushes for their capacity.
  ShardWindow spare_;
  std::vector<TimerValue> timer_buf_;
  std::unordered_map<uint32_t, MemberSet> set_buf_;
  PendingMap pending_buf_;
  std::vector<std::pair<uint32_t, PendingKey>> interned_;
  std::vector<uint32_t> delete_candidates_;
  // Keys idle long enough to be evicted at the next flush, and how far this
  // flush got through them (evictable_[0, evict_next_) tried, and
  // [evict_next_, evict_picked_) the oldest of the rest, in no order).
  std::vector<uint32_t> evictable_;
  size_t evict_next_ = 0, evict_picked_ = 0;
  uint32_t flushes_ = 0;  // flushes so far, this one included: the window's number
  std::vector<double> values_;
  std::vector<TimerStat> stats_;
  uint64_t packets_ = 0, metrics_ = 0, bad_lines_ = 0;
  uint32_t self_ids_[3] = {0, 0, 0};
  bool num_stats_named_ = false;

 public:
  // Declared last: shards refer to options_ and table_.
  std::vector<std::unique_ptr<Shard>> shards;
};

Aggregator::State::State(AggregatorOptions options, size_t shard_count,
                         common::StatsRegistry& stats)
    : options_(std::move(options)),
      namer_(options_.legacy_namespace, options_.global_prefix),
      timer_calc_(MakePercentileSpecs(options_.percent_thresholds)),
      keys_dropped_(stats.GetCounter("statsd.keys_dropped",
                                     "statsd samples dropped because max_keys was reached")),
      unique_keys_(stats.GetGauge("statsd.unique_keys", "statsd keys held by the aggregator")),
      keys_evicted_(stats.GetCounter(
          "statsd.keys_evicted", "idle statsd keys evicted to make room for new keys (max_keys)")) {
  shard_stats_ = {&stats.GetCounter(kPacketsReceived, "statsd datagrams received"),
                  &stats.GetCounter(kMetricsReceived, "statsd lines received"),
                  &stats.GetCounter(kBadLinesSeen, "statsd lines or values rejected"),
                  &keys_dropped_};
  const std::string_view self[3] = {kPacketsReceived, kMetricsReceived, kBadLinesSeen};
  for (int i = 0; i < 3; ++i) {
    self_ids_[i] = table_.Insert(MakeTypedKey(MetricType::kCounter, self[i]));
    table_.state(self_ids_[i]).pinned = true;
  }
  for (size_t i = 0; i < std::max<size_t>(shard_count, 1); ++i) {
    shards.push_back(
        std::make_unique<Shard>(std::make_unique<Shard::Impl>(options_, table_, shard_stats_)));
  }
}

void Aggregator::State::MergeKeyAcc(KeyState& state, const Acc& acc) {
  state.touched = true;
  state.last_active = flushes_;
  if (state.type == MetricType::kGauge) {
    const double base = state.gauge_has_value && !acc.gauge_absolute ? state.value : 0;
    state.value = base + acc.value;
    state.gauge_has_value = true;
  } else if (state.type != MetricType::kSet) {
    state.value += acc.value;
  }
}

void Aggregator::State::CollectShard(Shard::Impl& impl) {
  {
    std::lock_guard lock(impl.mu);
    std::swap(impl.window, spare_);
  }
  ShardWindow& w = spare_;
  const size_t limit = std::min(w.accs.size(), table_.id_limit());
  for (uint32_t id = 0; id < limit; ++id) {
    if (w.accs[id].samples != 0) MergeKeyAcc(table_.state(id), w.accs[id]);
  }
  timer_buf_.insert(timer_buf_.end(), w.timer_values.begin(), w.timer_values.end());
  for (auto& [id, members] : w.sets) {
    MergeMembers(set_buf_[id], std::move(members), options_.max_set_members);
  }
  while (!w.pending.empty()) {
    auto node = w.pending.extract(w.pending.begin());
    auto it = pending_buf_.find(node.key());
    if (it == pending_buf_.end()) {
      pending_buf_.insert(std::move(node));
      continue;
    }
    PendingKey& dst = it->second;
    MergeAccInto(dst.acc, node.mapped().acc, SplitTypedKey(node.key()).type);
    dst.timer_values.insert(dst.timer_values.end(), node.mapped().timer_values.begin(),
                            node.mapped().timer_values.end());
    MergeMembers(dst.members, std::move(node.mapped().members), options_.max_set_members);
  }
  packets_ += w.packets;
  metrics_ += w.metrics;
  bad_lines_ += w.bad_lines;
  w.Reset();
}

void Aggregator::State::InternPending() {
  if (pending_buf_.empty()) return;
  uint64_t dropped = 0, evicted = 0;
  {
    AllShardsLock lock(shards);
    while (!pending_buf_.empty()) {
      auto node = pending_buf_.extract(pending_buf_.begin());
      if (table_.size() >= options_.max_keys && !table_.Find(SplitTypedKey(node.key()))) {
        if (!EvictOne(pending_buf_.size() + 1)) {
          dropped += node.mapped().acc.samples;
          continue;
        }
        ++evicted;
      }
      const uint32_t id = table_.Insert(std::move(node.key()));
      table_.state(id).last_active = flushes_;
      interned_.emplace_back(id, std::move(node.mapped()));
    }
  }
  if (dropped) keys_dropped_.Add(dropped);
  if (evicted) keys_evicted_.Add(evicted);
  for (auto& [id, pending] : interned_) {
    MergeKeyAcc(table_.state(id), pending.acc);
    for (double v : pending.timer_values) timer_buf_.push_back({id, v});
    if (!pending.members.empty()) {
      MergeMembers(set_buf_[id], std::move(pending.members), options_.max_set_members);
    }
  }
  // A burst of new keys leaves big empty buffers behind (about 100 bytes per
  // key for interned_): drop them.
  interned_.clear();
  if (interned_.capacity() > 1024) interned_.shrink_to_fit();
  if (pending_buf_.bucket_count() > 1024) pending_buf_ = PendingMap();
}

FlushResult Aggregator::State::Flush(int64_t timestamp_s, double window_s) {
  ++flushes_;
  for (auto& shard : shards) CollectShard(shard->impl());
  InternPending();
  const uint64_t self_counts[3] = {packets_, metrics_, bad_lines_};
  for (int i = 0; i < 3; ++i) {
    KeyState& state = table_.state(self_ids_[i]);
    state.value += static_cast<double>(self_counts[i]);
  }
  packets_ = metrics_ = bad_lines_ = 0;
  std::sort(timer_buf_.begin(), timer_buf_.end(), [](const TimerValue& a, const TimerValue& b) {
    return a.id < b.id || (a.id == b.id && a.value < b.value);
  });

  FlushResult result;
  result.points.reserve(table_.size() * 3 + 1);
  Emitter out{result, timestamp_s};
  EmitAll(out, window_s);
  timer_buf_.clear();
  set_buf_.clear();
  DeleteIdle();
  table_.set_evictable(evictable_.size());
  result.keys = table_.size();
  unique_keys_.Set(static_cast<double>(result.keys));
  return result;
}

void Aggregator::State::EmitAll(Emitter& out, double window_s) {
  size_t num_stats = 0;
  size_t cursor = 0;  // into timer_buf_
  // Near the limit, list the keys idle evict_idle_windows windows by the next flush.
  const bool pressure = table_.size() >= options_.max_keys - options_.max_keys / 8;
  const uint32_t idle_windows = EvictIdleWindows(options_);
  evictable_.clear();
  evict_next_ = evict_picked_ = 0;
  if (!pressure && evictable_.capacity() > 4096) evictable_.shrink_to_fit();
  for (uint32_t id = 0; id < table_.id_limit(); ++id) {
    KeyState& state = table_.state(id);
    if (!state.held()) continue;
    if (EmitKey(id, state, out, window_s, cursor)) {
      ++num_stats;
      if (pressure && !state.pinned && flushes_ + 1 - state.last_active >= idle_windows) {
        evictable_.push_back(id);
      }
    } else {
      delete_candidates_.push_back(id);
    }
    state.touched = false;
    if (state.type == MetricType::kCounter || state.type == MetricType::kTimer) state.value = 0;
  }
  out.Add(namer_.NumStats(), static_cast<double>(num_stats));
  if (!num_stats_named_) {
    out.result.new_names.push_back(namer_.NumStats());
    num_stats_named_ = true;
  }
}

// Emits one key's series; returns false if the key is idle and its type's
// delete_* option says to drop it (nothing emitted).
bool Aggregator::State::EmitKey(uint32_t id, KeyState& state, Emitter& out, double window_s,
                                size_t& cursor) {
  const std::string_view key = table_.key(id).key;
  const size_t first_point = out.result.points.size();
  switch (state.type) {
    case MetricType::kCounter:
      if (!state.touched && options_.delete_counters && !state.pinned) return false;
      out.Add(namer_.CounterRate(key), state.value / window_s);
      out.Add(namer_.CounterCount(key), state.value);
      break;
    case MetricType::kGauge:
      if (!state.touched && options_.delete_gauges) return false;
      out.Add(namer_.Gauge(key), state.value);
      break;
    case MetricType::kTimer:
      if (!state.touched && options_.delete_timers) return false;
      EmitTimer(id, key, out, state.value, window_s, cursor);
      break;
    case MetricType::kSet: {
      if (!state.touched && options_.delete_sets) return false;
      auto it = set_buf_.find(id);
      out.Add(namer_.SetCount(key), it == set_buf_.end() ? 0.0 : double(it->second.size()));
      break;
    }
  }
  if (!state.named) {
    AddNewNames(state, key, first_point, out.result);
    state.named = true;
  }
  return true;
}

void Aggregator::State::EmitTimer(uint32_t id, std::string_view key, Emitter& out, double count,
                                  double window_s, size_t& cursor) {
  while (cursor < timer_buf_.size() && timer_buf_[cursor].id < id) ++cursor;
  values_.clear();
  for (; cursor < timer_buf_.size() && timer_buf_[cursor].id == id; ++cursor) {
    values_.push_back(timer_buf_[cursor].value);
  }
  if (values_.empty()) {
    TimerStatsCalculator::ComputeIdle(stats_);
  } else {
    timer_calc_.Compute(values_, count, window_s, stats_);
  }
  for (const TimerStat& stat : stats_) out.Add(namer_.Timer(key, stat.name), stat.value);
}

// A timer's first window may skip a percentile (too few values), so its full
// name list is generated; other types emit all their names every time.
void Aggregator::State::AddNewNames(const KeyState& state, std::string_view key, size_t first_point,
                                    FlushResult& result) {
  if (state.type != MetricType::kTimer) {
    for (size_t i = first_point; i < result.points.size(); ++i) {
      result.new_names.push_back(result.points[i].name);
    }
    return;
  }
  for (std::string_view stat :
       {"std", "upper", "lower", "count", "count_ps", "sum", "sum_squares", "mean", "median"}) {
    result.new_names.push_back(namer_.Timer(key, stat));
  }
  for (const PercentileSpec& spec : timer_calc_.specs()) {
    for (const std::string* stat :
         {&spec.count, &spec.mean, &spec.bound, &spec.sum, &spec.sum_squares}) {
      result.new_names.push_back(namer_.Timer(key, *stat));
    }
  }
}

// True if a sample reached the key since its shard's window was swapped
// out. Caller holds every shard's mutex.
bool Aggregator::State::LiveInShards(uint32_t id) {
  for (auto& shard : shards) {
    const std::vector<Acc>& accs = shard->impl().window.accs;
    if (id < accs.size() && accs[id].samples != 0) return true;
  }
  return false;
}

bool Aggregator::State::CanEvict(uint32_t id) {
  const KeyState& state = table_.state(id);
  return state.held() && !state.pinned &&
         flushes_ - state.last_active >= EvictIdleWindows(options_) && !LiveInShards(id);
}

// Erases one of the listed keys idle longest that may still be evicted, so
// that a new key can take its id. `want`: keys still asking for room in this
// flush, the caller's own included; that many of the oldest are picked at
// once, in no order (all of them are wanted). Caller holds every shard's
// mutex.
bool Aggregator::State::EvictOne(size_t want) {
  auto older = [this](uint32_t a, uint32_t b) {
    return table_.state(a).last_active < table_.state(b).last_active;
  };
  while (evict_next_ < evictable_.size()) {
    if (evict_next_ == evict_picked_) {
      const auto first = evictable_.begin() + static_cast<ptrdiff_t>(evict_next_);
      const auto n = static_cast<ptrdiff_t>(std::min(want, evictable_.size() - evict_next_));
      std::nth_element(first, first + (n - 1), evictable_.end(), older);
      evict_picked_ = evict_next_ + static_cast<size_t>(n);
    }
    const uint32_t id = evictable_[evict_next_++];
    if (CanEvict(id)) {
      table_.Erase(id);
      return true;
    }
  }
  return false;
}

void Aggregator::State::DeleteIdle() {
  if (delete_candidates_.empty()) return;
  AllShardsLock lock(shards);
  for (uint32_t id : delete_candidates_) {
    if (!LiveInShards(id)) {
      table_.Erase(id);
    } else if (table_.state(id).type == MetricType::kGauge) {
      table_.state(id).gauge_has_value = false;  // as if deleted: a delta starts from 0
    }
  }
  delete_candidates_.clear();
}

Aggregator::Aggregator(AggregatorOptions options, size_t shard_count, common::StatsRegistry& stats)
    : state_(std::make_unique<State>(std::move(options), shard_count, stats)) {}

Aggregator::~Aggregator() = default;

size_t Aggregator::shard_count() const { return state_->shards.size(); }

Shard& Aggregator::shard(size_t index) { return *state_->shards.at(index); }

FlushResult Aggregator::Flush(int64_t timestamp_s, double window_s) {
  return state_->Flush(timestamp_s, window_s);
}

}  // namespace hourglass::aggregator
