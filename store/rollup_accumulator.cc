#include "store/rollup_accumulator.h"

#include <algorithm>
#include <bit>

namespace hourglass::store {
namespace {

constexpr size_t kMinIndex = 64;

size_t Slot(uint64_t id, size_t mask) { return (id * 0x9E3779B97F4A7C15ULL) >> 7 & mask; }

}  // namespace

void RollupAccumulator::Grow(Group& group) {
  size_t size = std::max(kMinIndex, group.index.size() * 2);
  while (group.entries.size() * 2 > size) size *= 2;  // keep load <= 1/2
  group.index.assign(size, 0);
  const size_t mask = size - 1;
  for (size_t i = 0; i < group.entries.size(); ++i) {
    size_t s = Slot(group.entries[i].id, mask);
    while (group.index[s] != 0) s = (s + 1) & mask;
    group.index[s] = static_cast<uint32_t>(i + 1);
  }
}

RollupAccumulator::Entry* RollupAccumulator::FindOrInsert(Group& group, uint64_t id) {
  if ((group.entries.size() + 1) * 2 > group.index.size()) Grow(group);
  const size_t mask = group.index.size() - 1;
  size_t s = Slot(id, mask);
  for (; group.index[s] != 0; s = (s + 1) & mask) {
    Entry& e = group.entries[group.index[s] - 1];
    if (e.id == id) return &e;
  }
  group.entries.push_back(Entry{id, RollupBucket{}});
  group.index[s] = static_cast<uint32_t>(group.entries.size());
  ++entries_;
  return &group.entries.back();
}

void RollupAccumulator::Add(uint8_t resolution, int64_t start, uint64_t id, uint16_t raw_offset,
                            double value) {
  RollupBucket point{value, value, value, value, 1, 1, raw_offset};
  AddBucket(resolution, start, id, point);
}

void RollupAccumulator::AddBucket(uint8_t resolution, int64_t start, uint64_t id,
                                  const RollupBucket& bucket) {
  auto [it, inserted] = groups_.try_emplace({resolution, start});
  Group& group = it->second;
  if (inserted) {
    group.resolution = resolution;
    group.start = start;
    if (resolution < last_size_.size()) group.entries.reserve(last_size_[resolution] + 64);
  }
  FindOrInsert(group, id)->bucket.Merge(bucket);
}

void RollupAccumulator::SortById(Group& group) {
  group.index.clear();
  group.index.shrink_to_fit();
  std::sort(group.entries.begin(), group.entries.end(),
            [](const Entry& a, const Entry& b) { return a.id < b.id; });
}

std::vector<RollupAccumulator::Group> RollupAccumulator::TakeBefore(uint8_t resolution,
                                                                    int64_t before) {
  std::vector<Group> out;
  for (auto it = groups_.lower_bound({resolution, INT64_MIN});
       it != groups_.end() && it->first.first == resolution && it->first.second < before;) {
    if (last_size_.size() <= resolution) last_size_.resize(resolution + 1, 0);
    last_size_[resolution] = it->second.entries.size();
    entries_ -= it->second.entries.size();
    out.push_back(std::move(it->second));
    SortById(out.back());
    it = groups_.erase(it);
  }
  return out;
}

std::vector<RollupAccumulator::Group> RollupAccumulator::TakeAll() {
  std::vector<Group> out;
  for (auto& [key, group] : groups_) {
    out.push_back(std::move(group));
    SortById(out.back());
  }
  groups_.clear();
  entries_ = 0;
  return out;
}

std::vector<std::pair<int64_t, RollupBucket>> RollupAccumulator::Lookup(uint8_t resolution,
                                                                        uint64_t id) const {
  std::vector<std::pair<int64_t, RollupBucket>> out;
  for (auto it = groups_.lower_bound({resolution, INT64_MIN});
       it != groups_.end() && it->first.first == resolution; ++it) {
    const Group& group = it->second;
    if (group.index.empty()) continue;
    const size_t mask = group.index.size() - 1;
    for (size_t s = Slot(id, mask); group.index[s] != 0; s = (s + 1) & mask) {
      const Entry& e = group.entries[group.index[s] - 1];
      if (e.id == id) {
        out.emplace_back(group.start, e.bucket);
        break;
      }
    }
  }
  return out;
}

size_t RollupAccumulator::bytes() const {
  size_t total = 0;
  for (const auto& [key, group] : groups_) {
    total += group.entries.capacity() * sizeof(Entry) + group.index.capacity() * sizeof(uint32_t);
  }
  return total;
}

}  // namespace hourglass::store
