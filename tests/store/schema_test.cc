// Retention schemas and aggregation rules by pattern (storage-schemas.conf and
// storage-aggregation.conf), through the public SeriesStore API, plus the
// resolution layout they persist.
#include <catch2/catch.hpp>

#include <rocksdb/db.h>

#include <cmath>

#include "store/resolution_layout.h"
#include "store/series_store.h"
#include "temp_dir.h"

using namespace hourglass;
using namespace hourglass::store;

namespace {

constexpr int64_t kNow = 1'700'000'400;  // a multiple of 600
constexpr int64_t kHour = 3600, kDay = 86400;

std::vector<Retention> R(const char* text) {
  auto r = ParseRetentions(text);
  REQUIRE(r.ok());
  return *r;
}

RetentionSchema Collectd() { return {"collectd", R"(^collectd\.)", R("1m:1d,1h:30d")}; }
RetentionSchema Short() { return {"short", R"(^tmp\.)", R("10s:1h,1m:2h")}; }

struct Fixture {
  testing::TempDir dir;
  common::ManualClock clock{kNow * 1'000'000};
  common::StatsRegistry stats;
  std::unique_ptr<SeriesStore> store;

  void Open(std::vector<RetentionSchema> schemas,
            std::vector<AggregationRule> aggregation = StatsdAggregationRules(),
            const char* retentions = "10s:6h,1m:7d,10m:5y") {
    store.reset();
    StoreOptions options{dir.path(), R(retentions), std::move(schemas), std::move(aggregation)};
    auto r = SeriesStore::Open(options, clock, stats);
    REQUIRE(r.ok());
    store = std::move(r).value();
  }
  void Write(std::vector<Point> points) { REQUIRE(store->Write(points).ok()); }
  SeriesData Read(const std::string& name, int64_t from) {
    auto r = store->Read(name, from, kNow, kNow);
    REQUIRE(r.ok());
    return std::move(r).value();
  }
  double At(const std::string& name, int64_t from, int64_t t) {
    SeriesData d = Read(name, from);
    REQUIRE(t >= d.start);
    REQUIRE(t < d.end);
    return d.values[(t - d.start) / d.step];
  }
};

}  // namespace

TEST_CASE("the first matching schema decides a series' resolutions", "[store][schema]") {
  Fixture f;
  f.Open({Collectd(), Short()});
  f.Write({{"collectd.host.rx.count", kNow - 120, 1.5},
           {"collectd.host.rx.count", kNow - 60, 2.5},
           {"app.req", kNow - 60, 7}});
  // collectd: 1 min raw for a day, read over the last hour at 60 s steps.
  CHECK(f.Read("collectd.host.rx.count", kNow - kHour).step == 60);
  CHECK(f.At("collectd.host.rx.count", kNow - kHour, kNow - 120) == 1.5);
  CHECK(f.At("collectd.host.rx.count", kNow - kHour, kNow - 60) == 2.5);
  // Past its day: the 1 h resolution; both points are in the hour starting at
  // kNow - 1200 (.count sums).
  CHECK(f.Read("collectd.host.rx.count", kNow - 2 * kDay).step == 3600);
  CHECK(f.At("collectd.host.rx.count", kNow - 2 * kDay, kNow - 1200) == 4);
  // Everything else: the default 10 s resolution.
  CHECK(f.Read("app.req", kNow - kHour).step == 10);
  CHECK(f.At("app.req", kNow - kHour, kNow - 60) == 7);
  // Tags do not take part in matching.
  f.Write({{"collectd.host.load;dc=x", kNow - 60, 4}});
  CHECK(f.Read("collectd.host.load;dc=x", kNow - kHour).step == 60);
}

TEST_CASE("each schema's retention limits what is kept and read", "[store][schema]") {
  Fixture f;
  f.Open({Short()});
  f.Write({{"tmp.x.count", kNow - 3 * kHour, 1}, {"tmp.x.count", kNow - 30 * 60, 5}});
  CHECK(f.stats.GetCounter("store.points_dropped_old", "").Value() == 1);  // past 2 h
  CHECK(f.At("tmp.x.count", kNow - 50 * 60, kNow - 30 * 60) == 5);
  // The same point for a default series is kept: its schema keeps 5 years.
  f.Write({{"app.x.count", kNow - 3 * kHour, 1}});
  CHECK(f.At("app.x.count", kNow - 7 * kHour, kNow - 3 * kHour) == 1);
  // A day later the short schema's blocks are compacted away (read as of
  // kNow: only deletion explains the null); the default series' 1 min
  // rollup stays.
  f.clock.SetSeconds(kNow + kDay);
  REQUIRE(f.store->Compact().ok());
  CHECK(std::isnan(f.At("tmp.x.count", kNow - 50 * 60, kNow - 30 * 60)));
  CHECK(f.At("app.x.count", kNow - 7 * kHour, kNow - 3 * kHour) == 1);
}

TEST_CASE("reordered, added or re-timed schemas keep reading stored points", "[store][schema]") {
  Fixture f;
  f.Open({Collectd()});
  f.Write({{"collectd.a", kNow - 60, 3}, {"app.b", kNow - 60, 4}});
  // A new schema in front, and collectd keeps its steps for longer.
  RetentionSchema longer = Collectd();
  longer.retentions = R("1m:7d,1h:1y");
  f.Open({Short(), longer});
  CHECK(f.At("collectd.a", kNow - kHour, kNow - 60) == 3);
  CHECK(f.At("app.b", kNow - kHour, kNow - 60) == 4);
  // Dropping every schema: collectd.a now has the default resolutions and its
  // earlier points are not read (a whisper-resize in carbon terms).
  f.Open({});
  CHECK(f.Read("collectd.a", kNow - kHour).step == 10);
  CHECK(std::isnan(f.At("collectd.a", kNow - kHour, kNow - 60)));
  CHECK(f.At("app.b", kNow - kHour, kNow - 60) == 4);
}

TEST_CASE("aggregation rules come from the options, first match wins", "[store][schema]") {
  Fixture f;
  f.Open({}, {{"gauge_last", R"(^gauges\.)", AggregationMethod::kLast, 0},
              {"max_all", R"(\.peak$)", AggregationMethod::kMax, 0.5},
              {"sum_rest", ".*", AggregationMethod::kSum, 0}});
  const int64_t b = kNow - 1200;  // a 1 min bucket, read from the 1 min resolution
  const int64_t from = kNow - 6 * kHour - 60;
  f.Write({{"gauges.q", b + 20, 9}, {"gauges.q", b, 1}, {"gauges.q", b + 10, 5}});
  CHECK(f.At("gauges.q", from, b) == 9);  // the latest in time, not the latest written
  for (int i = 0; i < 3; ++i) f.Write({{"x.peak", b + 10 * i, double(i)}});
  CHECK(f.At("x.peak", from, b) == 2);  // 3 of 6 slots: xFilesFactor 0.5 met
  f.Write({{"y.peak", b, 8}});
  CHECK(std::isnan(f.At("y.peak", from, b)));  // 1 of 6: below 0.5
  f.Write({{"stats.timers.t.lower", b, 3}, {"stats.timers.t.lower", b + 10, 4}});
  CHECK(f.At("stats.timers.t.lower", from, b) == 7);  // sum_rest, not statsd's min
  // A second write to the same raw slot follows the rule too: sum adds.
  f.Write({{"c.hits", kNow - 50, 2}});
  f.Write({{"c.hits", kNow - 50, 3}});
  CHECK(f.At("c.hits", kNow - 60, kNow - 50) == 5);
}

TEST_CASE("a bad pattern or xFilesFactor fails Open with the rule's name", "[store][schema]") {
  Fixture f;
  StoreOptions bad_schema{f.dir.path(), R("10s:1h"), {{"broken", "(", R("1m:1d")}}};
  auto r = SeriesStore::Open(bad_schema, f.clock, f.stats);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("broken"));
  StoreOptions bad_rule{f.dir.path(), R("10s:1h"), {}, {{"odd", ".*", AggregationMethod::kSum, 2}}};
  r = SeriesStore::Open(bad_rule, f.clock, f.stats);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("odd"));
}

TEST_CASE("resolution layout: ids per (raw step, step), persisted and stable", "[store][schema]") {
  StoreOptions options{"", R("10s:6h,1m:7d"), {Collectd()}};
  auto first = ResolutionLayout::Create(options, "", "");
  REQUIRE(first.ok());
  // Ids follow the configured order, the default schema last.
  CHECK(first->schemas()[0].ids == std::vector<uint8_t>{0, 1});
  CHECK(first->schemas()[1].ids == std::vector<uint8_t>{2, 3});
  CHECK(first->PersistedText() ==
        "0 60 60 86400\n1 60 3600 2592000\n2 10 10 21600\n3 10 60 604800\n");

  // Reordered, with a schema sharing the default's steps: same ids; the
  // shared 1 min resolution keeps the longer duration.
  options.schemas = {{"tmp", "^tmp", R("10s:1h,1m:30d")}, Collectd()};
  auto second = ResolutionLayout::Create(options, first->PersistedText(), "");
  REQUIRE(second.ok());
  CHECK(second->schemas()[0].ids == std::vector<uint8_t>{2, 3});
  CHECK(second->schemas()[1].ids == std::vector<uint8_t>{0, 1});
  CHECK(second->resolutions()[3].duration == 30 * kDay);
  CHECK(second->Match("tmp.a") == 0);
  CHECK(second->Match("collectd.b;tmp=1") == 1);
  CHECK(second->Match("other") == 2);

  // A store from before layouts: its default retentions are ids 0, 1, 2.
  options.schemas = {Collectd()};
  options.retentions = R("10s:6h,1m:7d,10m:5y");
  auto legacy = ResolutionLayout::Create(options, "", "10:21600,60:604800,600:157680000");
  REQUIRE(legacy.ok());
  CHECK(legacy->schemas()[1].ids == std::vector<uint8_t>{0, 1, 2});
  CHECK(legacy->schemas()[0].ids == std::vector<uint8_t>{3, 4});

  CHECK_FALSE(ResolutionLayout::Create(options, "0 10 x 5\n", "").ok());  // damaged
}

TEST_CASE("the layout stays under the key stores were written with", "[store][schema]") {
  // Resolutions were once called archives; the persisted key kept the old
  // name, so a store written before the rename opens with the same ids.
  Fixture f;
  f.Open({Collectd()});
  f.store.reset();
  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  auto s = rocksdb::DB::OpenForReadOnly(
      rocksdb::DBOptions(), f.dir.path(),
      {{rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()}}, &handles, &raw);
  REQUIRE(s.ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string text;
  CHECK(db->Get(rocksdb::ReadOptions(), "archive_layout", &text).ok());
  CHECK(text ==
        "0 60 60 86400\n1 60 3600 2592000\n2 10 10 21600\n3 10 60 604800\n4 10 600 "
        "157680000\n");
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
}
