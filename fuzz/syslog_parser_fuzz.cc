// Fuzz target: one framed syslog message through ParseSyslog and the two
// timestamp checks. Checks that every view of the record points into the input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "ingest/syslog/syslog_parser.h"

namespace {

bool Inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  const auto record = hourglass::ingest::ParseSyslog(raw);
  for (std::string_view part :
       {record.timestamp, record.host, record.app, record.procid, record.msgid, record.message}) {
    FUZZ_CHECK(Inside(part, raw));
  }
  for (const auto& element : record.structured_data) {
    FUZZ_CHECK(Inside(element.id, raw));
    for (const auto& param : element.params) {
      FUZZ_CHECK(Inside(param.name, raw) && Inside(param.value, raw));
    }
  }
  (void)hourglass::ingest::IsRfc5424Timestamp(raw);
  (void)hourglass::ingest::IsRfc3164Timestamp(raw);
  return 0;
}
