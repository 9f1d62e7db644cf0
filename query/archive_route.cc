#include "query/archive_route.h"

#include "query/api_router.h"
#include "query/form_params.h"

namespace hourglass::query {

ApiResponse ArchiveRoute(const ArchiveBrowser* browser, std::string_view path,
                         const FormParams& params) {
  if (browser == nullptr) {
    return {404, "application/json", R"({"error":"no archive configured"})"};
  }
  const std::string_view from = params.Get("from").value_or("");
  const std::string_view until = params.Get("until").value_or("");
  ArchiveReply reply;
  if (path == "/archive/hours" && browser->list) {
    reply = browser->list(from, until);
  } else if (path == "/archive/cat" && browser->cat) {
    reply = browser->cat(from, until, params.Get("grep").value_or(""));
  } else if (path == "/archive/local" && browser->local) {
    reply = browser->local(from, until);
  } else if (path == "/archive/search" && browser->search) {
    reply = browser->search(from, until, params.Get("grep").value_or(""),
                            params.Get("limit").value_or(""), params.Get("after").value_or(""));
  } else {
    return {
        404, "application/json",
        R"({"error":"not found: try /archive/hours, /archive/local, /archive/cat or /archive/search"})"};
  }
  return {reply.status, std::move(reply.content_type), std::move(reply.body)};
}

}  // namespace hourglass::query
