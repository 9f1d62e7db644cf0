// ClockedStore: a SeriesStore on a manual clock with statsd's retentions
// (10s:6h,1m:7d,10m:5y), for store tests that write and read at set times.
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/stats.h"
#include "store/series_store.h"

namespace hourglass::store::testing {

struct ClockedStore {
  common::ManualClock clock;
  common::StatsRegistry stats;
  std::unique_ptr<SeriesStore> store;

  ClockedStore(const std::string& path, int64_t now_s) : clock(now_s * 1'000'000) {
    auto r = SeriesStore::Open(
        {.path = path, .retentions = *ParseRetentions("10s:6h,1m:7d,10m:5y")}, clock, stats);
    REQUIRE(r.ok());
    store = std::move(r).value();
  }
  // The value at time t of a read of [from, now] at `now`.
  double At(const std::string& name, int64_t from, int64_t t, int64_t now) {
    auto d = store->Read(name, from, now, now);
    REQUIRE(d.ok());
    REQUIRE(t >= d->start);
    REQUIRE(t < d->end);
    return d->values[(t - d->start) / d->step];
  }
};

}  // namespace hourglass::store::testing
