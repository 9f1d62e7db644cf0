// DESIGN: the metric store's RocksDB layout.
//
// Column families:
//   "data"    [resolution id u8][series id u64 BE][block start u32 BE] -> block.
//             The series id is MurmurHash64A of the full name (tags included),
//             so the write path needs no name->id lookup. With n series the
//             odds of any collision are about n^2 / 2^65: 3e-8 for a million
//             series. A collision would mix two series' points; accepted.
//             A block holds kSlotsPerBlock (360) slots of its resolution's step,
//             so one series over a range is a handful of adjacent keys (24 h
//             at 1 min is 5 keys) read with one iterator. A 9-byte prefix
//             extractor ([resolution][id]) gives prefix bloom filters for it.
//   "nodes"   [depth u8][full node path] -> flags (leaf 1 | branch 2, OR-merged)
//   "tags"    "S" fullname -> "" and "T" tag \0 value \0 fullname -> ""
//   "heads"   data key -> [rule u8][series block]: the open raw blocks as of
//             the last checkpoint (series_store_heads.cc)
//   default   "archive_layout" (key kept from when resolutions were called
//             archives) -> what each resolution id is (ResolutionLayout),
//             "heads_seq" (series_store_heads.cc); "rollup_state" only in
//             stores of the earlier design, until their first open (below)
// Outside RocksDB, wal/ holds the heads' write-ahead log (store/point_wal.h).
//
// Resolutions. A series' retention schema (storage-schemas.conf: the first
// pattern matching its name, else the default retentions) gives its levels;
// each level is a resolution id standing for (raw step, step) and shared by
// every schema with those steps, so changing how long a schema keeps data
// moves nothing. Level 0 holds raw blocks, the others rollup blocks. The
// aggregation rule (storage-aggregation.conf) is applied when reading, and
// decides how a second raw write to a slot combines. Both are matched once
// per series and cached by id.
//
// Writes. A raw point of a span not yet sealed goes to its series' head in
// memory, logged in the store's own WAL (series_store_heads.cc); a span is
// sealed two minutes after its end, one merge operand per series. A point of
// a sealed span is a raw operand (slot, value) on its block. Either way the
// series' combine rule applies to a second write to a slot: it sums for
// sum-rule series (a shutdown's partial window and the next flush add up),
// keeps min / max for those, and is last-write-wins otherwise. Merged raw
// blocks are series blocks (series_block.h). Rollup operands are (bucket, raw
// offset, weight, value); BlockMergeOperator folds them into per-bucket
// (count, known, sum, min, max, last), so a bucket is the exact aggregate of
// every point that fell in it whatever order or lateness they arrived with.
// `known` counts raw slots' worth of data: 1 per point, or step/raw step for a
// point too old for the finer resolutions (whisper would write it straight into
// that resolution and propagate from there).
//
// Rollups (series_store_rollups.cc) come from heads: when a head is sealed,
// the same batch merges, for each coarser resolution of the series' schema,
// one operand per rollup block holding that span's buckets. A read of a
// rollup resolution folds the series' open heads into its buckets (heads and
// RocksDB snapshot taken together under heads_mu_, so a point counts once).
// Nothing else holds rollup state: a crash loses no bucket. A point too old
// for the raw resolution is merged straight into the levels that cover it.
// Stores of the earlier design kept open buckets in memory under watermarks
// ("rollup_state"); after such a store crashed, the first open writes what
// they held from the raw blocks, then drops the key.
//
// Reads follow whisper's fetch: the finest level of the series' schema whose duration covers
// now - from, range aligned to its step. A rollup bucket's value is its rule
// (average sum/count, sum, min, max, last) applied to the record, or null when
// known / (step / raw step) < xFilesFactor. Differences from whisper: rollups
// aggregate raw points directly rather than the finer resolution's values (an
// average is the average of all points, not of per-minute averages), and a
// raw slot written again after its block was sealed counts both values in
// its rollup buckets (within an open head the second write combines first).
//
// Retention. RetentionFilter (a compaction filter reading the Clock) drops
// blocks wholly older than now - duration of their resolution id; the data family
// sets periodic_compaction_seconds so cold files get filtered too. Reads clamp
// to the retention window, so expired but not yet compacted blocks never show.
#include "store/series_store.h"

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/snapshot.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>

#include "store/block_codec.h"
#include "store/data_key.h"
#include "store/operand_run.h"
#include "store/run_beside.h"
#include "store/series_store_impl.h"

namespace hourglass::store {
namespace {

constexpr int64_t kMaxFutureSeconds = 600;
constexpr size_t kMaxCachedClasses = 8'000'000;
// Persisted under its pre-rename name ("archive" was carbon's word for a
// resolution): stores written before must open unchanged.
constexpr const char* kLayoutKey = "archive_layout";
// Before layouts: the default retentions ("10:21600,60:604800"), ids 0, 1, ...
constexpr const char* kLegacyRetentionsKey = "retentions";

}  // namespace

SeriesStore::Impl::Impl(const StoreOptions& options, AggregationRules rules,
                        const common::Clock& clock, common::StatsRegistry& stats)
    : options_(options),
      clock_(clock),
      stats_(stats),
      rules_(std::move(rules)),
      filter_(clock),
      points_written_(stats.GetCounter("store.points_written", "points written to the store")),
      write_errors_(stats.GetCounter("store.write_errors", "points lost to failed writes")),
      read_errors_(
          stats.GetCounter("store.read_errors",
                           "series reads refused: a block could not be read (I/O, corruption)")),
      dropped_old_(stats.GetCounter("store.points_dropped_old",
                                    "points older than the longest retention, skipped")),
      dropped_invalid_(stats.GetCounter(
          "store.points_dropped_invalid",
          "points skipped: NaN/inf value, or timestamp over 10 min in the future")),
      buckets_emitted_(stats.GetCounter(
          "store.rollup_buckets_emitted",
          "rollup bucket records written (folded from sealed raw blocks, or points too old "
          "for the raw resolution)")),
      last_write_ms_(stats.GetGauge("store.last_write_ms", "duration of the last Write()")),
      write_failures_(stats.GetCounter("store.write_failures",
                                       "RocksDB writes that failed (disk full); held and retried")),
      recoveries_(stats.GetCounter("store.recoveries",
                                   "times the store reopened or resumed RocksDB after a failure")),
      writable_gauge_(
          stats.GetGauge("store.writable",
                         "1 while /health says the store is ok, 0 while writes, its WAL or "
                         "RocksDB's flushes fail")),
      held_points_gauge_(stats.GetGauge("store.held_points",
                                        "points held in memory while the store cannot write")),
      held_bytes_gauge_(stats.GetGauge("store.held_bytes",
                                       "bytes of write batches held while the store cannot "
                                       "write (bounded by store.retry_buffer)")),
      heads_sealed_(stats.GetCounter("store.heads_sealed",
                                     "raw blocks sealed from memory into RocksDB, one value each")),
      wal_errors_(stats.GetCounter("store.wal_errors",
                                   "point batches the store's WAL could not log (kept in memory "
                                   "until the next checkpoint)")),
      heads_gauge_(stats.GetGauge("store.heads", "open raw blocks held in memory")),
      head_bytes_gauge_(stats.GetGauge("store.head_bytes", "bytes of the open raw blocks")) {
  writable_gauge_.Set(1);
}

SeriesStore::Impl::~Impl() {
  if (auto s = Close(); !s.ok()) spdlog::error("{}", s.message());
  CloseRocksDb();
}

common::Status SeriesStore::Impl::OpenDb() {
  auto fail = [&](const std::string& why) {
    stats_.SetHealth("store", common::HealthState::kFailed, why);
    return common::Status::Error(
        fmt::format("cannot open metric store at {}: {}", options_.path, why));
  };
  std::error_code ec;
  std::filesystem::create_directories(options_.path, ec);
  if (ec) return fail(ec.message());
  if (auto st = OpenRocksDb(); !st.ok()) {
    closed_ = true;  // nothing to emit
    return fail(st.message());
  }
  if (auto st = LoadLayout(); !st.ok()) {
    closed_ = true;  // nothing to emit
    return fail(st.message());
  }
  if (auto st = OpenHeads(); !st.ok()) {
    closed_ = true;  // nothing to emit
    return fail(st.message());
  }
  if (auto st = MigrateRollupState(); !st.ok()) {
    closed_ = true;  // nothing to emit
    return fail(st.message());
  }
  stats_.SetHealth("store", common::HealthState::kOk);
  StartRecovery();
  checkpoint_thread_ = std::thread([this] { CheckpointLoop(); });
  return common::Status::Ok();
}

// Resolution ids are persisted (kLayoutKey) so reordered or added schemas never
// move points. A store from before layouts has its default retentions under
// kLegacyRetentionsKey, as ids 0, 1, ...
common::Status SeriesStore::Impl::LoadLayout() {
  std::string persisted, legacy;
  auto s = db_->Get(rocksdb::ReadOptions(), handles_[0], kLayoutKey, &persisted);
  if (s.IsNotFound()) {
    s = db_->Get(rocksdb::ReadOptions(), handles_[0], kLegacyRetentionsKey, &legacy);
  }
  if (!s.ok() && !s.IsNotFound()) return common::Status::Error(s.ToString());
  auto layout = ResolutionLayout::Create(options_, persisted, legacy);
  if (!layout.ok()) return layout.status();
  layout_ = std::move(layout).value();
  filter_.SetResolutions(layout_.resolutions());
  const std::string text = layout_.PersistedText();
  if (text == persisted) return common::Status::Ok();
  if (!persisted.empty()) {
    spdlog::info("metric store {}: resolution layout now\n{}", options_.path, text);
  }
  s = db_->Put(rocksdb::WriteOptions(), handles_[0], kLayoutKey, text);
  return s.ok() ? common::Status::Ok() : common::Status::Error(s.ToString());
}

SeriesStore::Impl::SeriesClass SeriesStore::Impl::MatchClass(std::string_view name) const {
  return {uint16_t(layout_.Match(name)), uint16_t(rules_.MatchIndex(name))};
}

void SeriesStore::Impl::RememberClasses(const ClassMap& learned) const {
  if (learned.empty()) return;
  std::unique_lock lock(class_mu_);
  if (classes_.size() + learned.size() > kMaxCachedClasses) classes_.Clear();
  for (size_t i = 0; i < learned.size(); ++i) {
    *classes_.TryEmplace(learned.At(i).key).first = learned.At(i).value;
  }
}

SeriesStore::Impl::SeriesClass SeriesStore::Impl::ClassOf(uint64_t id,
                                                          std::string_view name) const {
  {
    std::shared_lock lock(class_mu_);
    if (const SeriesClass* c = classes_.Find(id)) return *c;
  }
  const SeriesClass c = MatchClass(name);
  std::unique_lock lock(class_mu_);
  if (classes_.size() >= kMaxCachedClasses) classes_.Clear();
  *classes_.TryEmplace(id).first = c;
  return c;
}

// `pending`: points of one schema, in id order. A raw point (first == 0)
// reaches the rollups when its head is sealed (FoldRollups); a point too old
// for the raw resolution is merged into the levels that still cover it, with
// the weight of the finest of them (whisper writes it there and propagates).
void SeriesStore::Impl::AddRollups(std::span<const Pending> pending, rocksdb::WriteBatch* batch) {
  if (pending.empty()) return;
  const auto& schema = layout_.schemas()[pending.front().schema];
  const auto& rs = schema.retentions;
  OperandRun run(data_, batch);
  for (size_t level = 1; level < rs.size(); ++level) {
    const uint8_t id = schema.ids[level];
    const int64_t step = rs[level].step;
    for (const Pending& p : pending) {
      if (p.first == 0 || p.first > level) continue;
      int64_t bucket = p.timestamp - p.timestamp % step;
      auto raw_offset = uint16_t((p.timestamp - bucket) / rs[0].step);
      int64_t block_start = bucket - bucket % (step * kSlotsPerBlock);
      auto weight = uint16_t(rs[p.first].step / rs[0].step);
      run.AddRollup({id, p.id, uint32_t(block_start)}, uint16_t((bucket - block_start) / step),
                    RollupBucket::Point(p.value, raw_offset, weight));
    }
  }
  run.Finish();
}

void SeriesStore::Impl::Classify(std::span<const Point> points, int64_t now,
                                 Classified* out) const {
  // Series ids first (the names are read in order), so the class lookups
  // below can prefetch: a class cache of millions misses on every lookup.
  std::vector<uint64_t> ids(points.size());
  for (size_t i = 0; i < points.size(); ++i) {
    const std::string& name = points[i].name;
    ids[i] = name.find(';') == std::string::npos ? SeriesId(name) : SeriesId(CanonicalName(name));
  }
  out->raw.reserve(points.size());
  constexpr size_t kAhead = 16;
  for (size_t i = 0; i < points.size(); ++i) {
    if (i + kAhead < points.size()) classes_.PrefetchSlot(ids[i + kAhead]);
    if (i + kAhead / 2 < points.size()) classes_.PrefetchEntry(ids[i + kAhead / 2]);
    const Point& p = points[i];
    if (!std::isfinite(p.value) || p.timestamp > now + kMaxFutureSeconds ||
        p.timestamp > std::numeric_limits<uint32_t>::max()) {
      dropped_invalid_.Add();
      continue;
    }
    const uint64_t id = ids[i];
    SeriesClass c;
    if (const SeriesClass* cached = classes_.Find(id)) {
      c = *cached;
    } else {
      // Seen for the first time: matched once, cached by the caller.
      auto [entry, fresh] = out->learned.TryEmplace(id);
      if (fresh) *entry = MatchClass(p.name);
      c = *entry;
    }
    const auto& schema = layout_.schemas()[c.schema];
    const auto& rs = schema.retentions;
    if (p.timestamp < now - rs.back().duration || p.timestamp < 0) {
      dropped_old_.Add();
      continue;
    }
    uint8_t first = 0;
    while (p.timestamp < now - rs[first].duration) ++first;  // the last resolution covers it
    const Pending point{id,       p.timestamp, p.value,
                        c.schema, first,       RawCombineFor(rules_.Rule(c.rule).method)};
    (first == 0 && HasHeads(schema.ids[0]) ? out->raw : out->pending).push_back(point);
  }
}

common::Status SeriesStore::Impl::Write(std::span<const Point> points) {
  auto started = std::chrono::steady_clock::now();
  std::lock_guard lock(write_mu_);
  if (closed_) return common::Status::Error("metric store is closed");
  std::shared_lock db_lock(db_mu_);
  if (auto s = Admit(points.size()); !s.ok()) return s;
  const int64_t now = clock_.NowSeconds();
  // A large batch (a statsd flush) is classified by two threads, a half each.
  Classified parts[2];
  {
    std::shared_lock classes(class_mu_);
    if (points.size() < kParallelPoints) {
      Classify(points, now, &parts[0]);
    } else {
      const size_t half = points.size() / 2;
      RunBeside([&] { Classify(points.subspan(half), now, &parts[1]); },
                [&] { Classify(points.first(half), now, &parts[0]); });
    }
  }
  RememberClasses(parts[0].learned);
  RememberClasses(parts[1].learned);
  const RawRuns raw{parts[0].raw, parts[1].raw};  // in arrival order
  std::vector<Pending>& pending = parts[0].pending;
  pending.insert(pending.end(), parts[1].pending.begin(), parts[1].pending.end());
  // Stable: points of one slot keep their order, so the last one written wins.
  std::stable_sort(pending.begin(), pending.end(), [](const Pending& a, const Pending& b) {
    return a.schema != b.schema ? a.schema < b.schema : a.id < b.id;
  });
  rocksdb::WriteBatch batch(pending.size() * 16);
  common::Status status;
  {
    std::unique_lock heads_lock(heads_mu_);
    SealHeads(now, false, &batch);
    AddRawPoints(raw, pending, now, &batch);
    for (size_t begin = 0, end = 0; begin < pending.size(); begin = end) {
      while (end < pending.size() && pending[end].schema == pending[begin].schema) ++end;
      AddRollups(std::span(pending).subspan(begin, end - begin), &batch);
    }
    status = Commit(&batch, raw.size() + pending.size());
  }
  if (status.ok()) {
    if (!wal_unlogged_ && CheckpointDue()) {
      // A periodic checkpoint runs beside the caller (a statsd flush is not
      // kept waiting for it); one after a failed WAL append runs now.
      std::lock_guard checkpoint_lock(checkpoint_mu_);
      checkpoint_wanted_ = true;
      checkpoint_cv_.notify_one();
    } else if (auto st = Checkpoint(false); !st.ok()) {
      if (const uint64_t n = checkpoint_log_.Take(clock_.NowSeconds()))
        spdlog::warn("metric store: {} ({} time(s) since the last line)", st.message(), n);
    }
  }
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started);
  last_write_ms_.Set(ms.count());
  return status;
}

common::Status SeriesStore::Impl::RegisterNames(std::span<const std::string> names) {
  return WithNames([&](NameIndex& index) { return index.Register(names); });
}

common::Status SeriesStore::Impl::Compact() {
  {
    // Seal what has ended first, so compaction sees every block that is due.
    std::lock_guard lock(write_mu_);
    std::shared_lock db_lock(db_mu_);
    if (!closed_ && db_ != nullptr) {
      rocksdb::WriteBatch batch;
      std::unique_lock heads_lock(heads_mu_);
      SealHeads(clock_.NowSeconds(), true, &batch);
      if (batch.Count() > 0) {
        if (auto st = Commit(&batch, 0); !st.ok()) return st;
      }
    }
  }
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  std::shared_lock db_lock(db_mu_);
  if (db_ == nullptr) return common::Status::Error(Unavailable());
  auto s = db_->CompactRange(options, data_, nullptr, nullptr);
  if (!s.ok()) return common::Status::Error("metric store compaction failed: " + s.ToString());
  return common::Status::Ok();
}

// ---- SeriesStore: forwards to Impl ----

common::Result<std::unique_ptr<SeriesStore>> SeriesStore::Open(const StoreOptions& options,
                                                               const common::Clock& clock,
                                                               common::StatsRegistry& stats) {
  if (options.retentions.empty()) {
    return common::Status::Error(
        fmt::format("cannot open metric store at {}: no retentions configured", options.path));
  }
  auto rules = AggregationRules::Create(options.aggregation);
  if (!rules.ok()) {
    return common::Status::Error(
        fmt::format("cannot open metric store at {}: {}", options.path, rules.status().message()));
  }
  auto impl = std::make_unique<Impl>(options, std::move(rules).value(), clock, stats);
  if (auto s = impl->OpenDb(); !s.ok()) return s;
  return std::unique_ptr<SeriesStore>(new SeriesStore(std::move(impl)));
}

SeriesStore::SeriesStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SeriesStore::~SeriesStore() = default;

common::Status SeriesStore::Close() { return impl_->Close(); }

common::Status SeriesStore::Write(std::span<const Point> points) { return impl_->Write(points); }

common::Status SeriesStore::RegisterNames(std::span<const std::string> names) {
  return impl_->RegisterNames(names);
}

common::Result<std::vector<Node>> SeriesStore::FindNodes(std::string_view pattern) const {
  return impl_->WithNames([&](NameIndex& n) { return n.FindNodes(pattern); });
}

common::Result<std::vector<std::string>> SeriesStore::FindSeries(std::string_view pattern,
                                                                 size_t limit) const {
  return impl_->WithNames([&](NameIndex& n) { return n.FindSeries(pattern, limit); });
}

common::Result<SeriesData> SeriesStore::Read(std::string_view name, int64_t from, int64_t until,
                                             int64_t now) const {
  return impl_->Read(name, from, until, now);
}

size_t SeriesStore::ReadLength(std::string_view name, int64_t from, int64_t until,
                               int64_t now) const {
  return impl_->ReadLength(name, from, until, now);
}

common::Status SeriesStore::Compact() { return impl_->Compact(); }

common::Result<std::vector<std::string>> SeriesStore::FindTagged(
    std::string_view tag, std::optional<std::string_view> value, size_t limit) const {
  return impl_->WithNames([&](NameIndex& n) { return n.FindTagged(tag, value, limit); });
}

common::Result<std::vector<std::string>> SeriesStore::ListTags(std::string_view prefix,
                                                               size_t limit) const {
  return impl_->WithNames([&](NameIndex& n) { return n.ListTags(prefix, limit); });
}

common::Result<std::vector<std::string>> SeriesStore::ListTagValues(std::string_view tag,
                                                                    std::string_view prefix,
                                                                    size_t limit) const {
  return impl_->WithNames([&](NameIndex& n) { return n.ListTagValues(tag, prefix, limit); });
}

const std::vector<Retention>& SeriesStore::retentions() const { return impl_->retentions(); }

}  // namespace hourglass::store
