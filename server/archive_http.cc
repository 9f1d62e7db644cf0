#include "server/archive_http.h"

#include <boost/json.hpp>

#include <charconv>

#include "archive/shipping/archive_search.h"
#include "archive/shipping/hour_time.h"
#include "archive/shipping/local_audit.h"
#include "archive/shipping/local_search.h"
#include "server/archive_service.h"

namespace hourglass::server {
namespace {

// A response body is built in memory: larger ranges are for the CLI.
constexpr size_t kMaxBody = 256u << 20;

query::ArchiveReply Reply(unsigned status, std::string message) {
  boost::json::object o{{"error", message}};
  return {status, "application/json", boost::json::serialize(o)};
}

// An empty parameter is an absent bound.
std::optional<std::string_view> Bound(std::string_view text) {
  if (text.empty()) return std::nullopt;
  return text;
}

class Browser {
 public:
  Browser(archive::ArchiveSettings settings, const common::Clock& clock,
          archive::SearchLimits limits)
      : settings_(std::move(settings)), clock_(clock), limits_(limits) {}

  query::ArchiveReply List(std::string_view from, std::string_view until) const {
    auto range = ParseRange(Bound(from), Bound(until), clock_.NowSeconds());
    if (range.problem) return Reply(400, range.problem->reason);
    auto service = ArchiveService::Open(settings_);
    if (!service) return Reply(503, service.status().message());
    auto segments = service->List(range.range);
    if (!segments) return Reply(502, segments.error().message);
    // One entry per segment; a segment shipped in parts: the parts' glob as
    // `key`, summed size and lines, no sha256 of its own, `parts` and every
    // part in `objects`.
    boost::json::array out;
    for (const auto& row : GroupParts(*segments)) {
      const auto& s = row.objects.front();
      boost::json::object entry{{"key", row.key},
                                {"hour", archive::FormatHour(s.hour)},
                                {"segment", s.segment},
                                {"host", s.host},
                                {"size", row.size},
                                {"lines", row.lines},
                                {"sha256", row.parts > 0 ? std::string() : s.sha256},
                                {"parts", row.parts}};
      if (row.parts > 0) {
        boost::json::array objects;
        for (const auto& part : row.objects) {
          objects.push_back(boost::json::object{{"key", part.key},
                                                {"size", part.size},
                                                {"lines", part.lines},
                                                {"sha256", part.sha256}});
        }
        entry["objects"] = std::move(objects);
      }
      out.push_back(std::move(entry));
    }
    return {200, "application/json", boost::json::serialize(out)};
  }

  // The audit files still on this host's disk, with their upload state.
  query::ArchiveReply Local(std::string_view from, std::string_view until) const {
    auto range = ParseRange(Bound(from), Bound(until), clock_.NowSeconds());
    if (range.problem) return Reply(400, range.problem->reason);
    auto files = ListLocal(range.range);
    if (!files) return Reply(500, files.status().message());
    return {200, "application/json", archive::LocalAuditJson(*files)};
  }

  query::ArchiveReply Cat(std::string_view from, std::string_view until,
                          std::string_view grep) const {
    if (from.empty() || until.empty()) return Reply(400, "from and until are required");
    auto range = ParseRange(from, until, clock_.NowSeconds());
    if (range.problem) return Reply(400, range.problem->reason);
    std::unique_ptr<archive::LineFilter> filter;
    if (!grep.empty()) {
      auto created = archive::LineFilter::Create(std::string(grep));
      if (!created) return Reply(400, created.status().message());
      filter = std::move(*created);
    }
    auto service = ArchiveService::Open(settings_);
    if (!service) return Reply(503, service.status().message());
    auto segments = service->List(range.range);
    if (!segments) return Reply(502, segments.error().message);
    return ReadAll(*service, *segments, filter.get());
  }

  // One page of matching lines (archive/shipping/archive_search.h).
  query::ArchiveReply Search(std::string_view from, std::string_view until, std::string_view grep,
                             std::string_view limit, std::string_view after) const {
    if (from.empty() || until.empty()) return Reply(400, "from and until are required");
    auto range = ParseRange(from, until, clock_.NowSeconds());
    if (range.problem) return Reply(400, range.problem->reason);
    archive::SearchRequest request{.pattern = std::string(grep), .after = std::string(after)};
    if (!limit.empty()) {
      const auto [end, ec] =
          std::from_chars(limit.data(), limit.data() + limit.size(), request.limit);
      if (ec != std::errc() || end != limit.data() + limit.size()) {
        return Reply(400, "limit must be a number of lines");
      }
    }
    // The local state first: a part uploaded between the two listings is
    // answered twice rather than missed.
    auto files = ListLocal(range.range);
    if (!files) return Reply(500, files.status().message());
    std::vector<archive::LocalRange> local;
    for (const archive::LocalAuditFile& file : *files) {
      if (file.uploaded_to >= file.size) continue;  // all in the archive
      local.push_back({file.info.name, file.path, file.uploaded_to, file.size});
    }
    // An archive that cannot be listed leaves the local lines, said so in
    // "archive_error"; a cursor into the archive needs it (502).
    std::vector<archive::ArchivedSegment> segments;
    std::string archive_error;
    auto service = ArchiveService::Open(settings_);
    if (!service) {
      archive_error = service.status().message();
    } else if (!archive::IsLocalCursor(after)) {
      auto listed = service->List(range.range);
      if (listed) segments = std::move(*listed);
      if (!listed) archive_error = listed.error().message;
    }
    if (!archive_error.empty() && !after.empty() && !archive::IsLocalCursor(after)) {
      return Reply(502, archive_error);
    }
    std::string read_error;
    const archive::SegmentReader read = [&](size_t index, const archive::ChunkSink& sink) {
      auto error = service->Stream({segments[index]}, nullptr, sink);
      if (!error) return common::Status::Ok();
      read_error = error->message;
      return common::Status::Error(error->message);
    };
    auto page = archive::SearchArchiveAndLocal(segments, read, local, request, limits_);
    if (!page) return Reply(read_error.empty() ? 400 : 502, page.status().message());
    page->archive_error = std::move(archive_error);
    return {200, "application/json", archive::SearchPageJson(*page)};
  }

 private:
  common::Result<std::vector<archive::LocalAuditFile>> ListLocal(const TimeRange& range) const {
    return archive::ListLocalAudit(settings_.audit_dir(), settings_.audit_prefix,
                                   settings_.sealed_dir(), range.from, range.until);
  }

  // Every segment, verified before anything is answered.
  static query::ArchiveReply ReadAll(ArchiveService& service,
                                     const std::vector<archive::ArchivedSegment>& segments,
                                     archive::LineFilter* filter) {
    std::string body;
    bool too_big = false;
    const archive::ChunkSink append = [&](std::string_view bytes) {
      if (body.size() + bytes.size() > kMaxBody) {
        too_big = true;
        return common::Status::Error("more than 256 MiB: use `hourglass archive cat`");
      }
      body.append(bytes);
      return common::Status::Ok();
    };
    if (auto error = service.Stream(segments, filter, append)) {
      return Reply(too_big || error->at_finish ? 413 : 502, error->message);
    }
    return {200, "text/plain; charset=utf-8", std::move(body)};
  }

  const archive::ArchiveSettings settings_;
  const common::Clock& clock_;
  const archive::SearchLimits limits_;
};

}  // namespace

std::shared_ptr<const query::ArchiveBrowser> MakeArchiveBrowser(
    const archive::ArchiveSettings& settings, const common::Clock& clock,
    const archive::SearchLimits& search) {
  auto browser = std::make_shared<const Browser>(settings, clock, search);
  auto out = std::make_shared<query::ArchiveBrowser>();
  out->list = [browser](std::string_view from, std::string_view until) {
    return browser->List(from, until);
  };
  out->local = [browser](std::string_view from, std::string_view until) {
    return browser->Local(from, until);
  };
  out->cat = [browser](std::string_view from, std::string_view until, std::string_view grep) {
    return browser->Cat(from, until, grep);
  };
  out->search = [browser](std::string_view from, std::string_view until, std::string_view grep,
                          std::string_view limit, std::string_view after) {
    return browser->Search(from, until, grep, limit, after);
  };
  return out;
}

}  // namespace hourglass::server
