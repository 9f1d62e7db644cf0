// Fuzz target: an archive.key_template, a prefix and an object key
// (FuzzedDataProvider): KeyTemplate::Parse, Render, ListPrefix and parsing
// the key back, as `archive ls/cat` does with every key it lists.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <fuzzer/FuzzedDataProvider.h>

#include "archive/shipping/key_template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider input(data, size);
  const std::string text = input.ConsumeRandomLengthString(256);
  const std::string prefix = input.ConsumeRandomLengthString(64);
  const std::string key = input.ConsumeRemainingBytesAsString();
  auto tmpl = hourglass::archive::KeyTemplate::Parse(text);
  if (!tmpl.ok()) return 0;
  constexpr int64_t kHour = 499133;  // 2026-12-10T05
  (void)tmpl->Render(prefix, kHour, "web-1", "audit-20261210T0500Z.log.gz");
  for (int depth = 0; depth <= 3; ++depth) (void)tmpl->ListPrefix(prefix, kHour, depth);
  auto is_audit_file = [](std::string_view name) { return name.starts_with("audit-"); };
  (void)tmpl->Parse(key, prefix, is_audit_file);
  return 0;
}
