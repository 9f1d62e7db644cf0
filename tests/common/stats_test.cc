#include "common/stats.h"

#include <catch2/catch.hpp>

using namespace hourglass::common;

TEST_CASE("stats registry returns the same counter for the same name") {
  StatsRegistry stats;
  Counter& a = stats.GetCounter("statsd.packets_received", "packets");
  a.Add(3);
  stats.GetCounter("statsd.packets_received", "packets").Add(2);
  stats.GetGauge("store.keys", "keys").Set(7.5);
  auto snapshot = stats.Snapshot();
  REQUIRE(snapshot.size() == 2);
  CHECK(snapshot[0].name == "statsd.packets_received");
  CHECK(snapshot[0].value == 5);
  CHECK(snapshot[1].name == "store.keys");
  CHECK(snapshot[1].value == 7.5);
}

TEST_CASE("health keeps the last state per component") {
  StatsRegistry stats;
  stats.SetHealth("store", HealthState::kDegraded, "disk full");
  stats.SetHealth("store", HealthState::kOk);
  auto health = stats.Health();
  REQUIRE(health.size() == 1);
  CHECK(health[0].state == HealthState::kOk);
  CHECK(health[0].detail.empty());
}
