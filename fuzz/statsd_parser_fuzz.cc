// Fuzz target: one statsd datagram through ParseDatagram. Checks the Sample
// contract the aggregator relies on: a non-empty key within kMaxKeyLength, a
// finite value, and a sample rate whose inverse (the counter multiplier) is finite.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "ingest/statsd/statsd_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view datagram(reinterpret_cast<const char*>(data), size);
  std::string scratch;
  uint32_t samples = 0;
  const auto counts = hourglass::ingest::ParseDatagram(datagram, scratch, [&](const auto& sample) {
    ++samples;
    FUZZ_CHECK(!sample.key.empty());
    FUZZ_CHECK(sample.key.size() <= hourglass::ingest::kMaxKeyLength);
    FUZZ_CHECK(std::isfinite(sample.value));
    FUZZ_CHECK(sample.sample_rate > 0 && std::isfinite(1.0 / sample.sample_rate));
  });
  FUZZ_CHECK(counts.samples == samples);
  return 0;
}
