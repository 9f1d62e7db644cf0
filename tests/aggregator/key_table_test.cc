// KeyTable: lookups by (type, key) stay right through growth, backward-shift
// deletion, id reuse and arena compaction.
#include "aggregator/key_table.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace hourglass::aggregator {
namespace {

std::string Name(int i) {
  return "app.host-" + std::to_string(i % 97) + ".metric-" + std::to_string(i);
}

TEST_CASE("key table: same key, other type, is another key", "[key_table]") {
  KeyTable table;
  const uint32_t c = table.Insert(MakeTypedKey(MetricType::kCounter, "x"));
  const uint32_t g = table.Insert(MakeTypedKey(MetricType::kGauge, "x"));
  CHECK(c != g);
  CHECK(table.Insert(MakeTypedKey(MetricType::kCounter, "x")) == c);
  CHECK(table.Find({MetricType::kGauge, "x"}) == g);
  CHECK(!table.Find({MetricType::kTimer, "x"}));
  CHECK(table.key(g).key == "x");
  CHECK(table.state(g).type == MetricType::kGauge);
  CHECK(table.size() == 2);
}

TEST_CASE("key table: erase, reuse and compaction keep every lookup right", "[key_table]") {
  KeyTable table;
  constexpr int kKeys = 40'000;
  std::vector<uint32_t> ids;
  for (int i = 0; i < kKeys; ++i) {
    ids.push_back(table.Insert(MakeTypedKey(static_cast<MetricType>(i % 4), Name(i))));
  }
  CHECK(table.size() == kKeys);
  // Erase three keys in four: the arena's garbage outgrows its live bytes.
  for (int i = 0; i < kKeys; ++i) {
    if (i % 4 != 0) table.Erase(ids[i]);
  }
  CHECK(table.size() == kKeys / 4);
  for (int i = 0; i < kKeys; ++i) {
    const auto id = table.Find({static_cast<MetricType>(i % 4), Name(i)});
    if (i % 4 == 0) {
      REQUIRE(id == ids[i]);
      CHECK(table.key(*id).key == Name(i));
      CHECK(table.state(*id).held());
    } else {
      REQUIRE(!id);
    }
  }
  // New keys take the freed ids: no id past the first kKeys.
  for (int i = kKeys; i < kKeys + kKeys / 2; ++i) {
    const uint32_t id = table.Insert(MakeTypedKey(MetricType::kCounter, Name(i)));
    CHECK(id < kKeys);
  }
  CHECK(table.id_limit() == kKeys);
  for (int i = kKeys; i < kKeys + kKeys / 2; ++i) {
    const auto id = table.Find({MetricType::kCounter, Name(i)});
    REQUIRE(id);
    CHECK(table.key(*id).key == Name(i));
  }
  CHECK(table.Find({MetricType::kGauge, Name(1)}) == std::nullopt);
}

}  // namespace
}  // namespace hourglass::aggregator
