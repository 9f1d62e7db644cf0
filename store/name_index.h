// NameIndex: the series name index in two column families. "nodes" holds one
// key per node of the dotted name tree, [depth u8][full node path], whose
// value is a flags byte (1 leaf, 2 branch) OR-merged, so the children of P
// are one prefix scan of [depth(P)+1]["P."]. "tags" indexes tagged names.
// Thread-safe: Register() serializes on one mutex; finds only read RocksDB.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/merge_operator.h>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/seen_set.h"
#include "common/stats.h"
#include "common/status.h"
#include "store/glob_matcher.h"
#include "store/series_store.h"

namespace hourglass::store {

inline constexpr uint8_t kNodeLeaf = 1;
inline constexpr uint8_t kNodeBranch = 2;
// Names deeper than this many nodes are not indexed (counted as an error).
inline constexpr size_t kMaxNodeDepth = 250;

// OR of flag bytes: the merge operator of the "nodes" column family.
std::shared_ptr<rocksdb::MergeOperator> NewNodeFlagsMergeOperator();

class NameIndex {
 public:
  // Writes a batch of index entries; Ok once written or held to be written.
  using Commit = std::function<common::Status(rocksdb::WriteBatch*)>;

  // `db` and the handles must outlive the index. Register() writes through
  // `commit` when given (the store's retry buffer), else straight to `db`.
  NameIndex(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* nodes, rocksdb::ColumnFamilyHandle* tags,
            common::StatsRegistry& stats, Commit commit = {});

  common::Status Register(std::span<const std::string> names);
  common::Result<std::vector<Node>> FindNodes(std::string_view pattern) const;
  common::Result<std::vector<std::string>> FindSeries(std::string_view pattern, size_t limit) const;
  // See SeriesStore: prefix scans of the "T" keys, skipping past each tag or
  // value once seen, so cost follows the answer, not the index size.
  common::Result<std::vector<std::string>> FindTagged(std::string_view tag,
                                                      std::optional<std::string_view> value,
                                                      size_t limit) const;
  common::Result<std::vector<std::string>> ListTags(std::string_view prefix, size_t limit) const;
  common::Result<std::vector<std::string>> ListTagValues(std::string_view tag,
                                                         std::string_view prefix,
                                                         size_t limit) const;

 private:
  struct Level {
    std::string path;
    uint8_t flags;
  };
  // Nodes at `depth` under `parent` whose last component matches `matcher`.
  common::Status Expand(const std::string& parent, size_t depth, const GlobMatcher& matcher,
                        std::vector<Level>* out) const;
  bool AddPath(std::string_view name, std::vector<std::pair<std::string, char>>* ops,
               std::vector<uint64_t>* new_branches);
  void AddTagged(std::string_view name, rocksdb::WriteBatch* batch);
  // Distinct components after `prefix` up to the next '\0', starting with
  // `start`, at most `limit`.
  common::Result<std::vector<std::string>> ListComponents(const std::string& prefix,
                                                          std::string_view start,
                                                          size_t limit) const;

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* nodes_;
  rocksdb::ColumnFamilyHandle* tags_;
  Commit commit_;
  common::Counter& names_registered_;
  common::Counter& index_errors_;

  std::mutex mu_;  // guards known_names_ and known_branches_ (ids seen this process)
  common::SeenSet known_names_;
  common::SeenSet known_branches_;
};

// "metric;b=2;a=1" -> "metric;a=1;b=2" (graphite's canonical form: tags
// sorted by name). Names without ';' are returned unchanged.
std::string CanonicalName(std::string_view name);

// Key of a node in the "nodes" column family.
std::string NodeKey(size_t depth, std::string_view path);

}  // namespace hourglass::store
