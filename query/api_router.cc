#include "query/api_router.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "query/cluster_format.h"
#include "query/form_params.h"
#include "query/render_format.h"
#include "query/status_pages.h"
#include "query/time_parser.h"
#include "query/ui_route.h"
#include "store/series_store.h"

namespace hourglass::query {

ApiResponse BadRequest(std::string message) {
  return {400, "text/plain; charset=utf-8", std::move(message) + "\n"};
}

ApiResponse Json(std::string body, std::string_view jsonp) {
  if (jsonp.empty()) return {200, "application/json", std::move(body)};
  return {200, "text/javascript", std::string(jsonp) + "(" + body + ")"};
}

namespace {

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

struct TimeRange {
  int64_t from, until, now;
};

common::Result<TimeRange> ParseRange(const FormParams& params, int64_t clock_now) {
  int64_t now = clock_now;
  auto parse = [&](std::string_view name, std::string_view fallback,
                   int64_t base) -> common::Result<int64_t> {
    const std::string_view text = params.Get(name).value_or(fallback);
    common::Result<int64_t> t = ParseAtTime(text, base);
    if (!t.ok()) {
      return common::Status::Error(
          fmt::format("Invalid value '{}' for param {}: {}", text, name, t.status().message()));
    }
    return t;
  };
  if (params.Has("now")) {
    auto t = parse("now", "now", clock_now);
    if (!t.ok()) return t.status();
    now = *t;
  }
  auto until = parse("until", "now", now);
  if (!until.ok()) return until.status();
  auto from = parse("from", "-1d", now);
  if (!from.ok()) return from.status();
  TimeRange range{std::min(*from, *until), std::max(*from, *until), now};
  if (range.from == range.until) return common::Status::Error("Invalid empty time range");
  return range;
}

}  // namespace

ApiRouter::ApiRouter(const store::SeriesStore& store, common::StatsRegistry& stats,
                     const common::Clock& clock, std::string version, AccessOptions access,
                     RenderLimits limits, EventLimits event_limits)
    : store_(store),
      tag_index_(store),
      stats_(stats),
      clock_(clock),
      version_(std::move(version)),
      started_s_(clock.NowSeconds()),
      access_(std::move(access)),
      limits_(limits),
      events_(store, stats, clock, event_limits),
      evaluator_(registry_),
      render_requests_(stats.GetCounter("http.render_requests", "render requests answered")),
      render_micros_(stats.GetCounter("http.render_micros_total",
                                      "time spent answering render requests, microseconds")),
      render_last_ms_(stats.GetGauge("http.render_latency_ms", "latency of the last render, ms")),
      render_refused_(stats.GetCounter(
          "http.render_refused",
          "render requests refused (400) by http.max_points_read or http.max_points_written")) {
  RegisterBuiltinFunctions(registry_);
}

ApiResponse ApiRouter::Handle(const ApiRequest& request) const {
  if (request.method == "OPTIONS") {  // CORS preflight: no token needed
    ApiResponse response{204, "text/plain", ""};
    AddCors(request, response, true);
    return response;
  }
  if (request.method != "GET" && request.method != "POST" && request.method != "HEAD") {
    return {405, "application/json", R"({"error":"method not allowed"})"};
  }
  const size_t q = request.target.find('?');
  std::string path = PercentDecode(request.target.substr(0, q), false);
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  // The page itself is public (no data in it): it asks for the token.
  if (request.method != "POST" && IsUiPath(path)) return UiRoute(path);
  ApiResponse response;
  if (path != "/health" && !Authorized(request)) {
    response = {401, "application/json", R"({"error":"missing or wrong bearer token"})"};
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
    AddCors(request, response, false);
    return response;
  }
  FormParams params;
  bool complete = true;
  if (q != std::string_view::npos) complete = params.Parse(request.target.substr(q + 1));
  if (complete && (path == "/events" || path.starts_with("/events/"))) {
    // graphite-web reads only the query string here; a POST body is an event.
    response = events_.Handle(request.method, path, params, request.body);
    AddCors(request, response, false);
    return response;
  }
  if (request.method == "POST" && !request.content_type.starts_with("multipart/") &&
      !request.content_type.starts_with("application/json")) {
    complete = params.Parse(request.body) && complete;
  }
  response =
      complete ? Route(request.method, path, params)
               : BadRequest(fmt::format("too many parameters (limit {})", FormParams::kMaxParams));
  AddCors(request, response, false);
  return response;
}

ApiResponse ApiRouter::Route(std::string_view method, const std::string& path,
                             const FormParams& params) const {
  if (path == "/render") return Render(params);
  if (path == "/metrics/find") return Find(params);
  if (path == "/metrics/expand") return Expand(params);
  if (path == "/metrics/index.json") return IndexJson(params);
  if (path == "/functions" || path.starts_with("/functions/")) {
    if (method == "POST") return {405, "application/json", R"({"error":"method not allowed"})"};
    return Functions(path, params);
  }
  if (path == "/tags" || path.starts_with("/tags/")) {
    return TagsRoute(store_, tag_index_, method, path, params);
  }
  if (path == "/version") return {200, "text/plain", version_ + "\n"};
  if (path.starts_with("/archive/")) return ArchiveRoute(access_.archive.get(), path, params);
  if (path == "/health") return Health();
  if (path == "/metrics") {
    return {200, "text/plain; version=0.0.4", FormatPrometheus(stats_.Snapshot())};
  }
  std::string body = R"({"error":"not found","path":)";
  AppendJsonString(body, path);
  body += "}";
  return {404, "application/json", std::move(body)};
}

void ApiRouter::AddCors(const ApiRequest& request, ApiResponse& response, bool preflight) const {
  if (request.origin.empty()) return;
  const auto& allowed = access_.cors_origins;
  const bool any = std::find(allowed.begin(), allowed.end(), "*") != allowed.end();
  if (!any && std::find(allowed.begin(), allowed.end(), request.origin) == allowed.end()) return;
  response.headers.emplace_back("Access-Control-Allow-Origin", std::string(request.origin));
  response.headers.emplace_back("Vary", "Origin");
  response.headers.emplace_back("Access-Control-Allow-Credentials", "true");
  if (preflight) {
    response.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    response.headers.emplace_back("Access-Control-Allow-Headers",
                                  "Authorization, Content-Type, X-Grafana-Org-Id");
    response.headers.emplace_back("Access-Control-Max-Age", "3600");
  }
}

bool ApiRouter::Authorized(const ApiRequest& request) const {
  if (access_.token.empty()) return true;
  std::string_view auth = request.authorization;
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.size() < kBearer.size() ||
      !std::equal(kBearer.begin(), kBearer.end(), auth.begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    return false;
  }
  auth.remove_prefix(kBearer.size());
  // Constant time in the token's length: no early exit on the first mismatch.
  const std::string& token = access_.token;
  unsigned diff = auth.size() == token.size() ? 0 : 1;
  for (size_t i = 0; i < token.size(); ++i) {
    diff |= static_cast<unsigned char>(token[i]) ^
            static_cast<unsigned char>(i < auth.size() ? auth[i] : 0);
  }
  return diff == 0;
}

ApiResponse ApiRouter::Functions(std::string_view path, const FormParams& params) const {
  const std::string_view jsonp = params.Get("jsonp").value_or("");
  if (path.starts_with("/functions/")) {
    const std::string_view name = path.substr(std::string_view("/functions/").size());
    std::string body = registry_.FunctionJson(name);
    if (body.empty()) {
      return {404, "text/plain; charset=utf-8", fmt::format("Function not found: {}\n", name)};
    }
    return Json(std::move(body), jsonp);
  }
  std::string grouped(params.Get("grouped").value_or(""));
  std::transform(grouped.begin(), grouped.end(), grouped.begin(), ::tolower);
  return Json(registry_.FunctionsJson(grouped == "1" || grouped == "true",
                                      params.Get("group").value_or("")),
              jsonp);
}

// Every series name, sorted: leaves found depth by depth ("*", "*.*", ...)
// until a depth has no nodes at all.
ApiResponse ApiRouter::IndexJson(const FormParams& params) const {
  constexpr size_t kMaxDepth = 64;
  constexpr size_t kMaxNames = 1'000'000;
  std::vector<std::string> names;
  std::string pattern = "*";
  for (size_t depth = 1; depth <= kMaxDepth; ++depth, pattern += ".*") {
    common::Result<std::vector<store::Node>> nodes = store_.FindNodes(pattern);
    if (!nodes.ok()) return BadRequest("index failed: " + nodes.status().message());
    if (nodes->empty()) break;
    for (store::Node& n : *nodes) {
      if (n.is_leaf) names.push_back(std::move(n.path));
    }
    if (names.size() > kMaxNames) return BadRequest("too many series for index.json");
  }
  std::sort(names.begin(), names.end());
  std::string out = "[";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out.push_back(',');
    AppendJsonString(out, names[i]);
  }
  out += "]";
  return Json(std::move(out), params.Get("jsonp").value_or(""));
}

ApiResponse ApiRouter::Render(const FormParams& params) const {
  const int64_t started = clock_.NowMicros();
  std::vector<std::string_view> targets = params.GetAll("target");
  if (targets.empty()) targets = params.GetAll("target[]");
  if (targets.size() > kMaxTargets) {
    return BadRequest(fmt::format("too many targets (limit {})", kMaxTargets));
  }
  common::Result<TimeRange> range = ParseRange(params, clock_.NowSeconds());
  if (!range.ok()) return BadRequest(range.status().message());
  // graphite-web's parseOptions: `pickle` asks for format=pickle, `rawData`
  // for format=raw, and `format` wins over both.
  const std::string_view format = params.Get("format").value_or(
      params.Has("rawData") ? "raw" : (params.Has("pickle") ? "pickle" : "json"));
  const std::optional<ClusterFormat> cluster_format = ParseClusterFormat(format);
  if (format != "json" && format != "csv" && format != "raw" && !cluster_format) {
    return BadRequest(
        fmt::format("Unsupported format '{}': use json, csv, raw, pickle or msgpack", format));
  }
  EvalContext ctx{&store_, range->from, range->until, range->now};
  ctx.tags = &tag_index_;
  if (auto xff = params.Get("xFilesFactor")) {
    const auto [p, ec] =
        std::from_chars(xff->data(), xff->data() + xff->size(), ctx.x_files_factor);
    if (ec != std::errc() || ctx.x_files_factor < 0 || ctx.x_files_factor > 1) {
      return BadRequest("Invalid value for param xFilesFactor: must be a number from 0 to 1");
    }
  }
  ctx.max_points_read = limits_.max_points_read;
  SeriesList data;
  for (std::string_view target : targets) {
    common::Result<SeriesList> list = evaluator_.EvaluateTarget(target, ctx);
    if (!list.ok()) {
      if (ctx.over_budget) render_refused_.Add();
      return BadRequest(list.status().message());
    }
    // A cluster front matches what it fetched by pathExpression, which for
    // seriesByTag is the call's raw text as it sent it (evaluator.py's
    // tokens.call.raw), not our re-serialized form.
    const bool raw_call = cluster_format && target.starts_with("seriesByTag(");
    for (Series& s : *list) {
      if (raw_call) s.path_expression = target;
      data.push_back(std::move(s));
    }
  }
  const std::string_view jsonp = params.Get("jsonp").value_or("");
  ApiResponse response{200, "text/csv", ""};
  RenderFormat render_format = RenderFormat::kCsv;
  if (format == "raw") {
    response.content_type = "text/plain";
    render_format = RenderFormat::kRaw;
  } else if (format == "json") {
    response.content_type = jsonp.empty() ? "application/json" : "text/javascript";
    render_format = RenderFormat::kJson;
    const std::string_view mdp = params.Get("maxDataPoints").value_or("");
    if (IsDigits(mdp) && mdp.size() < 10) ApplyMaxDataPoints(data, std::stoll(std::string(mdp)));
  }
  if (const size_t written = PointsWritten(data); written > limits_.max_points_written) {
    render_refused_.Add();
    return BadRequest(WrittenRefusal(written, limits_.max_points_written));
  }
  if (cluster_format) {  // graphite-web's RemoteReader, bounded as above
    response = {200, ClusterContentType(*cluster_format),
                EncodeClusterSeries(data, *cluster_format)};
    CountRender(started);
    return response;
  }
  // The first part is the whole body of most answers; a longer one is
  // streamed, its series freed as they are written.
  auto stream = std::make_shared<RenderStream>(std::move(data), render_format,
                                               params.Has("noNullPoints"), jsonp);
  const size_t chunk = std::max<size_t>(1, limits_.chunk_bytes);
  if (stream->Next(response.body, chunk)) {
    response.more = [stream, chunk](std::string& out) {
      return stream->Next(out, out.size() + chunk);
    };
  }
  CountRender(started);
  return response;
}

void ApiRouter::CountRender(int64_t started_micros) const {
  const int64_t micros = std::max<int64_t>(0, clock_.NowMicros() - started_micros);
  render_requests_.Add();
  render_micros_.Add(static_cast<uint64_t>(micros));
  render_last_ms_.Set(static_cast<double>(micros) / 1000.0);
}

void ReadWholeBody(ApiResponse& response) {
  while (response.more && response.more(response.body)) {
  }
  response.more = nullptr;
}

ApiResponse ApiRouter::Health() const {
  HealthPage page = FormatHealth(stats_.Health(), stats_.Snapshot(), version_,
                                 std::max<int64_t>(0, clock_.NowSeconds() - started_s_));
  return {page.status, "application/json", std::move(page.body)};
}

}  // namespace hourglass::query
