// Fuzz target: the input is one syslog TCP byte stream, framed under a few
// option sets. Checks that feeding it whole and feeding it one byte at a time
// give the same frames, that no frame is empty and none exceeds
// max_message_size.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "ingest/syslog/syslog_framer.h"

namespace {

using hourglass::ingest::SyslogFrame;
using hourglass::ingest::SyslogFramer;
using hourglass::ingest::SyslogFramerOptions;

std::vector<SyslogFrame> Frame(std::string_view stream, const SyslogFramerOptions& options,
                               size_t chunk) {
  SyslogFramer framer(options);
  std::vector<SyslogFrame> frames;
  for (size_t i = 0; i < stream.size(); i += chunk) framer.Feed(stream.substr(i, chunk), frames);
  framer.Finish(frames);
  return frames;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view stream(reinterpret_cast<const char*>(data), size);
  const SyslogFramerOptions option_sets[] = {{}, {16, 64}, {1, 2}};
  for (const SyslogFramerOptions& options : option_sets) {
    const std::vector<SyslogFrame> whole = Frame(stream, options, stream.size() + 1);
    const std::vector<SyslogFrame> bytes = Frame(stream, options, 1);
    FUZZ_CHECK(whole.size() == bytes.size());
    for (size_t i = 0; i < whole.size(); ++i) {
      FUZZ_CHECK(!whole[i].data.empty());
      FUZZ_CHECK(whole[i].data.size() <= options.max_message_size);
      FUZZ_CHECK(whole[i].data == bytes[i].data);
      FUZZ_CHECK(whole[i].truncated == bytes[i].truncated);
      FUZZ_CHECK(whole[i].framing_error == bytes[i].framing_error);
    }
  }
  return 0;
}
