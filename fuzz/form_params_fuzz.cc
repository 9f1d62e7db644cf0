// Fuzz target: a query string and a form body (FuzzedDataProvider) merged as
// the HTTP API does, then read back. Checks that the last value Get returns is
// the last one GetAll returns.
#include <cstddef>
#include <cstdint>
#include <string>

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz/fuzz_check.h"
#include "query/form_params.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider input(data, size);
  const std::string query = input.ConsumeRandomLengthString();
  const std::string body = input.ConsumeRemainingBytesAsString();
  hourglass::query::FormParams params;
  (void)params.Parse(query);
  (void)params.Parse(body);
  for (const char* name : {"target", "from", "until", "query", "format", ""}) {
    const auto all = params.GetAll(name);
    const auto last = params.Get(name);
    FUZZ_CHECK(params.Has(name) == !all.empty());
    FUZZ_CHECK(last.has_value() == !all.empty());
    if (last) FUZZ_CHECK(*last == all.back());
  }
  (void)hourglass::query::PercentDecode(body, true);
  return 0;
}
