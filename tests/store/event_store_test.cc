// EventStore over a real SeriesStore: range scans in (when, id) order with
// inclusive bounds, ids that keep counting after a reopen, and the tag rules
// graphite-web (django-tagging) applies.
#include "store/event_store.h"

#include <catch2/catch.hpp>

#include "common/clock.h"
#include "common/stats.h"
#include "store/series_store.h"
#include "temp_dir.h"

namespace hourglass::store {
namespace {

// A temp directory for a store opened (and reopened) by Open().
struct Fixture {
  std::unique_ptr<SeriesStore> Open() {
    StoreOptions options;
    options.path = dir.path();
    options.retentions = *ParseRetentions("10s:6h");
    auto opened = SeriesStore::Open(options, clock, stats);
    REQUIRE(opened.ok());
    return std::move(*opened);
  }
  testing::TempDir dir;
  common::ManualClock clock{1'000'000};
  common::StatsRegistry stats;
};

std::vector<Event> ScanAll(const SeriesStore& store, int64_t from_us, int64_t until_us) {
  std::vector<Event> out;
  REQUIRE(EventStore::Scan(store, from_us, until_us, [&](Event&& e) {
            out.push_back(std::move(e));
            return true;
          }).ok());
  return out;
}

TEST_CASE("event store: a range is inclusive at both ends, in (when, id) order") {
  Fixture f;
  auto store = f.Open();
  EventStore events(*store);
  for (int64_t when : {300, 100, 200, 100, -50}) {
    Event e{.when_us = when * 1'000'000, .what = "at " + std::to_string(when), .tags = "t"};
    REQUIRE(events.Add(e).ok());
  }
  std::vector<Event> got = ScanAll(*store, 100'000'000, 200'000'000);
  REQUIRE(got.size() == 3);
  CHECK(got[0].id == 2);
  CHECK(got[1].id == 4);
  CHECK(got[2].what == "at 200");
  CHECK(ScanAll(*store, 100'000'001, 199'999'999).empty());
  CHECK(ScanAll(*store, 200'000'000, 100'000'000).empty());
  got = ScanAll(*store, INT64_MIN, INT64_MAX);
  REQUIRE(got.size() == 5);
  CHECK(got[0].when_us == -50'000'000);  // before the epoch sorts first
  CHECK(got[4].tags == "t");
  size_t visited = 0;
  REQUIRE(
      EventStore::Scan(*store, INT64_MIN, INT64_MAX, [&](Event&&) { return ++visited < 2; }).ok());
  CHECK(visited == 2);  // the visitor stops the scan
}

TEST_CASE("event store: events and their ids survive a reopen") {
  Fixture f;
  {
    auto store = f.Open();
    EventStore events(*store);
    REQUIRE(*events.Add({.when_us = 5, .what = "one", .data = "d"}) == 1);
    REQUIRE(*events.Add({.when_us = 1, .what = "two"}) == 2);
  }
  auto store = f.Open();
  EventStore events(*store);
  CHECK(*events.Add({.when_us = 3, .what = "three"}) == 3);
  std::vector<Event> got = ScanAll(*store, 0, 10);
  REQUIRE(got.size() == 3);
  CHECK(got[2].what == "one");
  CHECK(got[2].data == "d");
}

TEST_CASE(
    "event store: at most max_stored events; one more deletes the oldest, also after a reopen") {
  Fixture f;
  {
    auto store = f.Open();
    EventStore events(*store, 3);
    uint64_t dropped = 9;
    for (int64_t when : {30, 10, 20}) {  // the bound itself: nothing goes
      REQUIRE(events.Add({.when_us = when, .what = std::to_string(when)}, &dropped).ok());
      CHECK(dropped == 0);
    }
    REQUIRE(events.Add({.when_us = 40, .what = "40"}, &dropped).ok());  // one more
    CHECK(dropped == 1);
    std::vector<Event> got = ScanAll(*store, INT64_MIN, INT64_MAX);
    REQUIRE(got.size() == 3);
    CHECK(got[0].what == "20");  // the oldest by time (10) went, not the first posted
  }
  auto store = f.Open();
  EventStore events(*store, 2);  // a smaller bound after a restart
  uint64_t dropped = 0;
  REQUIRE(events.Add({.when_us = 50, .what = "50"}, &dropped).ok());
  CHECK(dropped == 2);
  std::vector<Event> got = ScanAll(*store, INT64_MIN, INT64_MAX);
  REQUIRE(got.size() == 2);
  CHECK(got[0].what == "40");
  CHECK(got[1].what == "50");
}

TEST_CASE("event store: tags are listed as split() and matched as django-tagging parses them") {
  CHECK(EventTagWords("  b a\tb ") == std::vector<std::string>{"b", "a", "b"});
  CHECK(ParseEventTags("b a b") == std::vector<std::string>{"a", "b"});
  CHECK(ParseEventTags("b x, a ,") == std::vector<std::string>{"a", "b x"});
  const std::vector<std::string> tags = {"deploy", "prod"};
  CHECK(EventTagsMatch(tags, std::vector<std::string>{"prod", "deploy"}, false));
  CHECK(EventTagsMatch(tags, std::vector<std::string>{"prod", "", "deploy"}, false));
  CHECK_FALSE(EventTagsMatch(tags, std::vector<std::string>{"prod", "staging"}, false));
  CHECK(EventTagsMatch(tags, std::vector<std::string>{"prod", "staging"}, true));
  CHECK_FALSE(EventTagsMatch(tags, std::vector<std::string>{""}, false));  // tags= matches none
}

TEST_CASE("event store: a value it did not write does not decode") {
  Event e{.what = "w", .data = "d", .tags = "a b"};
  const std::string value = EncodeEventValue(e);
  Event back;
  REQUIRE(DecodeEventValue(value, &back));
  CHECK(back.tags == "a b");
  CHECK_FALSE(DecodeEventValue(value.substr(0, value.size() - 1), &back));
  CHECK_FALSE(DecodeEventValue(value + "x", &back));
  CHECK_FALSE(DecodeEventValue("\xff\xff\xff\xff", &back));
}

}  // namespace
}  // namespace hourglass::store
