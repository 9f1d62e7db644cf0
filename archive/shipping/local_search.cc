#include "archive/shipping/local_search.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "common/regex.h"
#include "common/unique_fd.h"

namespace hourglass::archive {
namespace {

constexpr std::string_view kLocalPrefix = "local:";
constexpr uint64_t kChunk = 64 << 10;

struct LocalCursor {
  size_t index = 0;
  uint64_t offset = 0;
};

common::Result<LocalCursor> ParseLocalCursor(const std::vector<LocalRange>& local,
                                             std::string_view text) {
  text.remove_prefix(kLocalPrefix.size());
  const size_t colon = text.find(':');
  uint64_t offset = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + colon, offset);
  if (colon == std::string_view::npos || ec != std::errc() || end != text.data() + colon) {
    return common::Status::Error("bad cursor \"after\": expected local:OFFSET:FILE from \"next\"");
  }
  const std::string_view name = text.substr(colon + 1);
  const auto it =
      std::find_if(local.begin(), local.end(), [&](const LocalRange& r) { return r.name == name; });
  if (it == local.end()) {
    return common::Status::Error(
        "cursor \"after\" names no local file of this range: search again");
  }
  return LocalCursor{static_cast<size_t>(it - local.begin()), offset};
}

std::string Cursor(const LocalRange& range, uint64_t offset) {
  return std::string(kLocalPrefix) + std::to_string(offset) + ":" + range.name;
}

// Fills `page` from the local ranges, starting at `start`, until a cap.
class LocalScan {
 public:
  LocalScan(SearchPage& page, const re2::RE2& regex, size_t max_lines, size_t max_bytes,
            uint64_t max_scan)
      : page_(page),
        regex_(regex),
        max_lines_(max_lines),
        max_bytes_(max_bytes),
        max_scan_(max_scan) {
    for (const std::string& line : page.lines) bytes_ += line.size();
  }

  common::Status Run(const std::vector<LocalRange>& local, LocalCursor start) {
    for (size_t i = start.index; i < local.size() && !page_.more; ++i) {
      const uint64_t from = i == start.index && start.offset > 0 ? start.offset : local[i].from;
      if (auto status = File(local[i], from); !status) return status;
    }
    return common::Status::Ok();
  }

 private:
  // Reads `range` from `from` to its last LF before `to`, a chunk at a time;
  // stops (page_.more, page_.next) when the page is full or after the lines of the
  // chunk that reached the scan cap, if bytes are left.
  common::Status File(const LocalRange& range, uint64_t from) {
    if (from >= range.to) return common::Status::Ok();
    if (page_.scanned_bytes >= max_scan_) return Stop(range, from);
    common::UniqueFd fd(::open(range.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0 && errno == ENOENT) return common::Status::Ok();  // uploaded and expired
    if (fd.get() < 0) {
      return common::Status::Error("cannot open " + range.path + ": " + std::strerror(errno));
    }
    std::string buffer;  // bytes from `line_at`: whole lines, then a partial one
    uint64_t line_at = from, read_at = from;
    while (read_at < range.to) {
      const uint64_t budget = std::max<uint64_t>(
          4096, max_scan_ > page_.scanned_bytes ? max_scan_ - page_.scanned_bytes : 0);
      const size_t want = static_cast<size_t>(std::min({kChunk, range.to - read_at, budget}));
      const size_t had = buffer.size();
      buffer.resize(had + want);
      const ssize_t got = ::pread(fd.get(), buffer.data() + had, want, static_cast<off_t>(read_at));
      if (got < 0) {
        return common::Status::Error("cannot read " + range.path + ": " + std::strerror(errno));
      }
      buffer.resize(had + static_cast<size_t>(got));
      if (got == 0) break;  // cut short since the listing
      read_at += static_cast<uint64_t>(got);
      page_.scanned_bytes += static_cast<uint64_t>(got);
      size_t pos = 0;
      for (size_t lf; (lf = buffer.find('\n', pos)) != std::string::npos; pos = lf + 1) {
        if (!Line(std::string_view(buffer).substr(pos, lf - pos))) return Stop(range, line_at);
        line_at += lf + 1 - pos;
      }
      buffer.erase(0, pos);
      if (page_.scanned_bytes >= max_scan_ && line_at < range.to) return Stop(range, line_at);
    }
    return common::Status::Ok();
  }

  // Whether the line fits the page (answered if it matches); false: full.
  bool Line(std::string_view line) {
    if (!re2::RE2::PartialMatch(re2::StringPiece(line.data(), line.size()), regex_)) return true;
    const bool first = page_.lines.empty();
    if (page_.lines.size() >= max_lines_ || (!first && bytes_ + line.size() > max_bytes_)) {
      return false;
    }
    if (line.size() > max_bytes_) {  // alone on its page, cut: the search goes on
      line = line.substr(0, max_bytes_);
      page_.truncated_line = true;
    }
    bytes_ += line.size();
    page_.lines.emplace_back(line);
    return true;
  }

  common::Status Stop(const LocalRange& range, uint64_t offset) {
    page_.more = true;
    page_.next = Cursor(range, offset);
    return common::Status::Ok();
  }

  SearchPage& page_;
  const re2::RE2& regex_;
  const size_t max_lines_, max_bytes_;
  const uint64_t max_scan_;
  size_t bytes_ = 0;
};

}  // namespace

bool IsLocalCursor(std::string_view after) { return after.starts_with(kLocalPrefix); }

common::Result<SearchPage> SearchArchiveAndLocal(const std::vector<ArchivedSegment>& segments,
                                                 const SegmentReader& read,
                                                 const std::vector<LocalRange>& local,
                                                 const SearchRequest& request,
                                                 const SearchLimits& limits) {
  auto regex = common::CompileRegex(request.pattern, common::RegexDialect::kPosixExtended);
  if (!regex.ok()) {
    return common::Status::Error("bad --grep pattern \"" + request.pattern +
                                 "\": " + regex.status().message());
  }
  LocalCursor start;
  SearchPage page;
  if (IsLocalCursor(request.after)) {
    auto cursor = ParseLocalCursor(local, request.after);
    if (!cursor.ok()) return cursor.status();
    start = *cursor;
  } else {
    auto archived = SearchSegments(segments, read, request, limits);
    if (!archived.ok() || archived->more) return archived;
    page = std::move(*archived);
  }
  const size_t max_lines =
      request.limit == 0 ? limits.max_lines : std::min(request.limit, limits.max_lines);
  LocalScan scan(page, **regex, std::max<size_t>(1, max_lines),
                 std::max<size_t>(1, limits.max_bytes), limits.max_scan_bytes);
  if (auto status = scan.Run(local, start); !status) return status;
  return page;
}

}  // namespace hourglass::archive
