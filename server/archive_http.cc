#include "server/archive_http.h"

#include <boost/json.hpp>

#include "archive/shipping/archive_reader.h"
#include "archive/shipping/hour_time.h"
#include "archive/shipping/line_filter.h"

namespace hourglass::server {
namespace {

// A response body is built in memory: larger ranges are for the CLI.
constexpr size_t kMaxBody = 256u << 20;

query::ArchiveReply Reply(unsigned status, std::string message) {
  boost::json::object o{{"error", message}};
  return {status, "application/json", boost::json::serialize(o)};
}

struct Range {
  int64_t from = 0, until = 0;
};

common::Result<Range> ParseRange(std::string_view from, std::string_view until, int64_t now,
                                 bool required) {
  if (required && (from.empty() || until.empty())) {
    return common::Status::Error("from and until are required");
  }
  Range range{0, now + 3600};
  if (!from.empty()) {
    auto t = archive::ParseTime(from, now);
    if (!t) return t.status();
    range.from = *t;
  }
  if (!until.empty()) {
    auto t = archive::ParseTime(until, now);
    if (!t) return t.status();
    range.until = *t;
  }
  return range;
}

class Browser {
 public:
  Browser(archive::ArchiveSettings settings, const common::Clock& clock)
      : settings_(std::move(settings)), clock_(clock) {}

  query::ArchiveReply List(std::string_view from, std::string_view until) const {
    auto range = ParseRange(from, until, clock_.NowSeconds(), false);
    if (!range) return Reply(400, range.status().message());
    auto opened = archive::OpenArchiveStore(settings_);
    if (!opened) return Reply(503, opened.status().message());
    auto segments = Reader(*opened).List(range->from, range->until);
    if (!segments) return Reply(502, segments.error().message);
    boost::json::array out;
    for (const auto& s : *segments) {
      out.push_back(boost::json::object{{"key", s.key},
                                        {"hour", archive::FormatHour(s.hour)},
                                        {"segment", s.segment},
                                        {"host", s.host},
                                        {"size", s.size},
                                        {"lines", s.lines},
                                        {"sha256", s.sha256}});
    }
    return {200, "application/json", boost::json::serialize(out)};
  }

  query::ArchiveReply Cat(std::string_view from, std::string_view until,
                          std::string_view grep) const {
    auto range = ParseRange(from, until, clock_.NowSeconds(), true);
    if (!range) return Reply(400, range.status().message());
    std::unique_ptr<archive::LineFilter> filter;
    if (!grep.empty()) {
      auto created = archive::LineFilter::Create(std::string(grep));
      if (!created) return Reply(400, created.status().message());
      filter = std::move(*created);
    }
    auto opened = archive::OpenArchiveStore(settings_);
    if (!opened) return Reply(503, opened.status().message());
    archive::ArchiveReader reader = Reader(*opened);
    auto segments = reader.List(range->from, range->until);
    if (!segments) return Reply(502, segments.error().message);
    return ReadAll(reader, *segments, filter.get());
  }

 private:
  archive::ArchiveReader Reader(archive::OpenedStore& opened) const {
    return archive::ArchiveReader(
        *opened.store, {*archive::KeyTemplate::Parse(settings_.key_template), opened.prefix,
                        settings_.host, settings_.audit_prefix});
  }

  // Every segment, verified before anything is answered.
  static query::ArchiveReply ReadAll(archive::ArchiveReader& reader,
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
    const archive::ChunkSink sink = filter == nullptr ? append : [&](std::string_view bytes) {
      return filter->Write(bytes, append);
    };
    for (const auto& segment : segments) {
      auto done = reader.Read(segment, sink);
      if (!done) return Reply(too_big ? 413 : 502, done.error().message);
    }
    if (filter != nullptr) {
      if (auto status = filter->Finish(append); !status) return Reply(413, status.message());
    }
    return {200, "text/plain; charset=utf-8", std::move(body)};
  }

  const archive::ArchiveSettings settings_;
  const common::Clock& clock_;
};

}  // namespace

std::shared_ptr<const query::ArchiveBrowser> MakeArchiveBrowser(
    const archive::ArchiveSettings& settings, const common::Clock& clock) {
  auto browser = std::make_shared<const Browser>(settings, clock);
  auto out = std::make_shared<query::ArchiveBrowser>();
  out->list = [browser](std::string_view from, std::string_view until) {
    return browser->List(from, until);
  };
  out->cat = [browser](std::string_view from, std::string_view until, std::string_view grep) {
    return browser->Cat(from, until, grep);
  };
  return out;
}

}  // namespace hourglass::server
