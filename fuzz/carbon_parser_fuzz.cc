// Fuzz target: a carbon plaintext TCP stream, split into lines whole and in
// 7-byte reads (the same lines must come out), each line through
// ParseCarbonLine and each name through CanonicalCarbonName, which must be
// idempotent on what it returns.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "ingest/carbon/carbon_parser.h"

namespace {

using namespace hourglass::ingest;

constexpr size_t kMaxLine = 512;
constexpr int64_t kNow = 1420110000;

std::vector<std::string> Split(std::string_view stream, size_t chunk, size_t& dropped) {
  CarbonLineSplitter splitter(kMaxLine);
  std::vector<std::string> lines;
  auto on_line = [&](std::string_view line) { lines.emplace_back(line); };
  for (size_t i = 0; i < stream.size(); i += chunk) {
    dropped += splitter.Feed(stream.substr(i, chunk), on_line);
  }
  splitter.Finish(on_line);
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view stream(reinterpret_cast<const char*>(data), size);
  size_t dropped_whole = 0, dropped_chunked = 0;
  const std::vector<std::string> lines = Split(stream, stream.size() + 1, dropped_whole);
  FUZZ_CHECK(lines == Split(stream, 7, dropped_chunked));
  FUZZ_CHECK(dropped_whole == dropped_chunked);
  CarbonLine point;
  for (const std::string& line : lines) {
    FUZZ_CHECK(line.size() <= kMaxLine);
    if (ParseCarbonLine(line, kNow, point) == CarbonLineStatus::kPoint) {
      FUZZ_CHECK(!point.name.empty());
    }
    auto canonical = CanonicalCarbonName(line);
    if (canonical.ok()) {
      auto again = CanonicalCarbonName(*canonical);
      FUZZ_CHECK(again.ok() && *again == *canonical);
    }
  }
  return 0;
}
