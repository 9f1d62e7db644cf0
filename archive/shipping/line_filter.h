// LineFilter: passes on only the lines matching a POSIX extended regular
// expression (`archive cat --grep`, `/archive/cat?grep=`), from input
// arriving in arbitrary chunks. Matched with RE2 (common/regex.h): linear in
// the line, bounded memory, whatever the pattern. One thread per instance.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "archive/shipping/compression.h"
#include "common/regex.h"
#include "common/status.h"

namespace hourglass::archive {

class LineFilter {
 public:
  // Fails, naming the problem, on what RE2 cannot do (backreferences, \< \>).
  static common::Result<std::unique_ptr<LineFilter>> Create(const std::string& pattern);
  LineFilter(const LineFilter&) = delete;
  LineFilter& operator=(const LineFilter&) = delete;

  // Feeds bytes; complete matching lines (with their LF) go to `sink`.
  common::Status Write(std::string_view bytes, const ChunkSink& sink);
  // Flushes a last line without LF.
  common::Status Finish(const ChunkSink& sink);

 private:
  explicit LineFilter(std::unique_ptr<const re2::RE2> regex) : regex_(std::move(regex)) {}
  common::Status Emit(std::string_view line, const ChunkSink& sink);

  std::unique_ptr<const re2::RE2> regex_;
  std::string partial_;
};

}  // namespace hourglass::archive
