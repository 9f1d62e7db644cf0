// LocalSearch: /archive/search over the archive AND the audit lines not in it
// yet (the open hour's file, sealed hours not uploaded): the archived segments
// first (SearchSegments), then each local file's bytes past what is uploaded,
// under the same page caps (lines, bytes, bytes scanned). A local page ends
// between lines with the cursor "local:OFFSET:FILE" (the byte offset of the
// next line), so the next page reads on from there, never from the start.
// A file is read with pread up to the size seen at the listing, and only up
// to its last LF: a line being appended is left for a later page. Any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "archive/shipping/archive_search.h"

namespace hourglass::archive {

// Bytes [from, to) of a local audit file to search (`to`: its size at the listing).
struct LocalRange {
  std::string name{};  // audit file name: the cursor names it
  std::string path{};
  uint64_t from = 0;
  uint64_t to = 0;
};

// Whether `after` is a cursor into the local files ("local:...").
bool IsLocalCursor(std::string_view after);

// One page: the archive's matching lines, then the local ranges' (in order).
// A local cursor skips the archive; one naming a file no longer listed is an
// error ("search again"), as is a bad pattern; a read error is that error.
common::Result<SearchPage> SearchArchiveAndLocal(const std::vector<ArchivedSegment>& segments,
                                                 const SegmentReader& read,
                                                 const std::vector<LocalRange>& local,
                                                 const SearchRequest& request,
                                                 const SearchLimits& limits);

}  // namespace hourglass::archive
