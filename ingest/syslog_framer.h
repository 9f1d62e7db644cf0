// SyslogFramer: splits a syslog TCP byte stream into messages, deciding per
// frame as rsyslog's imtcp does: a frame that starts with a digit is
// octet-counted (RFC 6587 "LEN SP MSG"), anything else runs to LF or NUL.
// One framer per connection; pure (no I/O), not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hourglass::ingest {

struct SyslogFramerOptions {
  size_t max_message_size = 64 * 1024;  // longer messages are truncated
  // An octet count above this (or 0, or not followed by SP) is not trusted:
  // the frame is read as LF/NUL-terminated instead, digits included (rsyslog's
  // fallback; its default maximum frame size is 200000).
  size_t max_frame_size = 200000;
};

struct SyslogFrame {
  std::string data;            // the message, without framing, CR/LF or NUL
  bool truncated = false;      // longer than max_message_size: the rest was skipped
  bool framing_error = false;  // a bad octet count, or the stream ended mid-frame
};

class SyslogFramer {
 public:
  explicit SyslogFramer(const SyslogFramerOptions& options = {});

  // Consumes `bytes`; each completed frame is appended to `out`. Empty
  // frames (a lone LF) are skipped, as rsyslog does.
  void Feed(std::string_view bytes, std::vector<SyslogFrame>& out);

  // End of stream: a frame in progress (no final LF, or fewer octets than
  // counted) becomes the last frame. The framer is then ready for a new stream.
  void Finish(std::vector<SyslogFrame>& out);

  // Bytes held for the frame in progress.
  size_t buffered() const { return frame_.data.size(); }

 private:
  enum class State { kStart, kCount, kCounted, kDelimited };

  size_t ConsumeCount(std::string_view bytes);
  size_t ConsumeCounted(std::string_view bytes, std::vector<SyslogFrame>& out);
  size_t ConsumeDelimited(std::string_view bytes, std::vector<SyslogFrame>& out);
  void Append(std::string_view bytes);
  void Emit(std::vector<SyslogFrame>& out);

  SyslogFramerOptions options_;
  State state_ = State::kStart;
  uint64_t count_ = 0;  // octet count being read, or octets left in the frame
  size_t digits_ = 0;   // digits of the count read so far
  SyslogFrame frame_;
};

}  // namespace hourglass::ingest
