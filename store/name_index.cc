#include "store/name_index.h"

#include <fmt/format.h>
#include <rocksdb/write_batch.h>

#include <algorithm>

#include "common/graphite_tags.h"
#include "store/data_key.h"
#include "store/glob_matcher.h"

namespace hourglass::store {
namespace {

// Bound on the ids remembered per process; past it the sets restart empty
// (only costs re-merging flags that are already there).
constexpr size_t kMaxKnownIds = 8'000'000;

class NodeFlagsMergeOperator final : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& key, const rocksdb::Slice* existing_value,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* logger) const override {
    uint8_t flags = 0;
    if (existing_value != nullptr && !existing_value->empty()) flags = (*existing_value)[0];
    if (!value.empty()) flags |= static_cast<uint8_t>(value[0]);
    new_value->assign(1, static_cast<char>(flags));
    return true;
  }
  const char* Name() const override { return "hourglass.NodeFlagsMergeOperator"; }
};

std::string PrefixSuccessor(std::string prefix) {
  while (!prefix.empty() && static_cast<uint8_t>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

std::string ChildPath(const std::string& parent, std::string_view child) {
  return parent.empty() ? std::string(child) : parent + "." + std::string(child);
}

bool IsTagged(std::string_view name) { return name.find(';') != std::string_view::npos; }

}  // namespace

std::string CanonicalName(std::string_view name) {
  if (!IsTagged(name)) return std::string(name);
  std::vector<std::string_view> tags;
  size_t start = name.find(';');
  std::string out(name.substr(0, start));
  while (start != std::string_view::npos) {
    size_t next = name.find(';', start + 1);
    std::string_view tag =
        name.substr(start + 1, next == std::string_view::npos ? next : next - start - 1);
    if (!tag.empty()) tags.push_back(tag);
    start = next;
  }
  common::AppendGraphiteTags(tags, out);
  return out;
}

std::shared_ptr<rocksdb::MergeOperator> NewNodeFlagsMergeOperator() {
  return std::make_shared<NodeFlagsMergeOperator>();
}

std::string NodeKey(size_t depth, std::string_view path) {
  std::string key(1, static_cast<char>(depth));
  key.append(path);
  return key;
}

NameIndex::NameIndex(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* nodes,
                     rocksdb::ColumnFamilyHandle* tags, common::StatsRegistry& stats, Commit commit)
    : db_(db),
      nodes_(nodes),
      tags_(tags),
      commit_(std::move(commit)),
      names_registered_(
          stats.GetCounter("store.names_registered", "series names added to the name index")),
      index_errors_(stats.GetCounter("store.index_errors",
                                     "names not indexed (too deep) or index writes failed")),
      known_names_(kMaxKnownIds),
      known_branches_(kMaxKnownIds) {}

bool NameIndex::AddPath(std::string_view name, std::vector<std::pair<std::string, char>>* ops,
                        std::vector<uint64_t>* new_branches) {
  std::vector<std::string_view> nodes = SplitNodes(name);
  if (nodes.size() > kMaxNodeDepth) return false;
  ops->emplace_back(NodeKey(nodes.size(), name), static_cast<char>(kNodeLeaf));
  size_t end = 0;
  for (size_t depth = 1; depth < nodes.size(); ++depth) {
    end += nodes[depth - 1].size() + (depth > 1 ? 1 : 0);
    std::string_view prefix = name.substr(0, end);
    uint64_t id = SeriesId(prefix);
    if (!known_branches_.Insert(id)) continue;
    new_branches->push_back(id);
    ops->emplace_back(NodeKey(depth, prefix), static_cast<char>(kNodeBranch));
  }
  return true;
}

void NameIndex::AddTagged(std::string_view name, rocksdb::WriteBatch* batch) {
  batch->Put(tags_, "S" + std::string(name), "");
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t semi; (semi = name.find(';', start)) != std::string_view::npos; start = semi + 1) {
    parts.push_back(name.substr(start, semi - start));
  }
  parts.push_back(name.substr(start));
  auto put = [&](std::string_view tag, std::string_view value) {
    std::string key = "T";
    key.append(tag).push_back('\0');
    key.append(value).push_back('\0');
    key.append(name);
    batch->Put(tags_, key, "");
  };
  put("name", parts[0]);
  for (size_t i = 1; i < parts.size(); ++i) {
    size_t eq = parts[i].find('=');
    if (eq != std::string_view::npos) put(parts[i].substr(0, eq), parts[i].substr(eq + 1));
  }
}

// "names_registered" counts names first seen by this process (the aggregator
// registers each name once per process), so a restart counts them again.
common::Status NameIndex::Register(std::span<const std::string> names) {
  std::lock_guard lock(mu_);
  rocksdb::WriteBatch batch;
  std::vector<std::pair<std::string, char>> ops;  // node merges, added in key order
  std::vector<uint64_t> new_names, new_branches;
  for (const std::string& name : names) {
    uint64_t id = SeriesId(name);
    if (name.empty() || !known_names_.Insert(id)) continue;
    new_names.push_back(id);
    if (IsTagged(name)) {
      AddTagged(CanonicalName(name), &batch);
    } else if (!AddPath(name, &ops, &new_branches)) {
      index_errors_.Add();
    }
  }
  std::sort(ops.begin(), ops.end());
  for (const auto& [key, flag] : ops) batch.Merge(nodes_, key, rocksdb::Slice(&flag, 1));
  common::Status status;
  if (batch.Count() > 0 && commit_) {
    status = commit_(&batch);
  } else if (batch.Count() > 0) {
    auto s = db_->Write(rocksdb::WriteOptions(), &batch);
    if (!s.ok()) status = common::Status::Error(s.ToString());
  }
  if (!status.ok()) {  // forget what was not written, so a retry writes it
    for (uint64_t id : new_names) known_names_.Erase(id);
    for (uint64_t id : new_branches) known_branches_.Erase(id);
    index_errors_.Add();
    return common::Status::Error("name index write failed: " + status.message());
  }
  names_registered_.Add(new_names.size());
  return common::Status::Ok();
}

common::Status NameIndex::Expand(const std::string& parent, size_t depth,
                                 const GlobMatcher& matcher, std::vector<Level>* out) const {
  std::string value;
  if (matcher.is_literal()) {
    for (const std::string& alt : matcher.alternatives()) {
      std::string path = ChildPath(parent, alt);
      auto s = db_->Get(rocksdb::ReadOptions(), nodes_, NodeKey(depth, path), &value);
      if (s.ok() && !value.empty()) out->push_back({std::move(path), uint8_t(value[0])});
      if (!s.ok() && !s.IsNotFound()) return common::Status::Error("name index: " + s.ToString());
    }
    return common::Status::Ok();
  }
  // Children share the key prefix; those that can match share the pattern's
  // literal prefix too ("s00*" scans 10 of 1,000 children).
  std::string prefix = NodeKey(depth, parent.empty() ? "" : parent + ".");
  const std::string start = prefix + matcher.literal_prefix();
  std::string upper = PrefixSuccessor(start);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, nodes_));
  for (it->Seek(start); it->Valid(); it->Next()) {
    std::string_view child(it->key().data() + prefix.size(), it->key().size() - prefix.size());
    if (child.find('.') != std::string_view::npos || !matcher.Matches(child)) continue;
    if (it->value().empty()) continue;
    out->push_back({ChildPath(parent, child), uint8_t(it->value()[0])});
  }
  if (!it->status().ok()) return common::Status::Error("name index: " + it->status().ToString());
  return common::Status::Ok();
}

common::Result<std::vector<Node>> NameIndex::FindNodes(std::string_view pattern) const {
  std::vector<Node> result;
  if (pattern.empty()) return result;
  if (IsTagged(pattern)) {
    auto series = FindSeries(pattern, 1);
    if (!series.ok()) return series.status();
    for (auto& name : *series) result.push_back(Node{std::move(name), true, false});
    return result;
  }
  if (pattern.size() > kMaxGlobLength) {
    return common::Status::Error(
        fmt::format("glob pattern is longer than {} characters", kMaxGlobLength));
  }
  std::vector<std::string_view> parts = SplitNodes(pattern);
  if (parts.size() > kMaxNodeDepth) return result;
  std::vector<Level> level{{"", kNodeBranch}};
  for (size_t i = 0; i < parts.size() && !level.empty(); ++i) {
    common::Result<GlobMatcher> matcher = GlobMatcher::Create(parts[i]);
    if (!matcher.ok()) return matcher.status();
    std::vector<Level> next;
    for (const Level& parent : level) {
      if (!(parent.flags & kNodeBranch)) continue;
      if (auto s = Expand(parent.path, i + 1, *matcher, &next); !s.ok()) return s;
    }
    level = std::move(next);
  }
  std::sort(level.begin(), level.end(),
            [](const Level& a, const Level& b) { return a.path < b.path; });
  for (Level& l : level) {
    result.push_back(
        Node{std::move(l.path), (l.flags & kNodeLeaf) != 0, (l.flags & kNodeBranch) != 0});
  }
  return result;
}

common::Result<std::vector<std::string>> NameIndex::FindSeries(std::string_view pattern,
                                                               size_t limit) const {
  std::vector<std::string> out;
  if (IsTagged(pattern)) {
    std::string value;
    std::string name = CanonicalName(pattern);
    auto s = db_->Get(rocksdb::ReadOptions(), tags_, "S" + name, &value);
    if (s.ok() && limit > 0) out.push_back(std::move(name));
    if (!s.ok() && !s.IsNotFound()) return common::Status::Error("tag index: " + s.ToString());
    return out;
  }
  auto nodes = FindNodes(pattern);
  if (!nodes.ok()) return nodes.status();
  for (Node& node : *nodes) {
    if (out.size() >= limit) break;
    if (node.is_leaf) out.push_back(std::move(node.path));
  }
  return out;
}

common::Result<std::vector<std::string>> NameIndex::ListComponents(const std::string& prefix,
                                                                   std::string_view start,
                                                                   size_t limit) const {
  std::vector<std::string> out;
  std::string upper = PrefixSuccessor(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, tags_));
  for (it->Seek(prefix + std::string(start)); it->Valid() && out.size() < limit;) {
    std::string_view rest(it->key().data() + prefix.size(), it->key().size() - prefix.size());
    std::string_view component = rest.substr(0, rest.find('\0'));
    if (!component.starts_with(start)) break;
    out.emplace_back(component);
    it->Seek(prefix + std::string(component) + '\x01');  // past every key of this component
  }
  if (!it->status().ok()) return common::Status::Error("tag index: " + it->status().ToString());
  return out;
}

common::Result<std::vector<std::string>> NameIndex::ListTags(std::string_view prefix,
                                                             size_t limit) const {
  return ListComponents("T", prefix, limit);
}

common::Result<std::vector<std::string>> NameIndex::ListTagValues(std::string_view tag,
                                                                  std::string_view prefix,
                                                                  size_t limit) const {
  std::string key_prefix = "T";
  key_prefix.append(tag).push_back('\0');
  return ListComponents(key_prefix, prefix, limit);
}

// With a value, one prefix scan yields names in order; without, names come
// grouped by value and are sorted (and deduplicated) at the end.
common::Result<std::vector<std::string>> NameIndex::FindTagged(
    std::string_view tag, std::optional<std::string_view> value, size_t limit) const {
  std::vector<std::string> out;
  std::string prefix = "T";
  prefix.append(tag).push_back('\0');
  if (value) prefix.append(*value).push_back('\0');
  std::string upper = PrefixSuccessor(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, tags_));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    if (value && out.size() >= limit) break;
    std::string_view rest(it->key().data() + prefix.size(), it->key().size() - prefix.size());
    if (!value) rest.remove_prefix(std::min(rest.size(), rest.find('\0') + 1));
    out.emplace_back(rest);
  }
  if (!it->status().ok()) return common::Status::Error("tag index: " + it->status().ToString());
  if (!value) {
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    if (out.size() > limit) out.resize(limit);
  }
  return out;
}

}  // namespace hourglass::store
