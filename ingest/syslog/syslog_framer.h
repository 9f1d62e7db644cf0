// SyslogFramer: splits a syslog TCP byte stream into messages, deciding per
// frame as rsyslog's imtcp does: a frame that starts with a digit is
// octet-counted (RFC 6587 "LEN SP MSG"), anything else runs to LF or NUL.
// A counted frame is always read to its declared end, so an oversized frame
// never desynchronises the stream. One framer per connection; pure (no I/O),
// not thread-safe. The recovery after an impossible count is described at the
// top of syslog_framer.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hourglass::ingest {

struct SyslogFramerOptions {
  size_t max_message_size = 64 * 1024;  // longer messages are truncated
  // The largest octet count believed (raised to max_message_size if below
  // it). A counted frame longer than max_message_size keeps its first
  // max_message_size octets (truncated) and the rest is read and discarded.
  // A larger count, or one of more than 10 digits, is impossible: that frame
  // is a framing error and the framer looks for the next frame header.
  size_t max_frame_size = 16 << 20;
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
  size_t buffered() const { return frame_.data.size() + run_.size(); }

 private:
  enum class State { kStart, kCount, kCounted, kDelimited, kResync };
  // A possible frame header seen while resynchronising: the frame would
  // start at offset `start` (its count's first digit) and its `count` octets
  // at offset `body`. Offsets count the bytes of the frame in progress.
  struct Candidate {
    uint64_t start = 0;
    uint64_t body = 0;
    uint64_t count = 0;
  };

  size_t ConsumeCount(std::string_view bytes);
  size_t ConsumeCounted(std::string_view bytes, std::vector<SyslogFrame>& out);
  size_t ConsumeDelimited(std::string_view bytes, std::vector<SyslogFrame>& out);
  size_t ConsumeResync(std::string_view bytes, std::vector<SyslogFrame>& out);
  void EnterResync(uint64_t seen);
  bool HeaderComplete(std::vector<SyslogFrame>& out);
  void Commit(const Candidate& frame, std::vector<SyslogFrame>& out);
  void AppendResync(std::string_view bytes, std::vector<SyslogFrame>& out);
  void EndResync(std::vector<SyslogFrame>& out, bool at_end);
  void Append(std::string_view bytes);
  void Emit(std::vector<SyslogFrame>& out);
  void Reset();

  SyslogFramerOptions options_;
  State state_ = State::kStart;
  uint64_t count_ = 0;   // octet count being read, or octets left in the frame
  uint64_t digits_ = 0;  // digits of the count read so far
  SyslogFrame frame_;

  // Resynchronisation (kResync). `recovering_` stays set from an impossible
  // count until a frame header at a counted frame boundary is valid again.
  bool recovering_ = false;
  bool resync_emitted_ = false;  // the frame in progress was already emitted, truncated
  uint64_t seen_ = 0;            // bytes of the frame in progress, kept or not
  std::string run_;              // "DIGITS" or "DIGITS SP" just seen
  uint64_t run_start_ = 0;       // offset of run_'s first digit
  std::vector<Candidate> candidates_;
};

}  // namespace hourglass::ingest
