// Fuzz target: a Python `re` pattern, a re.sub replacement template and a
// subject (FuzzedDataProvider) through PyRegex Compile, Search and Sub, as
// aliasSub, grep, exclude and seriesByTag's =~ use them.
#include <cstddef>
#include <cstdint>
#include <string>

#include <fuzzer/FuzzedDataProvider.h>

#include "query/py_regex.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider input(data, size);
  const std::string pattern = input.ConsumeRandomLengthString();
  const std::string replacement = input.ConsumeRandomLengthString();
  const std::string text = input.ConsumeRemainingBytesAsString();
  auto regex = hourglass::query::PyRegex::Compile(pattern);
  if (!regex.ok()) return 0;
  (void)regex->Search(text);
  (void)regex->Sub(replacement, text);
  return 0;
}
