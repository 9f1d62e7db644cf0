// ApiRouter's /metrics/find and /metrics/expand (graphite-web's
// metrics/views.py): tree JSON, completer JSON, the cluster formats
// (pickle, msgpack) for a graphite-web front, and find's `limit`.
#include <algorithm>
#include <charconv>
#include <set>

#include <fmt/format.h>

#include "query/api_router.h"
#include "query/cluster_format.h"
#include "query/form_params.h"
#include "query/render_format.h"
#include "store/series_store.h"

namespace hourglass::query {
namespace {

// queryParamAsInt: absent -> fallback; not an int -> error.
common::Result<int64_t> IntParam(const FormParams& params, std::string_view name,
                                 int64_t fallback) {
  std::optional<std::string_view> v = params.Get(name);
  if (!v) return fallback;
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size()) {
    return common::Status::Error(fmt::format("Invalid int value '{}' for param {}", *v, name));
  }
  return out;
}

std::string_view NodeName(std::string_view path) {
  const size_t dot = path.rfind('.');
  return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

struct FoundNode {
  std::string_view path;
  std::string_view name;
  bool leaf;
};

void AppendTreeNode(std::string& out, std::string_view text, std::string_view id, bool leaf) {
  out += "{\"text\":";
  AppendJsonString(out, text);
  out += ",\"id\":";
  AppendJsonString(out, id);
  out += leaf ? R"(,"allowChildren":0,"expandable":0,"leaf":1})"
              : R"(,"allowChildren":1,"expandable":1,"leaf":0})";
}

// graphite-web's tree_json: optional "*" node, then branches, then leaves;
// `nodes` sorted by name.
// Written by hand, not with Boost.JSON: a wide find answer is large, and
// building it as a boost::json::array took ~9x longer (200k nodes, 24 MB:
// ~30 ms by hand, ~280 ms through boost::json).
std::string TreeJson(const std::vector<FoundNode>& nodes, const std::string& base_path,
                     bool wildcards) {
  std::string out = "[";
  auto sep = [&] {
    if (out.size() > 1) out.push_back(',');
  };
  if (nodes.size() > 1 && wildcards) {
    const bool any_branch =
        std::any_of(nodes.begin(), nodes.end(), [](auto& n) { return !n.leaf; });
    AppendTreeNode(out, "*", base_path + "*", !any_branch);
  }
  // A name is listed once (the first node of that name decides leaf or
  // branch), as graphite-web's tree_json: "a.*.cpu" matches many "cpu" nodes.
  for (bool leaves : {false, true}) {
    for (size_t i = 0; i < nodes.size(); ++i) {
      const FoundNode& n = nodes[i];
      if (n.leaf != leaves || (i > 0 && nodes[i - 1].name == n.name)) continue;
      sep();
      AppendTreeNode(out, n.name, base_path + std::string(n.name), n.leaf);
    }
  }
  return out + "]";
}

// graphite-web's query.replace('..', '*.'): one pass, left to right.
std::string CompleterQuery(std::string_view query) {
  std::string out;
  out.reserve(query.size());
  for (size_t i = 0; i < query.size(); ++i) {
    if (query[i] == '.' && i + 1 < query.size() && query[i + 1] == '.') {
      out += "*.";
      ++i;
    } else {
      out.push_back(query[i]);
    }
  }
  return out;
}

std::string CompleterJson(const std::vector<FoundNode>& nodes, bool wildcards) {
  std::string out = "{\"metrics\":[";
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (i) out.push_back(',');
    out += "{\"path\":";
    AppendJsonString(out, std::string(nodes[i].path) + (nodes[i].leaf ? "" : "."));
    out += ",\"name\":";
    AppendJsonString(out, nodes[i].name);
    out += nodes[i].leaf ? R"(,"is_leaf":"1"})" : R"(,"is_leaf":"0"})";
  }
  if (nodes.size() > 1 && wildcards) out += R"(,{"name":"*"})";
  return out + "]}";
}

}  // namespace

ApiResponse ApiRouter::Find(const FormParams& params) const {
  const std::optional<std::string_view> query_param = params.Get("query");
  if (!query_param) return BadRequest("Missing required parameter 'query'");
  if (query_param->empty()) return BadRequest("Required parameter 'query' is empty");
  const std::string_view format = params.Get("format").value_or("treejson");
  const std::optional<ClusterFormat> cluster_format = ParseClusterFormat(format);
  if (cluster_format) return ClusterFind(*query_param, *cluster_format);
  if (format != "treejson" && format != "completer") {
    return BadRequest("Invalid value for 'format' parameter");
  }
  common::Result<int64_t> leaves_only = IntParam(params, "leavesOnly", 0);
  common::Result<int64_t> wildcards = IntParam(params, "wildcards", 0);
  common::Result<int64_t> limit = IntParam(params, "limit", 0);  // Hourglass's own: 0 none
  if (!leaves_only.ok()) return BadRequest(leaves_only.status().message());
  if (!wildcards.ok()) return BadRequest(wildcards.status().message());
  if (!limit.ok() || *limit < 0) return BadRequest("limit must be a number of nodes");
  std::string query(*query_param);
  const size_t dot = query.rfind('.');
  const std::string base_path = dot == std::string::npos ? "" : query.substr(0, dot) + ".";
  if (format == "completer") {
    query = CompleterQuery(query);
    if (query.back() != '*') query.push_back('*');
  }
  common::Result<std::vector<store::Node>> found = store_.FindNodes(query);
  if (!found.ok()) return BadRequest("find failed: " + found.status().message());
  std::vector<FoundNode> nodes;
  for (const store::Node& n : *found) {
    if (*leaves_only && !n.is_leaf) continue;
    nodes.push_back({n.path, NodeName(n.path), *leaves_only || !n.has_children});
  }
  std::stable_sort(nodes.begin(), nodes.end(),
                   [](const FoundNode& a, const FoundNode& b) { return a.name < b.name; });
  // `limit`: the first N by name; the headers say how many there were.
  std::vector<std::pair<std::string, std::string>> headers;
  if (*limit > 0) {
    headers.emplace_back("X-Hourglass-Total", std::to_string(nodes.size()));
    if (nodes.size() > static_cast<uint64_t>(*limit)) {
      nodes.resize(static_cast<size_t>(*limit));
      headers.emplace_back("X-Hourglass-Truncated", "1");
    }
  }
  const std::string_view jsonp = params.Get("jsonp").value_or("");
  ApiResponse response = format == "completer"
                             ? Json(CompleterJson(nodes, *wildcards), jsonp)
                             : Json(TreeJson(nodes, base_path, *wildcards), jsonp);
  for (auto& header : headers) response.headers.push_back(std::move(header));
  return response;
}

// Leaves may hold data for the longest default retention up to now.
ApiResponse ApiRouter::ClusterFind(std::string_view query, ClusterFormat format) const {
  common::Result<std::vector<store::Node>> found = store_.FindNodes(query);
  if (!found.ok()) return BadRequest("find failed: " + found.status().message());
  int64_t kept = 0;
  for (const store::Retention& r : store_.retentions()) kept = std::max(kept, r.duration);
  const int64_t now = clock_.NowSeconds();
  return {200, ClusterContentType(format),
          EncodeClusterNodes(ClusterNodesOf(*found, now - kept, now), format)};
}

ApiResponse ApiRouter::Expand(const FormParams& params) const {
  common::Result<int64_t> leaves_only = IntParam(params, "leavesOnly", 0);
  common::Result<int64_t> group_by_expr = IntParam(params, "groupByExpr", 0);
  if (!leaves_only.ok()) return BadRequest(leaves_only.status().message());
  if (!group_by_expr.ok()) return BadRequest(group_by_expr.status().message());
  const std::vector<std::string_view> queries = params.GetAll("query");
  if (queries.size() > kMaxTargets) return BadRequest("too many queries");
  std::vector<std::set<std::string>> results;
  for (std::string_view query : queries) {
    common::Result<std::vector<store::Node>> found = store_.FindNodes(query);
    if (!found.ok()) return BadRequest("expand failed: " + found.status().message());
    results.emplace_back();
    for (const store::Node& n : *found) {
      if (n.is_leaf || !*leaves_only) results.back().insert(n.path);
    }
  }
  auto append_list = [](std::string& out, const std::set<std::string>& paths) {
    out.push_back('[');
    for (auto it = paths.begin(); it != paths.end(); ++it) {
      if (it != paths.begin()) out.push_back(',');
      AppendJsonString(out, *it);
    }
    out.push_back(']');
  };
  std::string out = "{\"results\":";
  if (*group_by_expr) {
    out.push_back('{');
    for (size_t i = 0; i < queries.size(); ++i) {
      if (i) out.push_back(',');
      AppendJsonString(out, queries[i]);
      out.push_back(':');
      append_list(out, results[i]);
    }
    out.push_back('}');
  } else {
    std::set<std::string> all;
    for (auto& r : results) all.merge(r);
    append_list(out, all);
  }
  out.push_back('}');
  return Json(std::move(out), params.Get("jsonp").value_or(""));
}

}  // namespace hourglass::query
