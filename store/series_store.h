// SeriesStore: the RocksDB-backed metric store. Writes points into every
// resolution of its retention at once (rollups are merged as points arrive), keeps a
// name index for glob queries, and answers whisper-style range reads.
// Thread-safe: one writer (the flush thread) and any number of readers
// (HTTP threads) may call it concurrently. Layout: see store/DESIGN note in
// series_store.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/stats.h"
#include "common/status.h"
#include "store/aggregation_rules.h"
#include "store/series_point.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Env;
}  // namespace rocksdb

namespace hourglass::store {

// One resolution of a retention policy: points every `step` seconds, kept for
// `duration` seconds. "10s:6h" is {10, 21600}.
struct Retention {
  int64_t step;
  int64_t duration;
};

// Parses "10s:6h,1m:7d,10m:5y" (carbon's storage-schemas syntax, units
// s,m(in),h,d,w,y). Resolutions must be ordered finest first, each step a
// multiple of the previous one, each duration longer.
common::Result<std::vector<Retention>> ParseRetentions(std::string_view text);

// One entry of carbon's storage-schemas.conf: series whose name (tags
// stripped) `pattern` matches (Python regex as in carbon, searched) keep
// `retentions`.
struct RetentionSchema {
  std::string name;
  std::string pattern;
  std::vector<Retention> retentions;
};

// Checks each schema's pattern and retentions as Open would.
common::Status ValidateSchemas(const std::vector<RetentionSchema>& schemas);

struct StoreOptions {
  std::string path;  // RocksDB directory, created if missing
  // Retentions of every series no schema matches.
  std::vector<Retention> retentions;
  // Tried in order before `retentions`; the first match wins. A series keeps
  // the resolutions of the schema it matches now: moving it to a schema with
  // other steps leaves its earlier points unread (they expire as before).
  std::vector<RetentionSchema> schemas = {};
  // carbon's storage-aggregation.conf, first match wins (see
  // aggregation_rules.h). Applied when a rollup is read, so a change applies
  // to points already stored.
  std::vector<AggregationRule> aggregation = StatsdAggregationRules();
  // While RocksDB cannot write (disk full), batches wait in memory up to this
  // many bytes and are written once it recovers; past it, points are dropped
  // and counted (store.write_errors).
  size_t retry_buffer_bytes = 128 << 20;
  // How often a failed store tries to recover (reopen or resume RocksDB).
  int64_t retry_interval_ms = 1000;
  // The heads' WAL (PATH/wal): fsync policy ("always", "interval", "never")
  // and segment size.
  std::string wal_fsync = "interval";
  uint64_t wal_segment_bytes = 64u << 20;
  // A head is sealed once its span ended this long ago and it got no point
  // for as long (or at once when its series starts a later block).
  int64_t seal_lateness_s = 120;
  // Tests: the RocksDB Env (a fault-injecting file system); null: the default.
  std::shared_ptr<rocksdb::Env> env = nullptr;
};

// A range read, shaped as graphite-web's TimeSeries: values[i] is the point at
// start + i * step; NaN stands for "no data" (null in JSON).
struct SeriesData {
  std::string name;
  int64_t start = 0;
  int64_t end = 0;
  int64_t step = 0;
  std::vector<double> values;
};

// A node of the name tree, as /metrics/find lists it.
struct Node {
  std::string path;           // full dotted path, e.g. "stats.timers.api"
  bool is_leaf = false;       // a series has exactly this name
  bool has_children = false;  // some series name continues below it
};

class SeriesStore {
 public:
  static common::Result<std::unique_ptr<SeriesStore>> Open(const StoreOptions& options,
                                                           const common::Clock& clock,
                                                           common::StatsRegistry& stats);
  ~SeriesStore();
  SeriesStore(const SeriesStore&) = delete;
  SeriesStore& operator=(const SeriesStore&) = delete;

  // Writes each point to every resolution (raw slot and rollup buckets). A point
  // older than the longest retention is counted and skipped. The open rollup
  // buckets near now are kept in memory (reads see them) and written to
  // RocksDB once closed; see the DESIGN note in series_store.cc. While
  // RocksDB cannot write (disk full) the batch is held in memory and written
  // once the store recovers (Ok, not readable until then); an error means
  // the points were dropped (retry buffer full).
  common::Status Write(std::span<const Point> points);

  // Writes every open rollup bucket and marks the store cleanly closed. Later
  // writes fail. The destructor calls it; call it to see its Status.
  common::Status Close();

  // Adds names to the name index (idempotent; cheap to repeat). Names with
  // tags ("a.b;k=v") go to the tag index instead of the node tree.
  common::Status RegisterNames(std::span<const std::string> names);

  // Nodes matching a Graphite glob pattern (`* ? [a-z] {a,b}` per node), in
  // name order. "a.*" lists the children of "a". Fails, with a message for a
  // 400, on a pattern past the bounds in store/glob_matcher.h (length, brace
  // alternatives per node).
  common::Result<std::vector<Node>> FindNodes(std::string_view pattern) const;

  // Series (leaf) names matching a pattern, in name order; at most `limit`.
  common::Result<std::vector<std::string>> FindSeries(std::string_view pattern,
                                                      size_t limit = SIZE_MAX) const;

  // Reads one series over (from, until] as whisper does: picks the finest
  // resolution whose retention covers `now - from` and aligns the range to its
  // step (first point at from - from % step + step). A rollup bucket is
  // aggregated by the series' rule (carbon's statsd rules by name suffix).
  common::Result<SeriesData> Read(std::string_view name, int64_t from, int64_t until,
                                  int64_t now) const;

  // The number of values Read(name, from, until, now) returns, found without
  // reading (0 where Read fails): lets a caller refuse a read that would pass
  // its memory budget before making it.
  size_t ReadLength(std::string_view name, int64_t from, int64_t until, int64_t now) const;

  // Tag index: series named "metric;tag=value;..." (canonical: tags sorted).
  // Tagged series carrying `tag` (with exactly `value` when given; the tag
  // "name" is the metric part before ';'), in name order, at most `limit`.
  common::Result<std::vector<std::string>> FindTagged(std::string_view tag,
                                                      std::optional<std::string_view> value,
                                                      size_t limit) const;
  // Tag names starting with `prefix`, sorted, at most `limit`.
  common::Result<std::vector<std::string>> ListTags(std::string_view prefix, size_t limit) const;
  // Values of `tag` starting with `prefix`, sorted, at most `limit`.
  common::Result<std::vector<std::string>> ListTagValues(std::string_view tag,
                                                         std::string_view prefix,
                                                         size_t limit) const;

  // Compacts the whole data family now, dropping blocks past retention (the
  // same happens in background compactions). Blocks the caller; for tests and
  // maintenance, never needed for correctness of reads.
  common::Status Compact();

  // Runs f(db, family) on the "events" column family (store/event_store.h)
  // while RocksDB is open (shared with a reopen); an error while it is not.
  // Defined in event_store.cc.
  common::Status WithEventFamily(
      const std::function<common::Status(rocksdb::DB&, rocksdb::ColumnFamilyHandle&)>& f) const;

  // The default retentions (series no schema matches).
  const std::vector<Retention>& retentions() const;

  class Impl;

 private:
  explicit SeriesStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hourglass::store
