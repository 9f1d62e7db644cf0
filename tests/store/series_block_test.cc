#include "store/series_block.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

using namespace hourglass::store;

namespace {

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

std::string Encode(const std::vector<SeriesBlockPoint>& points) {
  std::string out;
  REQUIRE(EncodeSeriesBlock(points, &out));
  return out;
}

// Decodes `block` and checks it equals `points` bit for bit; also checks the
// writer resumed from every prefix produces the same bytes as one pass.
void CheckRoundTrip(const std::vector<SeriesBlockPoint>& points) {
  const std::string block = Encode(points);
  REQUIRE(static_cast<uint8_t>(block[0]) >= kTagSeriesBlock);
  std::vector<SeriesBlockPoint> back;
  REQUIRE(DecodeSeriesBlock(block, &back));
  REQUIRE(back.size() == points.size());
  for (size_t i = 0; i < points.size(); ++i) {
    INFO("point " << i << " slot " << points[i].slot);
    REQUIRE(back[i].slot == points[i].slot);
    REQUIRE(Bits(back[i].value) == Bits(points[i].value));
  }
  int count = 0, last = 0;
  REQUIRE(SeriesBlockHeader(block, &count, &last));
  CHECK(count == static_cast<int>(points.size()));
  CHECK(last == points.back().slot);
}

std::vector<SeriesBlockPoint> Dense(const std::vector<double>& values, int first = 0) {
  std::vector<SeriesBlockPoint> points;
  for (size_t i = 0; i < values.size(); ++i) {
    points.push_back({static_cast<uint16_t>(first + static_cast<int>(i)), values[i]});
  }
  return points;
}

double Nan(uint64_t payload, bool negative) {
  return std::bit_cast<double>((negative ? 0xfff0000000000000ull : 0x7ff0000000000000ull) |
                               payload);
}

}  // namespace

TEST_CASE("series block: special doubles round-trip bit for bit", "[store][series_block]") {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> specials = {0.0,
                                        -0.0,
                                        inf,
                                        -inf,
                                        Nan(1, false),
                                        Nan(0x8000000000000ull, false),  // quiet NaN
                                        Nan(0xfffffffffffffull, true),
                                        Nan(0x123456789abull, true),
                                        std::numeric_limits<double>::denorm_min(),
                                        -std::numeric_limits<double>::denorm_min(),
                                        DBL_MIN / 3,
                                        DBL_MAX,
                                        -DBL_MAX,
                                        DBL_MIN,
                                        1.0,
                                        0.1 + 0.2,
                                        12.34,
                                        -7.0};
  for (double v : specials) {
    INFO("single value bits " << std::hex << Bits(v));
    CheckRoundTrip({{0, v}});
    CheckRoundTrip({{359, v}});
  }
  CheckRoundTrip(Dense(specials));
  std::vector<double> twice = specials;
  twice.insert(twice.end(), specials.rbegin(), specials.rend());
  CheckRoundTrip(Dense(twice, 10));
}

TEST_CASE("series block: seeded random bit patterns and slots", "[store][series_block]") {
  std::mt19937_64 rng(20261207);
  for (int block = 0; block < 400; ++block) {
    const int density = 1 + static_cast<int>(rng() % 100);  // percent of slots present
    std::vector<SeriesBlockPoint> points;
    for (int slot = 0; slot < kSlotsPerBlock; ++slot) {
      if (static_cast<int>(rng() % 100) >= density) continue;
      double v;
      switch (rng() % 5) {
        case 0:
          v = std::bit_cast<double>(rng());  // any bit pattern, NaN payloads included
          break;
        case 1:
          v = static_cast<double>(static_cast<int64_t>(rng() % 2000) - 1000);
          break;
        case 2:
          v = static_cast<double>(static_cast<int64_t>(rng() % 200000) - 100000) / 100;
          break;
        case 3:
          v = points.empty() ? 1.0 : points.back().value;  // repeat
          break;
        default:
          v = static_cast<double>(rng() % 1000000) / 7.0;
      }
      points.push_back({static_cast<uint16_t>(slot), v});
    }
    if (points.empty()) points.push_back({static_cast<uint16_t>(rng() % 360), 3.5});
    INFO("block " << block);
    CheckRoundTrip(points);
  }
}

TEST_CASE("series block: slot shapes at the bounds", "[store][series_block]") {
  std::vector<double> full(kSlotsPerBlock);
  for (int i = 0; i < kSlotsPerBlock; ++i) full[static_cast<size_t>(i)] = i * 0.25;
  CheckRoundTrip(Dense(full));             // all 360 slots
  CheckRoundTrip({{0, 1.5}, {359, 2.5}});  // gap of 359
  CheckRoundTrip({{0, 1}, {1, 2}, {10, 3}, {11, 4}, {20, 5}, {350, 6}, {359, 7}});
  for (int gap = 1; gap < kSlotsPerBlock; ++gap) {  // every gap length
    CheckRoundTrip({{0, 42.0}, {static_cast<uint16_t>(gap), 43.0}});
  }
  // A dense block stores no slot deltas: equal values cost 1 bit a point.
  std::vector<double> flat(kSlotsPerBlock, 17.0);
  const std::string flat_block = Encode(Dense(flat));
  CHECK((static_cast<uint8_t>(flat_block[0]) & 0x08) != 0);
  // Header, the first value ('110' + 12 bits: zigzag 34), then a '0' a point.
  CHECK(flat_block.size() == 5 + (15 + (kSlotsPerBlock - 1) + 7) / 8);
  // One gap anywhere makes it sparse, and it still round-trips.
  std::vector<SeriesBlockPoint> gap = Dense(flat);
  gap.erase(gap.begin() + 180);
  CHECK((static_cast<uint8_t>(Encode(gap)[0]) & 0x08) == 0);
  CheckRoundTrip(gap);
}

TEST_CASE("series block: writer refuses bad slots and resumes", "[store][series_block]") {
  SeriesBlockWriter w;
  CHECK(w.bytes().empty());
  CHECK(w.last_slot() == -1);
  CHECK_FALSE(w.Append(360, 1.0));  // the bound: 359 is the last slot
  REQUIRE(w.Append(5, 1.0));
  CHECK_FALSE(w.Append(5, 2.0));  // same slot
  CHECK_FALSE(w.Append(4, 2.0));  // earlier slot
  REQUIRE(w.Append(359, 2.0));
  CHECK_FALSE(w.Append(360, 2.0));
  CHECK(w.count() == 2);
  CHECK(w.last_slot() == 359);

  // Resuming from bytes then appending equals appending in one pass, across
  // the mode changes (integer -> 2 decimals -> full precision) and the
  // dense -> sparse change (slots 0..4 then every third).
  const std::vector<double> values = {3, 4, 4, 5.5, 5.25, 0.1 + 0.2, 7, -0.0, 8};
  auto slot = [](size_t i) { return static_cast<uint16_t>(i < 5 ? i : i * 3); };
  SeriesBlockWriter one;
  for (size_t i = 0; i < values.size(); ++i) one.Append(slot(i), values[i]);
  for (size_t cut = 1; cut < values.size(); ++cut) {
    SeriesBlockWriter a;
    for (size_t i = 0; i < cut; ++i) a.Append(slot(i), values[i]);
    SeriesBlockWriter b;
    REQUIRE(SeriesBlockWriter::Resume(a.bytes(), &b));
    for (size_t i = cut; i < values.size(); ++i) b.Append(slot(i), values[i]);
    INFO("cut " << cut);
    CHECK(b.bytes() == one.bytes());
  }
  SeriesBlockWriter bad;
  CHECK_FALSE(SeriesBlockWriter::Resume("", &bad));
  CHECK_FALSE(SeriesBlockWriter::Resume("\x10garbage", &bad));
}

TEST_CASE("series block: decimal values take the decimal path", "[store][series_block]") {
  std::vector<double> gauge, counter;
  long cents = 12345;
  for (int i = 0; i < kSlotsPerBlock; ++i) {
    cents += (i * 7) % 21 - 10;
    gauge.push_back(static_cast<double>(cents) / 100);
    counter.push_back(i % 3 == 0 ? static_cast<double>(i % 11) : 0.0);
  }
  const std::string g = Encode(Dense(gauge)), c = Encode(Dense(counter));
  CHECK((static_cast<uint8_t>(g[0]) & 0xf7) == (kTagSeriesBlock | 3));  // scale 100
  CHECK((static_cast<uint8_t>(c[0]) & 0xf7) == (kTagSeriesBlock | 1));  // integers
  CHECK(g.size() < kSlotsPerBlock * 9 / 8 + 8);                         // about a byte a point
  CheckRoundTrip(Dense(gauge));
  CheckRoundTrip(Dense(counter));
  // The XOR-only writer makes a valid mode-0 block of the same points, larger.
  SeriesBlockWriter xor_only(false);
  for (int i = 0; i < kSlotsPerBlock; ++i) xor_only.Append(static_cast<uint16_t>(i), gauge[i]);
  CHECK((static_cast<uint8_t>(xor_only.bytes()[0]) & 0xf7) == kTagSeriesBlock);
  CHECK(xor_only.bytes().size() > g.size());
  std::vector<SeriesBlockPoint> back;
  REQUIRE(DecodeSeriesBlock(xor_only.bytes(), &back));
  CHECK(back.size() == gauge.size());
  CHECK(back[359].value == gauge[359]);
  // One non-decimal value turns the block to XOR, and it still round-trips.
  gauge[200] = 0.1 + 0.2;
  CHECK((static_cast<uint8_t>(Encode(Dense(gauge))[0]) & 0xf7) == kTagSeriesBlock);
  CheckRoundTrip(Dense(gauge));
}

TEST_CASE("series block: sub-range decoding stops early", "[store][series_block]") {
  std::vector<SeriesBlockPoint> points;
  for (int s = 0; s < kSlotsPerBlock; s += 3) points.push_back({static_cast<uint16_t>(s), s * 1.5});
  const std::string block = Encode(points);
  std::vector<int> seen;
  REQUIRE(ForEachSeriesBlockPoint(block, 10, 20, [&](uint16_t slot, double v) {
    CHECK(v == slot * 1.5);
    seen.push_back(slot);
  }));
  CHECK(seen == std::vector<int>{12, 15, 18});
  // Early stop: a range ending before a corrupt tail still succeeds.
  std::string cut = block.substr(0, block.size() - 3);
  seen.clear();
  CHECK(ForEachSeriesBlockPoint(cut, 0, 7, [&](uint16_t slot, double) { seen.push_back(slot); }));
  CHECK(seen == std::vector<int>{0, 3, 6});
  CHECK_FALSE(ForEachSeriesBlockPoint(cut, 0, 360, [](uint16_t, double) {}));
  int n = 0;
  CHECK(ForEachSeriesBlockPoint(block, 359, 360, [&](uint16_t, double) { ++n; }));
  CHECK(n == 0);  // 359 is not a multiple of 3
  CHECK(ForEachSeriesBlockPoint(block, 357, 360, [&](uint16_t, double) { ++n; }));
  CHECK(n == 1);
}

TEST_CASE("series block: patch inserts, combines and keeps order", "[store][series_block]") {
  std::string block;
  auto sum = [](double a, double b) { return a + b; };
  REQUIRE(PatchSeriesBlock(&block, 100, 1.0, sum));  // empty -> one point
  REQUIRE(PatchSeriesBlock(&block, 50, 2.0, sum));   // earlier slot: inserted
  REQUIRE(PatchSeriesBlock(&block, 359, 3.0, sum));
  REQUIRE(PatchSeriesBlock(&block, 100, 4.0, sum));  // second write: combined
  REQUIRE(PatchSeriesBlock(&block, 0, 0.1 + 0.2, sum));
  CHECK_FALSE(PatchSeriesBlock(&block, 360, 1.0, sum));
  std::vector<SeriesBlockPoint> points;
  REQUIRE(DecodeSeriesBlock(block, &points));
  REQUIRE(points.size() == 4);
  CHECK(points[0].slot == 0);
  CHECK(points[0].value == 0.1 + 0.2);
  CHECK(points[1].slot == 50);
  CHECK(points[2].slot == 100);
  CHECK(points[2].value == 5.0);
  CHECK(points[3].slot == 359);

  auto min = [](double a, double b) { return std::min(a, b); };
  auto max = [](double a, double b) { return std::max(a, b); };
  auto last = [](double, double b) { return b; };
  REQUIRE(PatchSeriesBlock(&block, 50, 1.0, min));
  REQUIRE(PatchSeriesBlock(&block, 359, 9.0, max));
  REQUIRE(PatchSeriesBlock(&block, 0, -0.0, last));
  REQUIRE(DecodeSeriesBlock(block, &points));
  CHECK(points[1].value == 1.0);
  CHECK(points[3].value == 9.0);
  CHECK(Bits(points[0].value) == Bits(-0.0));

  std::string corrupt = "\x40\xff\xff\xff\xff";
  CHECK_FALSE(PatchSeriesBlock(&corrupt, 1, 1.0, sum));
  CHECK(corrupt == "\x40\xff\xff\xff\xff");
}

TEST_CASE("series block: truncated and flipped bytes are errors, never overreads",
          "[store][series_block]") {
  std::mt19937_64 rng(7);
  std::vector<std::vector<SeriesBlockPoint>> cases = {
      {{3, 1.0}},
      Dense({1, 2, 3, 4, 5}),
      Dense({0.5, 0.25, 1e300, -3e-310, 7}),
  };
  std::vector<SeriesBlockPoint> mixed;
  for (int s = 0; s < kSlotsPerBlock; s += 1 + static_cast<int>(rng() % 20)) {
    mixed.push_back({static_cast<uint16_t>(s), std::bit_cast<double>(rng())});
  }
  cases.push_back(mixed);
  for (const auto& points : cases) {
    const std::string block = Encode(points);
    std::vector<SeriesBlockPoint> out;
    for (size_t len = 0; len < block.size(); ++len) {
      // A heap copy of exactly `len` bytes, so ASan sees any overread.
      const std::vector<char> copy(block.begin(), block.begin() + static_cast<long>(len));
      INFO("truncated to " << len << " of " << block.size());
      CHECK_FALSE(DecodeSeriesBlock(std::string_view(copy.data(), len), &out));
    }
    CHECK(DecodeSeriesBlock(block + std::string(1, '\0'), &out) == false);  // trailing byte
    for (size_t i = 0; i < block.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string flipped = block;
        flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
        // Either an error, or a valid block of at most 360 sorted points.
        if (DecodeSeriesBlock(flipped, &out)) {
          CHECK(out.size() <= static_cast<size_t>(kSlotsPerBlock));
          for (size_t k = 1; k < out.size(); ++k) CHECK(out[k - 1].slot < out[k].slot);
        }
      }
    }
  }
}
