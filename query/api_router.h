// ApiRouter: maps one HTTP request (method, target, body) to a response for
// the Graphite API (/render, /metrics/find, /metrics/expand, /version, /tags,
// /events) and
// the status pages (/health, /metrics), /functions and /metrics/index.json,
// with CORS headers and an optional bearer token. No sockets here, so it is tested
// directly; HttpServer calls it from its session strands. Const after
// construction and safe from any thread (the store and stats are
// thread-safe). Bad input is a 400 with a one-line message, never a crash.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/stats.h"
#include "query/archive_route.h"
#include "query/cluster_format.h"
#include "query/evaluator.h"
#include "query/events_routes.h"
#include "query/function_registry.h"
#include "query/render_budget.h"
#include "query/tags_routes.h"

namespace hourglass::store {
class SeriesStore;
}

namespace hourglass::query {

struct ApiRequest {
  std::string_view method;  // "GET", "POST", ...
  std::string_view target;  // origin form: "/render?target=a.b"
  std::string_view content_type;
  std::string_view body;
  std::string_view origin = {};         // the Origin header, if any
  std::string_view authorization = {};  // the Authorization header, if any
};

struct ApiResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers = {};  // extra headers (CORS, auth)
  // Set when the body goes on past `body` (a large render): each call
  // appends the next part, about RenderLimits::chunk_bytes, to `out` and
  // returns false once the body is complete. HttpServer sends such an answer
  // with chunked transfer encoding.
  std::function<bool(std::string& out)> more = {};
};

// Appends the rest of a streamed body to response.body (clears `more`).
void ReadWholeBody(ApiResponse& response);

// A 400 whose text/plain body is `message` (graphite-web's wording).
ApiResponse BadRequest(std::string message);
// A 200 JSON answer, or JSONP when `jsonp` names a callback.
ApiResponse Json(std::string body, std::string_view jsonp = {});

// Who may call the API: origins that get CORS headers ("*" for any) and a
// bearer token every route but /health requires when not empty.
struct AccessOptions {
  std::vector<std::string> cors_origins;
  std::string token;
  std::shared_ptr<const ArchiveBrowser> archive = {};  // the /archive routes; null: none
};

class FormParams;

class ApiRouter {
 public:
  static constexpr size_t kMaxTargets = 256;

  ApiRouter(const store::SeriesStore& store, common::StatsRegistry& stats,
            const common::Clock& clock, std::string version, AccessOptions access = {},
            RenderLimits limits = {}, EventLimits event_limits = {});

  ApiResponse Handle(const ApiRequest& request) const;

 private:
  ApiResponse Render(const FormParams& params) const;
  ApiResponse Find(const FormParams& params) const;
  ApiResponse ClusterFind(std::string_view query, ClusterFormat format) const;
  void CountRender(int64_t started_micros) const;
  ApiResponse Expand(const FormParams& params) const;
  ApiResponse Health() const;
  ApiResponse Functions(std::string_view path, const FormParams& params) const;
  ApiResponse IndexJson(const FormParams& params) const;
  ApiResponse Route(std::string_view method, const std::string& path,
                    const FormParams& params) const;
  void AddCors(const ApiRequest& request, ApiResponse& response, bool preflight) const;
  bool Authorized(const ApiRequest& request) const;

  const store::SeriesStore& store_;
  StoreTagIndex tag_index_;  // seriesByTag and /tags
  common::StatsRegistry& stats_;
  const common::Clock& clock_;
  std::string version_;
  int64_t started_s_;  // for /health's uptime_s
  AccessOptions access_;
  RenderLimits limits_;
  EventsApi events_;  // /events
  FunctionRegistry registry_;
  Evaluator evaluator_;
  common::Counter& render_requests_;
  common::Counter& render_micros_;
  common::Gauge& render_last_ms_;
  common::Counter& render_refused_;
};

}  // namespace hourglass::query
