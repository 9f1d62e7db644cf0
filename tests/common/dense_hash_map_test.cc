#include "common/dense_hash_map.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <unordered_map>

using hourglass::common::DenseHashMap;

namespace {

// A poor hash on purpose: many keys share a home slot, so probing runs are
// long and deletion has to shift them back.
struct ClusteredHash {
  uint64_t operator()(uint64_t k) const { return (k % 64) << 40; }
};
struct SpreadHash {
  uint64_t operator()(uint64_t k) const { return k * 0x9E3779B97F4A7C15ull; }
};

template <typename Hash>
void CheckAgainstStd(int ops, uint64_t key_range) {
  DenseHashMap<uint64_t, std::string, Hash> map;
  std::unordered_map<uint64_t, std::string> expected;
  std::mt19937_64 rng(42);
  for (int i = 0; i < ops; ++i) {
    const uint64_t key = rng() % key_range;
    switch (rng() % 4) {
      case 0:
      case 1: {
        auto [value, fresh] = map.TryEmplace(key);
        REQUIRE(fresh == !expected.contains(key));
        *value = "v" + std::to_string(i) + std::string(i % 40, 'x');  // heap strings too
        expected[key] = *value;
        break;
      }
      case 2:
        REQUIRE(map.Erase(key) == (expected.erase(key) == 1));
        break;
      default: {
        const std::string* found = map.Find(key);
        auto it = expected.find(key);
        REQUIRE((found != nullptr) == (it != expected.end()));
        if (found != nullptr) REQUIRE(*found == it->second);
      }
    }
    REQUIRE(map.size() == expected.size());
  }
  // Every entry is reachable by its key and holds its value.
  size_t seen = 0;
  for (size_t i = 0; i < map.size(); ++i) {
    const auto& e = map.At(i);
    REQUIRE(expected.at(e.key) == e.value);
    REQUIRE(map.Find(e.key) == &map.At(i).value);
    ++seen;
  }
  REQUIRE(seen == expected.size());
}

}  // namespace

TEST_CASE("DenseHashMap matches std::unordered_map under inserts, finds and erases") {
  CheckAgainstStd<SpreadHash>(200'000, 20'000);  // grows past several chunks
  CheckAgainstStd<ClusteredHash>(20'000, 2'000);
}

TEST_CASE("DenseHashMap EraseAt while iterating visits every entry once") {
  DenseHashMap<uint64_t, int, SpreadHash> map;
  for (uint64_t k = 0; k < 10'000; ++k) *map.TryEmplace(k).first = int(k);
  size_t kept = 0;
  for (size_t i = 0; i < map.size();) {
    if (map.At(i).key % 3 == 0) {
      map.EraseAt(i);  // the last entry moved to i: look at i again
    } else {
      ++kept;
      ++i;
    }
  }
  REQUIRE(kept == map.size());
  REQUIRE(map.size() == 10'000 - 3'334);
  for (uint64_t k = 0; k < 10'000; ++k) REQUIRE((map.Find(k) != nullptr) == (k % 3 != 0));
  map.Clear();
  REQUIRE(map.empty());
  REQUIRE(map.Find(1) == nullptr);
  *map.TryEmplace(7).first = 7;
  REQUIRE(*map.Find(7) == 7);
}
