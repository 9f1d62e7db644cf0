#include "archive/shipping/line_filter.h"

namespace hourglass::archive {

common::Result<std::unique_ptr<LineFilter>> LineFilter::Create(const std::string& pattern) {
  auto regex = common::CompileRegex(pattern, common::RegexDialect::kPosixExtended);
  if (!regex.ok()) {
    return common::Status::Error("bad --grep pattern \"" + pattern +
                                 "\": " + regex.status().message());
  }
  return std::unique_ptr<LineFilter>(new LineFilter(std::move(*regex)));
}

common::Status LineFilter::Emit(std::string_view line, const ChunkSink& sink) {
  const std::string_view text = line.substr(0, line.size() - (line.ends_with('\n') ? 1 : 0));
  if (!re2::RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *regex_)) {
    return common::Status::Ok();
  }
  return sink(line);
}

common::Status LineFilter::Write(std::string_view bytes, const ChunkSink& sink) {
  while (!bytes.empty()) {
    const size_t lf = bytes.find('\n');
    if (lf == std::string_view::npos) {
      partial_.append(bytes);
      return common::Status::Ok();
    }
    common::Status status;
    if (partial_.empty()) {
      status = Emit(bytes.substr(0, lf + 1), sink);
    } else {
      partial_.append(bytes.substr(0, lf + 1));
      status = Emit(partial_, sink);
      partial_.clear();
    }
    if (!status) return status;
    bytes.remove_prefix(lf + 1);
  }
  return common::Status::Ok();
}

common::Status LineFilter::Finish(const ChunkSink& sink) {
  if (partial_.empty()) return common::Status::Ok();
  common::Status status = Emit(partial_, sink);
  partial_.clear();
  return status;
}

}  // namespace hourglass::archive
