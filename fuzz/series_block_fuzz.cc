// Fuzz target: the series block codec (store/series_block.h). The input is
// decoded as a block (arbitrary bytes: an error or valid points, never a
// crash; what decodes re-encodes to the same points), and it is also read as
// a list of points (slot gap, value kind, value) that must round-trip bit for
// bit through the writer, Resume and a patch.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz/fuzz_check.h"
#include "store/series_block.h"

namespace store = hourglass::store;

namespace {

bool Same(const std::vector<store::SeriesBlockPoint>& a,
          const std::vector<store::SeriesBlockPoint>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].slot != b[i].slot) return false;
    if (std::bit_cast<uint64_t>(a[i].value) != std::bit_cast<uint64_t>(b[i].value)) return false;
  }
  return true;
}

void DecodeArbitrary(std::string_view bytes) {
  std::vector<store::SeriesBlockPoint> points, again;
  const bool ok = store::DecodeSeriesBlock(bytes, &points);
  int n = 0;
  const bool ranged = store::ForEachSeriesBlockPoint(bytes, 100, 200, [&](uint16_t slot, double) {
    FUZZ_CHECK(slot >= 100 && slot < 200);
    ++n;
  });
  if (!ok) return;
  FUZZ_CHECK(ranged);
  FUZZ_CHECK(!points.empty() && points.size() <= store::kSlotsPerBlock);
  std::string block;
  FUZZ_CHECK(store::EncodeSeriesBlock(points, &block));
  FUZZ_CHECK(store::DecodeSeriesBlock(block, &again) && Same(points, again));
  store::SeriesBlockWriter w;
  FUZZ_CHECK(store::SeriesBlockWriter::Resume(bytes, &w));
  FUZZ_CHECK(w.count() == static_cast<int>(points.size()));
}

// Points from the input: a slot gap byte, a kind byte, then the value.
std::vector<store::SeriesBlockPoint> PointsFrom(FuzzedDataProvider& in) {
  std::vector<store::SeriesBlockPoint> points;
  int slot = in.ConsumeIntegralInRange<int>(0, 359);
  while (in.remaining_bytes() > 0 && slot < store::kSlotsPerBlock) {
    double v;
    switch (in.ConsumeIntegralInRange<int>(0, 3)) {
      case 0:
        v = std::bit_cast<double>(in.ConsumeIntegral<uint64_t>());
        break;
      case 1:
        v = static_cast<double>(in.ConsumeIntegral<int16_t>());
        break;
      case 2:
        v = static_cast<double>(in.ConsumeIntegral<int32_t>()) / 100;
        break;
      default:
        v = points.empty() ? 0.0 : points.back().value;
    }
    points.push_back({static_cast<uint16_t>(slot), v});
    slot += 1 + in.ConsumeIntegralInRange<int>(0, 40);
  }
  return points;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  DecodeArbitrary(std::string_view(reinterpret_cast<const char*>(data), size));

  FuzzedDataProvider in(data, size);
  const std::vector<store::SeriesBlockPoint> points = PointsFrom(in);
  if (points.empty()) return 0;
  store::SeriesBlockWriter w;
  for (const auto& p : points) FUZZ_CHECK(w.Append(p.slot, p.value));
  std::vector<store::SeriesBlockPoint> back;
  FUZZ_CHECK(store::DecodeSeriesBlock(w.bytes(), &back) && Same(points, back));

  // Resume from the first half, append the rest: the same points.
  store::SeriesBlockWriter half;
  const size_t cut = points.size() / 2;
  for (size_t i = 0; i < cut; ++i) half.Append(points[i].slot, points[i].value);
  if (cut > 0) {
    store::SeriesBlockWriter resumed;
    FUZZ_CHECK(store::SeriesBlockWriter::Resume(half.bytes(), &resumed));
    for (size_t i = cut; i < points.size(); ++i) resumed.Append(points[i].slot, points[i].value);
    FUZZ_CHECK(resumed.bytes() == w.bytes());
  }

  // Patch the first point's slot with "last": its value is replaced.
  std::string block(w.bytes());
  FUZZ_CHECK(
      store::PatchSeriesBlock(&block, points[0].slot, 1.5, [](double, double b) { return b; }));
  FUZZ_CHECK(store::DecodeSeriesBlock(block, &back) && back.size() == points.size());
  FUZZ_CHECK(back[0].value == 1.5);
  return 0;
}
