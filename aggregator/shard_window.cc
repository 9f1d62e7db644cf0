#include "aggregator/shard_window.h"

#include <algorithm>

namespace hourglass::aggregator {

void ShardWindow::Reset() {
  std::fill(accs.begin(), accs.end(), Acc());
  timer_values.clear();
  sets.clear();
  // A burst of new keys leaves a big empty bucket array behind: drop it.
  if (pending.bucket_count() > 1024) {
    pending = PendingMap();
  } else {
    pending.clear();
  }
  packets = metrics = bad_lines = 0;
}

namespace {

// Makes room for ids below `need`, sized for every id the table has handed
// out (ids only grow when a flush interns new keys, so a shard grows about
// once per flush at most) and reserved exactly: resize alone would double.
void GrowAccs(std::vector<Acc>& accs, size_t need, size_t id_limit) {
  const size_t size = std::max(need, id_limit);
  if (size > accs.capacity()) accs.reserve(std::max(size, accs.capacity() + accs.capacity() / 4));
  accs.resize(size);
}

void AddSetMember(MemberSet& members, std::string_view member, size_t limit) {
  if (members.size() >= limit || members.find(member) != members.end()) return;
  members.emplace(member);
}

// The parts of an accumulation that do not depend on where values go.
// Returns true if a timer value should be kept.
bool AccumulateScalar(Acc& acc, const Sample& sample, size_t max_timer_values) {
  switch (sample.type) {
    case MetricType::kCounter:
      acc.value += sample.value * (1 / sample.sample_rate);
      break;
    case MetricType::kGauge:
      if (sample.gauge_delta) {
        acc.value += sample.value;
      } else {
        acc.value = sample.value;
        acc.gauge_absolute = true;
      }
      break;
    case MetricType::kTimer:
      acc.value += 1 / sample.sample_rate;
      if (acc.samples >= std::max<size_t>(max_timer_values, 1)) return false;
      break;
    case MetricType::kSet:
      break;
  }
  ++acc.samples;
  return sample.type == MetricType::kTimer;
}

}  // namespace

void Shard::Impl::AddToAcc(Acc& acc, const Sample& sample, uint32_t id) {
  if (AccumulateScalar(acc, sample, options_.max_timer_values)) {
    window.timer_values.push_back({id, sample.value});
  } else if (sample.type == MetricType::kSet) {
    AddSetMember(window.sets[id], sample.set_member, options_.max_set_members);
  }
}

void Shard::Impl::AddPending(const Sample& sample, uint64_t& dropped) {
  const TypedKeyView key{sample.type, sample.key};
  auto it = window.pending.find(key);
  if (it == window.pending.end()) {
    if (table_.size() + window.pending.size() >= options_.max_keys + table_.evictable()) {
      ++dropped;
      return;
    }
    it = window.pending.try_emplace(MakeTypedKey(sample.type, sample.key)).first;
  }
  PendingKey& pending = it->second;
  if (AccumulateScalar(pending.acc, sample, options_.max_timer_values)) {
    pending.timer_values.push_back(sample.value);
  } else if (sample.type == MetricType::kSet) {
    AddSetMember(pending.members, sample.set_member, options_.max_set_members);
  }
}

void Shard::Impl::Add(const Sample& sample, uint64_t& dropped) {
  const std::optional<uint32_t> id = table_.Find({sample.type, sample.key});
  if (!id) {
    AddPending(sample, dropped);
    return;
  }
  if (*id >= window.accs.size()) GrowAccs(window.accs, *id + 1, table_.id_limit());
  AddToAcc(window.accs[*id], sample, *id);
}

Shard::Shard(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Shard::~Shard() = default;

Shard::Batch Shard::BeginBatch() { return Batch(*this); }

Shard::Batch::Batch(Shard& shard) : shard_(shard), lock_(shard.impl().mu) {}

void Shard::Batch::Add(const Sample& sample) { shard_.impl().Add(sample, dropped_); }

void Shard::Batch::CountPacket(uint32_t metrics, uint32_t bad_lines) {
  ++packets_;
  metrics_ += metrics;
  bad_lines_ += bad_lines;
}

Shard::Batch::~Batch() {
  Impl& impl = shard_.impl();
  impl.window.packets += packets_;
  impl.window.metrics += metrics_;
  impl.window.bad_lines += bad_lines_;
  lock_.unlock();
  const ShardStats& stats = impl.stats();
  if (packets_) stats.packets->Add(packets_);
  if (metrics_) stats.metrics->Add(metrics_);
  if (bad_lines_) stats.bad_lines->Add(bad_lines_);
  if (dropped_) stats.keys_dropped->Add(dropped_);
}

}  // namespace hourglass::aggregator
