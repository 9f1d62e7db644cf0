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

namespace {

// "...log.part-0001.gz" -> "...log.part-*.gz".
std::string PartsGlob(const std::string& key) {
  const size_t at = key.rfind(".part-");
  if (at == std::string::npos) return key;
  const size_t end = key.find_first_not_of("0123456789", at + 6);
  return key.substr(0, at + 6) + "*" + (end == std::string::npos ? "" : key.substr(end));
}

bool SameSegment(const archive::ArchivedSegment& a, const archive::ArchivedSegment& b) {
  return a.hour == b.hour && a.host == b.host && a.segment == b.segment;
}

}  // namespace

std::vector<ListedSegment> GroupParts(const std::vector<archive::ArchivedSegment>& segments) {
  std::vector<ListedSegment> rows;
  for (const auto& s : segments) {
    const bool joins = s.part > 0 && !rows.empty() && rows.back().parts > 0 &&
                       SameSegment(rows.back().objects.front(), s);
    if (!joins) {
      rows.push_back({s.part > 0 ? PartsGlob(s.key) : s.key, 0, 0, 0, {}});
    }
    ListedSegment& row = rows.back();
    row.size += s.size;
    row.lines += s.lines;
    if (s.part > 0) ++row.parts;
    row.objects.push_back(s);
  }
  return rows;
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

common::Result<std::vector<std::string>> ArchiveService::Presign(const HourSegments& hour, bool put,
                                                                 int64_t expires_s, int64_t now_s) {
  std::vector<std::string> keys;
  for (const auto& segment : hour.segments) keys.push_back(segment.key);
  if (put) {
    const std::string hour_text = archive::FormatHour(hour.hour);
    if (!keys.empty()) {
      return common::Status::Error(fmt::format(
          "hour {} is already archived ({} object(s)) and is never overwritten: presign --put "
          "is for an hour with nothing archived",
          hour_text, keys.size()));
    }
    if (hour.hour * 3600 + 3600 > now_s) {
      return common::Status::Error(
          fmt::format("hour {} is not over: the server ships it itself (in parts); presign --put "
                      "is for a whole past hour",
                      hour_text));
    }
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
