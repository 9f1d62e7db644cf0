#include "ingest/syslog_framer.h"

#include <algorithm>

namespace hourglass::ingest {
namespace {

constexpr uint64_t kCountCap = 1'000'000'000;  // counts stop growing here (no overflow)

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

SyslogFramer::SyslogFramer(const SyslogFramerOptions& options) : options_(options) {
  options_.max_frame_size = std::max(options_.max_frame_size, options_.max_message_size);
}

void SyslogFramer::Feed(std::string_view bytes, std::vector<SyslogFrame>& out) {
  while (!bytes.empty()) {
    size_t used = 0;
    switch (state_) {
      case State::kStart:
        if (IsDigit(bytes[0])) {
          state_ = State::kCount;
          count_ = 0;
          digits_ = 0;
        } else {
          state_ = State::kDelimited;
        }
        break;
      case State::kCount:
        used = ConsumeCount(bytes);
        break;
      case State::kCounted:
        used = ConsumeCounted(bytes, out);
        break;
      case State::kDelimited:
        used = ConsumeDelimited(bytes, out);
        break;
    }
    bytes.remove_prefix(used);
  }
}

// Reads "LEN SP". The digits are kept in the frame so that a count that is
// not trusted falls back to a delimited frame with nothing lost.
size_t SyslogFramer::ConsumeCount(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size() && IsDigit(bytes[i])) {
    count_ = std::min(kCountCap, count_ * 10 + static_cast<uint64_t>(bytes[i] - '0'));
    ++digits_;
    ++i;
  }
  Append(bytes.substr(0, i));
  if (i == bytes.size()) return i;  // the count continues in the next read
  const bool valid = bytes[i] == ' ' && count_ >= 1 && count_ <= options_.max_frame_size;
  if (!valid) {
    // Not a usable count: read the frame to LF/NUL instead, this byte included.
    frame_.framing_error = true;
    state_ = State::kDelimited;
    return i;
  }
  frame_.data.clear();
  state_ = State::kCounted;
  return i + 1;
}

size_t SyslogFramer::ConsumeCounted(std::string_view bytes, std::vector<SyslogFrame>& out) {
  const size_t n = static_cast<size_t>(std::min<uint64_t>(count_, bytes.size()));
  Append(bytes.substr(0, n));
  count_ -= n;
  if (count_ == 0) {
    // Senders that also end counted frames with LF: drop it, as rsyslog does.
    if (!frame_.truncated && !frame_.data.empty() && frame_.data.back() == '\n') {
      frame_.data.pop_back();
      if (!frame_.data.empty() && frame_.data.back() == '\r') frame_.data.pop_back();
    }
    Emit(out);
  }
  return n;
}

size_t SyslogFramer::ConsumeDelimited(std::string_view bytes, std::vector<SyslogFrame>& out) {
  const size_t end = bytes.find_first_of(std::string_view("\n\0", 2));
  if (end == std::string_view::npos) {
    Append(bytes);
    return bytes.size();
  }
  Append(bytes.substr(0, end));
  if (!frame_.data.empty() && frame_.data.back() == '\r') frame_.data.pop_back();
  Emit(out);
  return end + 1;
}

void SyslogFramer::Append(std::string_view bytes) {
  const size_t room =
      options_.max_message_size - std::min(options_.max_message_size, frame_.data.size());
  if (bytes.size() > room) {
    frame_.truncated = true;
    bytes = bytes.substr(0, room);
  }
  frame_.data.append(bytes);
}

void SyslogFramer::Emit(std::vector<SyslogFrame>& out) {
  if (!frame_.data.empty()) out.push_back(std::move(frame_));
  frame_ = SyslogFrame{};
  state_ = State::kStart;
}

void SyslogFramer::Finish(std::vector<SyslogFrame>& out) {
  if (state_ == State::kCount || state_ == State::kCounted) frame_.framing_error = true;
  if (state_ != State::kStart && !frame_.data.empty()) {
    if (state_ == State::kDelimited && frame_.data.back() == '\r') frame_.data.pop_back();
    out.push_back(std::move(frame_));
  }
  frame_ = SyslogFrame{};
  state_ = State::kStart;
}

}  // namespace hourglass::ingest
