// CarbonParser: Graphite's plaintext protocol ("name value timestamp\n") as
// carbon 1.1 accepts it (lib/carbon/protocols.py MetricLineReceiver and
// util.py TaggedSeries), as pure functions over string_views, plus the line
// splitter the TCP server feeds. No sockets, no state shared between threads:
// a splitter belongs to one connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace hourglass::ingest {

enum class CarbonLineStatus {
  kPoint,         // `out` holds a point
  kBlank,         // nothing but whitespace: ignored, not counted
  kNanValue,      // value NaN: dropped silently, as carbon does
  kBadFields,     // not exactly three whitespace-separated fields
  kBadValue,      // value is not a Python float
  kBadTimestamp,  // timestamp not a float, negative (but -1) or past 10^11
  kBadName,       // tagged name carbon's TaggedSeries.parse rejects, control
                  // characters or invalid UTF-8, or nothing left of the name
};

struct CarbonLine {
  std::string name;  // canonical: see CanonicalCarbonName
  double value = 0;
  int64_t timestamp = 0;  // Unix seconds, truncated as whisper does
};

// Parses one line (without its '\n'): `line.strip().split()` into exactly
// three fields, value and timestamp as Python's float() reads them, a
// timestamp whose integer part is -1 means `now_s`. On kPoint, `out` is set
// (its name buffer is reused, so keep one CarbonLine per connection).
CarbonLineStatus ParseCarbonLine(std::string_view line, int64_t now_s, CarbonLine& out);

// Python's float() over one token ("1.5", "-2e3", "1_000", "inf", "nan").
bool ParsePythonFloat(std::string_view text, double& out);

// The name a series is stored under, as carbon's TaggedSeries.parse(name).path
// makes it: "a.b;z=1;y=2" -> "a.b;y=2;z=1" (tags sorted, the last of a
// repeated tag wins, a leading '~' dropped from the metric), and the
// OpenMetrics form 'a.b{y="2",z="1"}' likewise. Untagged names have empty
// nodes removed ("a..b." -> "a.b"), as whisper's file tree does. Errors name
// the reason.
common::Result<std::string> CanonicalCarbonName(std::string_view name);

// Splits a byte stream into lines at '\n'. A line longer than `max_line` bytes
// is dropped (counted by the caller through the return value), and the rest
// of it, up to the next '\n', is skipped.
class CarbonLineSplitter {
 public:
  explicit CarbonLineSplitter(size_t max_line) : max_line_(max_line) {}

  // Calls `on_line(std::string_view)` for each complete line in `data`, in
  // order; returns how many overlong lines were dropped. Views are valid only
  // during the call.
  template <typename OnLine>
  size_t Feed(std::string_view data, OnLine&& on_line);

  // The unterminated last line at the end of the stream, if any (and not
  // overlong); the splitter is empty afterwards.
  template <typename OnLine>
  void Finish(OnLine&& on_line);

 private:
  const size_t max_line_;
  std::string pending_;      // start of a line split across reads
  bool discarding_ = false;  // inside an overlong line: skip to '\n'
};

template <typename OnLine>
size_t CarbonLineSplitter::Feed(std::string_view data, OnLine&& on_line) {
  size_t dropped = 0;
  while (!data.empty()) {
    const size_t nl = data.find('\n');
    const std::string_view chunk = data.substr(0, nl);
    const bool complete = nl != std::string_view::npos;
    data = complete ? data.substr(nl + 1) : std::string_view();
    if (discarding_) {
      discarding_ = !complete;
      continue;
    }
    if (pending_.size() + chunk.size() > max_line_) {
      ++dropped;
      pending_.clear();
      discarding_ = !complete;
      continue;
    }
    if (!complete) {
      pending_.append(chunk);
    } else if (pending_.empty()) {
      on_line(chunk);
    } else {
      pending_.append(chunk);
      on_line(std::string_view(pending_));
      pending_.clear();
    }
  }
  return dropped;
}

template <typename OnLine>
void CarbonLineSplitter::Finish(OnLine&& on_line) {
  if (!discarding_ && !pending_.empty()) on_line(std::string_view(pending_));
  pending_.clear();
  discarding_ = false;
}

}  // namespace hourglass::ingest
