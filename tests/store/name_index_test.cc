#include <catch2/catch.hpp>

#include "store/name_index.h"
#include "store/series_store.h"
#include "temp_dir.h"

using namespace hourglass;
using namespace hourglass::store;

namespace {

struct IndexFixture {
  testing::TempDir dir;
  common::ManualClock clock{1'700'000'400LL * 1'000'000};
  common::StatsRegistry stats;
  std::unique_ptr<SeriesStore> store;

  IndexFixture() {
    auto r = SeriesStore::Open({.path = dir.path(), .retentions = *ParseRetentions("10s:6h,1m:7d")},
                               clock, stats);
    REQUIRE(r.ok());
    store = std::move(r).value();
    std::vector<std::string> names{"stats.timers.api.mean",
                                   "stats.timers.api.upper_90",
                                   "stats.timers.web.mean",
                                   "stats.gauges.queue",
                                   "stats.gauges",
                                   "stats_counts.req",
                                   "a.b.c",
                                   "a.bc.d",
                                   "cpu.load;host=a;dc=x"};
    REQUIRE(store->RegisterNames(names).ok());
  }

  // "path:LB" with L = leaf, B = has children.
  std::vector<std::string> Find(std::string_view pattern) {
    auto r = store->FindNodes(pattern);
    REQUIRE(r.ok());
    std::vector<std::string> out;
    for (const Node& n : *r) {
      out.push_back(n.path + ":" + (n.is_leaf ? "L" : "") + (n.has_children ? "B" : ""));
    }
    return out;
  }
};

using V = std::vector<std::string>;

}  // namespace

TEST_CASE("FindNodes lists children with leaf and branch flags", "[store][index]") {
  IndexFixture f;
  // Tagged names stay out of the tree.
  CHECK(f.Find("*") == V{"a:B", "stats:B", "stats_counts:B"});
  CHECK(f.Find("stats.*") == V{"stats.gauges:LB", "stats.timers:B"});
  CHECK(f.Find("stats.gauges") == V{"stats.gauges:LB"});
  CHECK(f.Find("stats_counts.req") == V{"stats_counts.req:L"});
  CHECK(f.Find("nope.*").empty());
  CHECK(f.Find("stats.nope").empty());
  CHECK(f.Find("").empty());
}

TEST_CASE("FindNodes braces, classes and multi-level globs", "[store][index]") {
  IndexFixture f;
  CHECK(f.Find("stats.timers.{api,web}.mean") ==
        V{"stats.timers.api.mean:L", "stats.timers.web.mean:L"});
  CHECK(f.Find("stats.timers.*.upper_[0-9]*") == V{"stats.timers.api.upper_90:L"});
  CHECK(f.Find("stats.timers.[!a]*") == V{"stats.timers.web:B"});
  CHECK(f.Find("stats.*.*.mean") == V{"stats.timers.api.mean:L", "stats.timers.web.mean:L"});
  CHECK(f.Find("a.b*") == V{"a.b:B", "a.bc:B"});
  CHECK(f.Find("a.b?") == V{"a.bc:B"});
  CHECK(f.Find("a.{b,bc}.*") == V{"a.b.c:L", "a.bc.d:L"});
  CHECK(f.Find("{a,stats_counts}.{c*,r*}") == V{"stats_counts.req:L"});
  CHECK(f.Find("*.*.*.*") ==
        V{"stats.timers.api.mean:L", "stats.timers.api.upper_90:L", "stats.timers.web.mean:L"});
}

TEST_CASE("FindSeries returns leaves only, bounded, and exact tagged names", "[store][index]") {
  IndexFixture f;
  auto two = f.store->FindSeries("stats.timers.*.*", 2);
  REQUIRE(two.ok());
  CHECK(*two == V{"stats.timers.api.mean", "stats.timers.api.upper_90"});
  auto gauges = f.store->FindSeries("stats.*");
  REQUIRE(gauges.ok());
  CHECK(*gauges == V{"stats.gauges"});
  auto tagged = f.store->FindSeries("cpu.load;host=a;dc=x");
  REQUIRE(tagged.ok());
  CHECK(*tagged == V{"cpu.load;dc=x;host=a"});  // canonical: tags sorted
  auto other = f.store->FindSeries("cpu.load;host=b");
  REQUIRE(other.ok());
  CHECK(other->empty());
  // Graphite's TaggedSeries.format order: "a-b=1" before "a=2".
  CHECK(store::CanonicalName("cpu;a=2;a-b=1") == "cpu;a-b=1;a=2");
}

TEST_CASE("RegisterNames is idempotent and counts new names once", "[store][index]") {
  IndexFixture f;
  CHECK(f.stats.GetCounter("store.names_registered", "").Value() == 9);
  std::vector<std::string> again{"stats.gauges", "a.b.c", "a.b", "a.b"};
  REQUIRE(f.store->RegisterNames(again).ok());
  CHECK(f.stats.GetCounter("store.names_registered", "").Value() == 10);  // only a.b is new
  CHECK(f.Find("a.*") == V{"a.b:LB", "a.bc:B"});
}

TEST_CASE("tag listing: FindTagged, ListTags, ListTagValues", "[store][index]") {
  IndexFixture f;
  std::vector<std::string> more{"cpu.load;host=b;dc=y", "cpu.idle;host=a", "mem;dc=x",
                                "disk;hostname=q"};
  REQUIRE(f.store->RegisterNames(more).ok());
  auto tagged = [&](std::string_view tag, std::optional<std::string_view> value, size_t limit) {
    auto r = f.store->FindTagged(tag, value, limit);
    REQUIRE(r.ok());
    return *r;
  };
  CHECK(tagged("host", "a", 10) == V{"cpu.idle;host=a", "cpu.load;dc=x;host=a"});
  CHECK(tagged("host", "a", 1) == V{"cpu.idle;host=a"});
  CHECK(tagged("host", std::nullopt, 10) ==
        V{"cpu.idle;host=a", "cpu.load;dc=x;host=a", "cpu.load;dc=y;host=b"});
  CHECK(tagged("name", "cpu.load", 10) == V{"cpu.load;dc=x;host=a", "cpu.load;dc=y;host=b"});
  CHECK(tagged("dc", "z", 10).empty());
  CHECK(tagged("hos", std::nullopt, 10).empty());  // a tag name is matched whole
  auto tags = f.store->ListTags("", 10);
  REQUIRE(tags.ok());
  CHECK(*tags == V{"dc", "host", "hostname", "name"});
  auto h = f.store->ListTags("ho", 1);
  REQUIRE(h.ok());
  CHECK(*h == V{"host"});
  auto values = f.store->ListTagValues("host", "", 10);
  REQUIRE(values.ok());
  CHECK(*values == V{"a", "b"});
  auto names = f.store->ListTagValues("name", "cpu.l", 10);
  REQUIRE(names.ok());
  CHECK(*names == V{"cpu.load"});
  auto none = f.store->ListTagValues("nope", "", 10);
  REQUIRE(none.ok());
  CHECK(none->empty());
}

TEST_CASE("Read and Write accept tagged names in any tag order", "[store][index]") {
  IndexFixture f;
  const int64_t now = 1'700'000'400;
  std::vector<Point> points{{"cpu.load;host=a;dc=x", now - 20, 7}};
  REQUIRE(f.store->Write(points).ok());
  auto d = f.store->Read("cpu.load;dc=x;host=a", now - 60, now, now);
  REQUIRE(d.ok());
  CHECK(d->values[(now - 20 - d->start) / d->step] == 7);
}

TEST_CASE("FindNodes refuses globs past the length and alternatives bounds", "[store][index]") {
  IndexFixture f;
  // kMaxGlobLength characters are searched; one more is refused.
  const std::string at_bound = "a.b." + std::string(kMaxGlobLength - 4, 'c');
  CHECK(f.Find(at_bound).empty());
  auto longer = f.store->FindNodes(at_bound + "c");
  REQUIRE_FALSE(longer.ok());
  CHECK_THAT(longer.status().message(), Catch::Contains("longer than 16384"));
  // 2^12 alternatives in a node are searched, 2^13 refused (no silent drop).
  std::string twelve = "a.";
  for (int i = 0; i < 11; ++i) twelve += "{b,x}";
  twelve += "{c,y}";
  CHECK(f.Find(twelve).empty());  // "a.bbbbbbbbbbbc" does not exist
  CHECK(f.Find("a.{b,x,y,z}{,c,d,e}.*") == V{"a.b.c:L", "a.bc.d:L"});
  auto refused = f.store->FindNodes(twelve + "{,z}");
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.status().message(), Catch::Contains("more than 4096 alternatives"));
}

TEST_CASE("FindNodes returns each node once, however the pattern names it", "[store][index]") {
  IndexFixture f;
  for (std::string_view p : {"a.{b,b}.*", "{a,a*}", "{a,a}.{b,b*,bc}", "*.{b*,bc}", "{a,[a]}",
                             "stats.{gauges,g*}", "{stats,s*}.{timers,t*}.{api,a*}.*"}) {
    std::vector<std::string> found = f.Find(p);
    std::vector<std::string> unique = found;
    std::sort(unique.begin(), unique.end());
    unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
    INFO(p);
    CHECK(found.size() == unique.size());
  }
}
