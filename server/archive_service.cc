#include "server/archive_service.h"

#include <fmt/format.h>

#include "archive/audit/audit_files.h"
#include "archive/shipping/hour_time.h"

namespace hourglass::server {

ParsedRange ParseRange(std::optional<std::string_view> from, std::optional<std::string_view> until,
                       int64_t now_s) {
  ParsedRange parsed{{0, now_s + 3600}, std::nullopt};
  if (from) {
    auto t = archive::ParseTime(*from, now_s);
    if (!t) return {{}, RangeProblem{"from", t.status().message()}};
    parsed.range.from = *t;
  }
  if (until) {
    auto t = archive::ParseTime(*until, now_s);
    if (!t) return {{}, RangeProblem{"until", t.status().message()}};
    parsed.range.until = *t;
  }
  return parsed;
}

common::Result<ArchiveService> ArchiveService::Open(const archive::ArchiveSettings& settings) {
  auto opened = archive::OpenArchiveStore(settings, archive::LocalDir::kMustExist);
  if (!opened) return opened.status();
  return ArchiveService(settings, std::move(*opened));
}

ArchiveService::ArchiveService(archive::ArchiveSettings settings, archive::OpenedStore opened)
    : settings_(std::move(settings)), opened_(std::move(opened)) {
  reader_ = std::make_unique<archive::ArchiveReader>(
      *opened_.store,
      archive::ReaderOptions{*archive::KeyTemplate::Parse(settings_.key_template), opened_.prefix,
                             settings_.host, settings_.audit_prefix});
}

archive::StoreResult<std::vector<archive::ArchivedSegment>> ArchiveService::List(
    const TimeRange& range) {
  return reader_->List(range.from, range.until);
}

common::Result<HourSegments> ArchiveService::Hour(std::string_view hour_text) {
  auto hour = archive::ParseHour(hour_text);
  if (!hour) return hour.status();
  auto segments = reader_->List(*hour * 3600, *hour * 3600 + 3600);
  if (!segments) return segments.error().ToStatus();
  return HourSegments{*hour, std::move(*segments)};
}

std::optional<StreamError> ArchiveService::Stream(
    const std::vector<archive::ArchivedSegment>& segments, archive::LineFilter* filter,
    const archive::ChunkSink& out) {
  const archive::ChunkSink sink =
      filter == nullptr ? out : [&](std::string_view bytes) { return filter->Write(bytes, out); };
  for (const auto& segment : segments) {
    auto done = reader_->Read(segment, sink);
    if (!done) return StreamError{done.error().message, false};
  }
  if (filter != nullptr) {
    if (auto status = filter->Finish(out); !status) return StreamError{status.message(), true};
  }
  return std::nullopt;
}

std::vector<std::string> ArchiveService::Presign(const HourSegments& hour, bool put,
                                                 int64_t expires_s, int64_t now_s) {
  std::vector<std::string> keys;
  for (const auto& segment : hour.segments) keys.push_back(segment.key);
  if (keys.empty() && put) {
    const std::string file = archive::AuditFileName(settings_.audit_prefix, hour.hour, 1) +
                             std::string(archive::CompressionSuffix(settings_.compression));
    keys.push_back(archive::KeyTemplate::Parse(settings_.key_template)
                       ->Render(opened_.prefix, hour.hour, settings_.host, file));
  }
  const auto method = put ? archive::PresignMethod::kPut : archive::PresignMethod::kGet;
  std::vector<std::string> urls;
  for (const auto& key : keys)
    urls.push_back(opened_.store->Presign(key, method, expires_s, now_s));
  return urls;
}

std::string ArchiveService::NoHour(std::string_view hour_text) const {
  return fmt::format("no archived segment of hour {} for host {} in {}", hour_text, settings_.host,
                     opened_.store->Describe());
}

}  // namespace hourglass::server
