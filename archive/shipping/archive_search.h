// ArchiveSearch: one page of a search over archived audit segments (the
// /archive/search route behind the web page's audit view): the lines matching
// a pattern (RE2, as LineFilter), in segment order, at most `max_lines` and
// `max_bytes` of them, reading at most `max_scan_bytes` of objects; when it
// stops early, a cursor ("SKIP:KEY") to ask for the next page. The segments'
// bytes come from a reader callback (ArchiveService::Stream in the server), so
// it is tested without a store. Pure function; any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "archive/shipping/archive_reader.h"
#include "archive/shipping/compression.h"
#include "common/status.h"

namespace hourglass::archive {

struct SearchLimits {
  size_t max_lines = 1000;              // http.search_max_lines: lines per page
  size_t max_bytes = 1 << 20;           // http.search_max_bytes: line bytes per page
  uint64_t max_scan_bytes = 256 << 20;  // http.search_max_scan: object bytes read per page
};

struct SearchRequest {
  std::string pattern{};  // empty: every line
  size_t limit = 0;       // lines wanted; 0 or more than max_lines: max_lines
  std::string after{};    // the cursor of the previous page; empty: from the start
};

struct SearchPage {
  std::vector<std::string> lines{};  // without their LF
  bool more = false;                 // stopped at a limit: `next` continues
  std::string next{};                // the cursor of the next page
  uint64_t scanned_bytes = 0;        // object bytes read (as ArchivedSegment::size)
  bool truncated_line = false;       // a line longer than max_bytes was cut
  std::string archive_error{};       // the archive was not searched, why (local lines only)
};

// Streams segment `index`'s decompressed bytes into `sink`; an error from the
// sink must stop it and come back.
using SegmentReader = std::function<common::Status(size_t index, const ChunkSink& sink)>;

// Bad pattern or unknown cursor: an error naming it. A read error: that error.
common::Result<SearchPage> SearchSegments(const std::vector<ArchivedSegment>& segments,
                                          const SegmentReader& read, const SearchRequest& request,
                                          const SearchLimits& limits);

// {"lines":[...],"more":bool,"next":"...","scanned_bytes":N,"truncated_line":bool}, and
// "archive_error":"..." when it is set.
std::string SearchPageJson(const SearchPage& page);

}  // namespace hourglass::archive
