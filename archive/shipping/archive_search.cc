#include "archive/shipping/archive_search.h"

#include <algorithm>
#include <charconv>

#include <boost/json.hpp>

#include "archive/shipping/line_filter.h"

namespace hourglass::archive {
namespace {

struct Cursor {
  size_t index = 0;   // the segment to go on with
  uint64_t skip = 0;  // its matching lines already answered
};

common::Result<Cursor> ParseCursor(const std::vector<ArchivedSegment>& segments,
                                   std::string_view text) {
  if (text.empty()) return Cursor{};
  const size_t colon = text.find(':');
  uint64_t skip = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + colon, skip);
  if (colon == std::string_view::npos || ec != std::errc() || end != text.data() + colon) {
    return common::Status::Error("bad cursor \"after\": expected SKIP:KEY from \"next\"");
  }
  const std::string_view key = text.substr(colon + 1);
  const auto it = std::find_if(segments.begin(), segments.end(),
                               [&](const ArchivedSegment& s) { return s.key == key; });
  if (it == segments.end()) {
    return common::Status::Error("cursor \"after\" names no segment of this range: search again");
  }
  return Cursor{static_cast<size_t>(it - segments.begin()), skip};
}

// Collects one segment's matching lines into the page until it is full.
class PageSink {
 public:
  PageSink(SearchPage& page, size_t max_lines, size_t max_bytes, uint64_t skip)
      : page_(page), max_lines_(max_lines), max_bytes_(max_bytes), skip_(skip) {}

  // Gets one line (with its LF) from LineFilter; an error stops the reader.
  common::Status Add(std::string_view line) {
    if (line.ends_with('\n')) line.remove_suffix(1);
    if (++matched_ <= skip_) return common::Status::Ok();
    const bool first = page_.lines.empty();
    if (page_.lines.size() >= max_lines_ || (!first && bytes_ + line.size() > max_bytes_)) {
      full_ = true;
      return common::Status::Error("page full");
    }
    if (line.size() > max_bytes_) {  // alone on its page, cut: the search goes on
      line = line.substr(0, max_bytes_);
      page_.truncated_line = true;
    }
    bytes_ += line.size();
    page_.lines.emplace_back(line);
    return common::Status::Ok();
  }
  bool full() const { return full_; }
  // Matching lines of this segment answered so far (this page and before).
  uint64_t answered() const { return matched_ - (full_ ? 1 : 0); }
  void NextSegment() { matched_ = 0, skip_ = 0; }
  size_t bytes() const { return bytes_; }

 private:
  SearchPage& page_;
  const size_t max_lines_, max_bytes_;
  uint64_t skip_;
  uint64_t matched_ = 0;
  size_t bytes_ = 0;
  bool full_ = false;
};

}  // namespace

common::Result<SearchPage> SearchSegments(const std::vector<ArchivedSegment>& segments,
                                          const SegmentReader& read, const SearchRequest& request,
                                          const SearchLimits& limits) {
  common::Result<Cursor> cursor = ParseCursor(segments, request.after);
  if (!cursor.ok()) return cursor.status();
  const size_t max_lines =
      request.limit == 0 ? limits.max_lines : std::min(request.limit, limits.max_lines);
  SearchPage page;
  PageSink sink(page, std::max<size_t>(1, max_lines), std::max<size_t>(1, limits.max_bytes),
                cursor->skip);
  for (size_t i = cursor->index; i < segments.size(); ++i) {
    if (i > cursor->index && page.scanned_bytes >= limits.max_scan_bytes) {
      page.more = true;
      page.next = "0:" + segments[i].key;
      break;
    }
    auto filter = LineFilter::Create(request.pattern);
    if (!filter.ok()) return filter.status();
    const ChunkSink lines = [&](std::string_view line) { return sink.Add(line); };
    page.scanned_bytes += segments[i].size;
    common::Status status =
        read(i, [&](std::string_view bytes) { return (*filter)->Write(bytes, lines); });
    if (status.ok()) status = (*filter)->Finish(lines);
    if (sink.full()) {
      page.more = true;
      page.next = std::to_string(sink.answered()) + ":" + segments[i].key;
      break;
    }
    if (!status.ok()) return status;
    sink.NextSegment();
  }
  return page;
}

std::string SearchPageJson(const SearchPage& page) {
  boost::json::array lines;
  lines.reserve(page.lines.size());
  for (const std::string& line : page.lines) lines.emplace_back(line);
  boost::json::object out{{"lines", std::move(lines)},
                          {"more", page.more},
                          {"next", page.next},
                          {"scanned_bytes", page.scanned_bytes},
                          {"truncated_line", page.truncated_line}};
  if (!page.archive_error.empty()) out["archive_error"] = page.archive_error;
  return boost::json::serialize(out);
}

}  // namespace hourglass::archive
