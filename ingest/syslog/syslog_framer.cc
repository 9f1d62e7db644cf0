// DESIGN: framing and how it recovers.
//
// Per frame, as rsyslog's imtcp: a leading digit starts an octet count
// ("LEN SP MSG"), anything else runs to LF or NUL. A believed count (1 to
// max_frame_size) is read exactly: past max_message_size the octets are
// discarded, so the next frame starts where the sender put it. rsyslog
// switches to LF framing when a count exceeds its maxFrameSize (200000 by
// default); an octet-counted stream carries no LF, so every later frame of
// the connection would merge into one message. Hourglass believes counts up
// to max_frame_size (16 MiB) and reads them through instead.
//
// An impossible count (over max_frame_size, or more than 10 digits, followed
// by SP) starts a resynchronisation. The frame is kept as data (count
// included, flagged as a framing error) and ends at LF or NUL as rsyslog's
// fallback does, or earlier at a proven frame header: every "DIGITS SP <"
// seen is a possible header (each suffix of the digits without a leading
// zero, since the message before may end in digits), and one is proven when
// the next such header starts exactly where its count says its frame ends.
// The data before the proven header ends the bad frame, the proven frame is
// emitted whole, and counting resumes at the next header. While recovering,
// a frame that does not start with a valid count is read the same way. A
// count of 0 or one not followed by SP falls back to LF framing, as rsyslog.

#include "ingest/syslog/syslog_framer.h"

#include <algorithm>

namespace hourglass::ingest {
namespace {

// Counts stop growing here (no overflow); above any max_frame_size.
constexpr uint64_t kCountCap = 10'000'000'000;
constexpr size_t kMaxCountDigits = 10;
// Possible headers held at once while resynchronising (the oldest go first).
constexpr size_t kMaxCandidates = 64;

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
        } else if (recovering_) {
          EnterResync(0);
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
      case State::kResync:
        used = ConsumeResync(bytes, out);
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
  const bool space = bytes[i] == ' ';
  if (space && count_ >= 1 && count_ <= options_.max_frame_size && digits_ <= kMaxCountDigits) {
    recovering_ = false;
    frame_.data.clear();
    frame_.truncated = false;
    state_ = State::kCounted;
    return i + 1;
  }
  // Not a usable count: this byte is data of a frame read without counting.
  frame_.framing_error = true;
  if (space && count_ >= 1) recovering_ = true;  // impossible: the sender counts
  if (recovering_) {
    EnterResync(digits_);
  } else {
    state_ = State::kDelimited;
  }
  return i;
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

void SyslogFramer::EnterResync(uint64_t seen) {
  state_ = State::kResync;
  seen_ = seen;
  resync_emitted_ = false;
  run_.clear();
  candidates_.clear();
}

// Bytes that cannot start a header go in bulk; a possible header byte by byte.
size_t SyslogFramer::ConsumeResync(std::string_view bytes, std::vector<SyslogFrame>& out) {
  size_t i = 0;
  while (i < bytes.size()) {
    if (run_.empty()) {
      size_t j = i;
      while (j < bytes.size() && !IsDigit(bytes[j]) && bytes[j] != '\n' && bytes[j] != '\0') ++j;
      AppendResync(bytes.substr(i, j - i), out);
      i = j;
      if (i == bytes.size()) break;
    }
    const char c = bytes[i];
    if (c == '\n' || c == '\0') {
      EndResync(out, false);
      return i + 1;
    }
    const bool after_space = !run_.empty() && run_.back() == ' ';
    if (IsDigit(c) && !after_space) {
      if (run_.empty()) run_start_ = seen_;
      run_.push_back(c);
      if (run_.size() > kMaxCountDigits) {  // keep the last digits only
        run_.erase(0, 1);
        ++run_start_;
      }
    } else if (IsDigit(c)) {
      run_.assign(1, c);
      run_start_ = seen_;
    } else if (c == ' ' && !run_.empty() && !after_space) {
      run_.push_back(c);
    } else if (c == '<' && after_space && HeaderComplete(out)) {
      return i;  // a proven header: the '<' starts the counted frame
    } else {
      run_.clear();
    }
    AppendResync(bytes.substr(i, 1), out);
    ++i;
  }
  return bytes.size();
}

// "DIGITS SP" then '<' at offset seen_. Proves an earlier candidate whose
// frame ends where one of these counts starts, or records new candidates.
bool SyslogFramer::HeaderComplete(std::vector<SyslogFrame>& out) {
  const std::string_view digits = std::string_view(run_).substr(0, run_.size() - 1);
  std::vector<Candidate> fresh;
  for (size_t k = 0; k < digits.size(); ++k) {
    if (digits[k] == '0') continue;
    uint64_t count = 0;
    for (char d : digits.substr(k)) count = count * 10 + static_cast<uint64_t>(d - '0');
    if (count > options_.max_frame_size) continue;
    const Candidate header{run_start_ + k, seen_, count};
    for (const Candidate& c : candidates_) {
      if (c.body + c.count == header.start) {
        Commit(c, out);
        count_ = header.count;
        state_ = State::kCounted;
        return true;
      }
    }
    fresh.push_back(header);
  }
  // A candidate whose frame ended before this header can no longer be proven.
  std::erase_if(candidates_, [&](const Candidate& c) { return c.body + c.count < run_start_; });
  candidates_.insert(candidates_.end(), fresh.begin(), fresh.end());
  if (candidates_.size() > kMaxCandidates) {
    candidates_.erase(candidates_.begin(), candidates_.end() - kMaxCandidates);
  }
  run_.clear();
  return false;
}

// Emits the bad data before `frame` and `frame` itself, from what was kept.
void SyslogFramer::Commit(const Candidate& frame, std::vector<SyslogFrame>& out) {
  const uint64_t limit = options_.max_message_size;
  SyslogFrame bad = std::move(frame_);
  const uint64_t kept = bad.data.size();
  SyslogFrame proven;
  if (frame.body < kept) proven.data = bad.data.substr(frame.body, std::min(frame.count, limit));
  proven.truncated = frame.count > proven.data.size();
  bad.data.resize(std::min({frame.start, kept, limit}));
  bad.truncated = frame.start > bad.data.size();
  bad.framing_error = true;
  if (!resync_emitted_ && !bad.data.empty()) out.push_back(std::move(bad));
  if (!proven.data.empty()) out.push_back(std::move(proven));
  frame_ = SyslogFrame{};
  run_.clear();
  candidates_.clear();
}

// The frame in progress holds room for a whole bad frame and a whole proven
// one; bytes no candidate needs are dropped once the bad frame is emitted.
void SyslogFramer::AppendResync(std::string_view bytes, std::vector<SyslogFrame>& out) {
  const size_t limit = options_.max_message_size;
  if (candidates_.empty() && run_.empty()) {
    if (resync_emitted_) {  // more of a frame already emitted
      frame_.data.clear();
      seen_ = 0;
      return;
    }
    if (frame_.data.size() + bytes.size() > limit) {
      frame_.data.append(bytes.substr(0, limit - std::min(limit, frame_.data.size())));
      frame_.data.resize(limit);
      frame_.truncated = true;
      frame_.framing_error = true;
      out.push_back(std::move(frame_));
      frame_ = SyslogFrame{};
      resync_emitted_ = true;
      seen_ = 0;
      return;
    }
  }
  const size_t cap = 2 * limit + 2 * kMaxCountDigits;
  const size_t room = cap - std::min(cap, frame_.data.size());
  if (bytes.size() > room) frame_.truncated = true;
  frame_.data.append(bytes.substr(0, room));
  seen_ += bytes.size();
}

// LF, NUL or the end of the stream ends the frame in progress; at the end
// of the stream a candidate whose frame ends exactly there is proven.
void SyslogFramer::EndResync(std::vector<SyslogFrame>& out, bool at_end) {
  for (const Candidate& c : candidates_) {
    if (at_end && c.body + c.count == seen_) {
      Commit(c, out);
      Reset();
      return;
    }
  }
  if (!frame_.data.empty() && frame_.data.back() == '\r') frame_.data.pop_back();
  if (frame_.data.size() > options_.max_message_size) {
    frame_.truncated = true;
    frame_.data.resize(std::min(frame_.data.size(), options_.max_message_size));
  }
  if (resync_emitted_) frame_.data.clear();
  Emit(out);
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
  run_.clear();
  candidates_.clear();
}

void SyslogFramer::Reset() {
  frame_ = SyslogFrame{};
  state_ = State::kStart;
  recovering_ = false;
  run_.clear();
  candidates_.clear();
}

void SyslogFramer::Finish(std::vector<SyslogFrame>& out) {
  if (state_ == State::kResync) {
    EndResync(out, true);
  } else {
    if (state_ == State::kCount || state_ == State::kCounted) frame_.framing_error = true;
    // A lone CR left by LF framing is no message.
    if (state_ == State::kDelimited && !frame_.data.empty() && frame_.data.back() == '\r') {
      frame_.data.pop_back();
    }
    if (state_ != State::kStart && !frame_.data.empty()) out.push_back(std::move(frame_));
  }
  Reset();
}

}  // namespace hourglass::ingest
