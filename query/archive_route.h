// The /archive routes of the HTTP API: GET /archive/hours?from=T&until=T lists
// the archived audit hours (JSON); GET /archive/local?from=T&until=T the audit
// files still on local disk, with their upload state (JSON); GET
// /archive/cat?from=T&until=T[&grep=RE] returns their lines, decompressed and
// verified; GET /archive/search?from=T&until=T[&grep=RE][&limit=N][&after=C]
// one capped page of matching lines, archived then local (JSON, with a cursor
// for the next page). query does not depend on archive: the server passes in
// an ArchiveBrowser that does the work (for a local or S3 archive alike). Its
// functions are called from any HTTP thread and must be thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace hourglass::query {

struct ApiResponse;
class FormParams;

struct ArchiveReply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
};

struct ArchiveBrowser {
  // from/until as given (empty if absent); the browser parses them.
  std::function<ArchiveReply(std::string_view from, std::string_view until)> list;
  std::function<ArchiveReply(std::string_view from, std::string_view until)> local;
  std::function<ArchiveReply(std::string_view from, std::string_view until, std::string_view grep)>
      cat;
  std::function<ArchiveReply(std::string_view from, std::string_view until, std::string_view grep,
                             std::string_view limit, std::string_view after)>
      search;
};

// Answers /archive/... (404 when no browser is configured).
ApiResponse ArchiveRoute(const ArchiveBrowser* browser, std::string_view path,
                         const FormParams& params);

}  // namespace hourglass::query
