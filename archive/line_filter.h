// LineFilter: passes on only the lines matching a POSIX extended regular
// expression (`archive cat --grep`), from input arriving in arbitrary
// chunks. Owns the compiled regex_t. One thread per instance.
#pragma once

#include <regex.h>

#include <memory>
#include <string>
#include <string_view>

#include "archive/compression.h"
#include "common/status.h"

namespace hourglass::archive {

class LineFilter {
 public:
  static common::Result<std::unique_ptr<LineFilter>> Create(const std::string& pattern);
  ~LineFilter() {
    if (compiled_) regfree(&regex_);
  }
  LineFilter(const LineFilter&) = delete;
  LineFilter& operator=(const LineFilter&) = delete;

  // Feeds bytes; complete matching lines (with their LF) go to `sink`.
  common::Status Write(std::string_view bytes, const ChunkSink& sink);
  // Flushes a last line without LF.
  common::Status Finish(const ChunkSink& sink);

 private:
  LineFilter() = default;
  common::Status Emit(std::string_view line, const ChunkSink& sink);

  regex_t regex_{};
  bool compiled_ = false;
  std::string partial_;
};

}  // namespace hourglass::archive
