// A real SeriesStore in a temp directory for the query tests, with two
// series written at 10 s steps around a fixed "now".
#pragma once

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/clock.h"
#include "common/stats.h"
#include "store/series_store.h"

namespace hourglass::query::testing {

inline constexpr int64_t kNow = 1420110000;  // 2015-01-01 11:00:00 UTC

class TestStore {
 public:
  TestStore() : clock_(kNow * 1'000'000) {
    dir_ = std::filesystem::temp_directory_path() /
           ("hg_query_test_" + std::to_string(std::random_device{}()));
    store::StoreOptions options;
    options.path = dir_.string();
    options.retentions = *store::ParseRetentions("10s:6h,1m:7d");
    auto opened = store::SeriesStore::Open(options, clock_, stats_);
    INFO(opened.status().message());
    REQUIRE(opened.ok());
    store_ = std::move(*opened);
  }
  ~TestStore() {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // name gets value `base + i` at kNow - 60 + 10*i for i in 0..5.
  void AddSeries(const std::string& name, double base) {
    std::vector<store::Point> points;
    for (int i = 0; i < 6; ++i) points.push_back({name, kNow - 60 + 10 * i, base + i});
    REQUIRE(store_->Write(points).ok());
    std::vector<std::string> names{name};
    REQUIRE(store_->RegisterNames(names).ok());
  }

  store::SeriesStore& store() { return *store_; }
  common::ManualClock& clock() { return clock_; }
  common::StatsRegistry& stats() { return stats_; }

 private:
  std::filesystem::path dir_;
  common::ManualClock clock_;
  common::StatsRegistry stats_;
  std::unique_ptr<store::SeriesStore> store_;
};

}  // namespace hourglass::query::testing
