#include "archive/line_filter.h"

namespace hourglass::archive {

common::Result<std::unique_ptr<LineFilter>> LineFilter::Create(const std::string& pattern) {
  std::unique_ptr<LineFilter> filter(new LineFilter());
  const int rc = regcomp(&filter->regex_, pattern.c_str(), REG_EXTENDED | REG_NOSUB);
  if (rc != 0) {
    char message[256];
    regerror(rc, &filter->regex_, message, sizeof(message));
    return common::Status::Error("bad --grep pattern \"" + pattern + "\": " + message);
  }
  filter->compiled_ = true;
  return filter;
}

common::Status LineFilter::Emit(std::string_view line, const ChunkSink& sink) {
  const std::string text(line.substr(0, line.size() - (line.ends_with('\n') ? 1 : 0)));
  if (regexec(&regex_, text.c_str(), 0, nullptr, 0) != 0) return common::Status::Ok();
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
