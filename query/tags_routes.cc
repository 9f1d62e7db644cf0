#include "query/tags_routes.h"

#include <algorithm>
#include <charconv>
#include <set>

#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "query/api_router.h"
#include "query/form_params.h"
#include "query/json_answer.h"
#include "query/py_regex.h"
#include "query/series.h"
#include "store/series_store.h"

namespace hourglass::query {
namespace {

using common::Result;
using common::Status;

constexpr size_t kAutoCompleteLimit = 100;  // graphite-web's TAGDB_AUTOCOMPLETE_LIMIT
constexpr size_t kMaxLimit = 10'000;        // the most any tags request returns
// Tagged series examined for one findSeries/autoComplete with expressions.
constexpr size_t kMaxCandidates = 100'000;

ApiResponse JsonError(unsigned status, std::string_view message) {
  return {status, "application/json", ToJson({{"error", JsonText(message)}})};
}

ApiResponse MethodNotAllowed() {
  return {405, "application/json", R"({"error":"method not allowed"})"};
}

ApiResponse StoreError(const Status& status) {
  return JsonError(500, "tag index: " + status.message());
}

std::string JsonStrings(const std::vector<std::string>& items) {
  boost::json::array out;
  out.reserve(items.size());
  for (const std::string& item : items) out.push_back(JsonText(item));
  return ToJson(out);
}

// `limit`: absent, empty or <= 0 -> fallback; capped at kMaxLimit.
Result<size_t> LimitParam(const FormParams& params, size_t fallback) {
  const std::optional<std::string_view> text = params.Get("limit");
  if (!text || text->empty()) return fallback;
  int64_t n = 0;
  auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc() || p != text->data() + text->size()) {
    return Status::Error(fmt::format("Invalid int value '{}' for param limit", *text));
  }
  return n <= 0 ? fallback : std::min<size_t>(static_cast<size_t>(n), kMaxLimit);
}

// ?expr=a&expr=b, or the ?expr[]=a form.
std::vector<std::string> Exprs(const FormParams& params) {
  std::vector<std::string_view> all = params.GetAll("expr");
  if (all.empty()) all = params.GetAll("expr[]");
  return {all.begin(), all.end()};
}

// graphite's tag filters are regexes anchored at the start of the string.
Result<std::optional<PyRegex>> FilterParam(const FormParams& params) {
  const std::string_view filter = params.Get("filter").value_or("");
  if (filter.empty()) return std::optional<PyRegex>();
  Result<PyRegex> regex = PyRegex::Compile(
      filter.starts_with("^") ? std::string(filter) : "^(" + std::string(filter) + ")");
  if (!regex.ok()) return Status::Error("Invalid filter: " + regex.status().message());
  return std::optional<PyRegex>(std::move(*regex));
}

// Series matching every expression, sorted.
Result<std::vector<std::string>> Matching(const TagIndex& index,
                                          const std::vector<std::string>& exprs) {
  Result<std::vector<std::string>> names = FindSeriesByTag(index, exprs, kMaxCandidates);
  if (names.ok()) std::sort(names->begin(), names->end());
  return names;
}

// The tags the expressions already constrain (left out of autocomplete).
std::set<std::string> SearchedTags(const std::vector<std::string>& exprs) {
  std::set<std::string> out;
  for (const std::string& e : exprs) {
    if (Result<TagExpression> parsed = ParseTagExpression(e); parsed.ok()) out.insert(parsed->tag);
  }
  return out;
}

std::vector<std::string> FirstN(const std::set<std::string>& items, size_t n) {
  std::vector<std::string> out;
  for (auto it = items.begin(); it != items.end() && out.size() < n; ++it) out.push_back(*it);
  return out;
}

// GET /tags: [{"tag": "dc"}, ...].
ApiResponse TagList(const store::SeriesStore& store, const FormParams& params) {
  Result<size_t> limit = LimitParam(params, kMaxLimit);
  if (!limit.ok()) return JsonError(400, limit.status().message());
  Result<std::optional<PyRegex>> filter = FilterParam(params);
  if (!filter.ok()) return JsonError(400, filter.status().message());
  Result<std::vector<std::string>> tags =
      store.ListTags("", filter->has_value() ? kMaxLimit : *limit);
  if (!tags.ok()) return StoreError(tags.status());
  boost::json::array out;
  for (const std::string& tag : *tags) {
    if (out.size() == *limit) break;
    if (filter->has_value() && !(*filter)->Search(tag)) continue;
    out.push_back(boost::json::object{{"tag", JsonText(tag)}});
  }
  return {200, "application/json", ToJson(out)};
}

// GET /tags/<tag>: {"tag": t, "values": [{"value": v, "count": n}, ...]}, or
// null for a tag no series has.
ApiResponse TagDetails(const store::SeriesStore& store, std::string_view tag,
                       const FormParams& params) {
  Result<size_t> limit = LimitParam(params, kMaxLimit);
  if (!limit.ok()) return JsonError(400, limit.status().message());
  Result<std::optional<PyRegex>> filter = FilterParam(params);
  if (!filter.ok()) return JsonError(400, filter.status().message());
  Result<std::vector<std::string>> values = store.ListTagValues(tag, "", kMaxLimit);
  if (!values.ok()) return StoreError(values.status());
  if (values->empty()) return {200, "application/json", "null"};
  boost::json::array out;
  for (const std::string& value : *values) {
    if (out.size() == *limit) break;
    if (filter->has_value() && !(*filter)->Search(value)) continue;
    Result<std::vector<std::string>> series = store.FindTagged(tag, value, SIZE_MAX);
    if (!series.ok()) return StoreError(series.status());
    out.push_back(boost::json::object{{"value", JsonText(value)}, {"count", series->size()}});
  }
  return {200, "application/json", ToJson({{"tag", JsonText(tag)}, {"values", std::move(out)}})};
}

// /tags/findSeries?expr=...: ["path", ...].
ApiResponse FindSeries(const TagIndex& index, const FormParams& params) {
  const std::vector<std::string> exprs = Exprs(params);
  if (exprs.empty()) return JsonError(400, "no tag expressions specified");
  Result<size_t> limit = LimitParam(params, kMaxLimit);
  if (!limit.ok()) return JsonError(400, limit.status().message());
  Result<std::vector<std::string>> names = Matching(index, exprs);
  if (!names.ok()) return JsonError(400, names.status().message());
  if (names->size() > *limit) names->resize(*limit);
  return {200, "application/json", JsonStrings(*names)};
}

// /tags/autoComplete/tags: tag names, sorted.
ApiResponse AutoCompleteTags(const store::SeriesStore& store, const TagIndex& index,
                             const FormParams& params) {
  Result<size_t> limit = LimitParam(params, kAutoCompleteLimit);
  if (!limit.ok()) return JsonError(400, limit.status().message());
  const std::string_view prefix = params.Get("tagPrefix").value_or("");
  const std::vector<std::string> exprs = Exprs(params);
  if (exprs.empty()) {
    Result<std::vector<std::string>> tags = store.ListTags(prefix, *limit);
    if (!tags.ok()) return StoreError(tags.status());
    return {200, "application/json", JsonStrings(*tags)};
  }
  Result<std::vector<std::string>> names = Matching(index, exprs);
  if (!names.ok()) return JsonError(400, names.status().message());
  const std::set<std::string> searched = SearchedTags(exprs);
  std::set<std::string> tags;
  for (const std::string& name : *names) {
    for (const auto& [tag, value] : ParseTags(name)) {
      if (!searched.contains(tag) && tag.starts_with(prefix)) tags.insert(tag);
    }
  }
  return {200, "application/json", JsonStrings(FirstN(tags, *limit))};
}

// /tags/autoComplete/values?tag=T: values of T, sorted.
ApiResponse AutoCompleteValues(const store::SeriesStore& store, const TagIndex& index,
                               const FormParams& params) {
  const std::string_view tag = params.Get("tag").value_or("");
  if (tag.empty()) return JsonError(400, "no tag specified");
  Result<size_t> limit = LimitParam(params, kAutoCompleteLimit);
  if (!limit.ok()) return JsonError(400, limit.status().message());
  const std::string_view prefix = params.Get("valuePrefix").value_or("");
  const std::vector<std::string> exprs = Exprs(params);
  if (exprs.empty()) {
    Result<std::vector<std::string>> values = store.ListTagValues(tag, prefix, *limit);
    if (!values.ok()) return StoreError(values.status());
    return {200, "application/json", JsonStrings(*values)};
  }
  Result<std::vector<std::string>> names = Matching(index, exprs);
  if (!names.ok()) return JsonError(400, names.status().message());
  std::set<std::string> values;
  for (const std::string& name : *names) {
    const std::map<std::string, std::string> tags = ParseTags(name);
    auto it = tags.find(std::string(tag));
    if (it != tags.end() && it->second.starts_with(prefix)) values.insert(it->second);
  }
  return {200, "application/json", JsonStrings(FirstN(values, *limit))};
}

}  // namespace

Result<std::vector<std::string>> StoreTagIndex::FindTagged(std::string_view tag,
                                                           std::optional<std::string_view> value,
                                                           size_t limit) const {
  return store_.FindTagged(tag, value, limit);
}

ApiResponse TagsRoute(const store::SeriesStore& store, const TagIndex& index,
                      std::string_view method, std::string_view path, const FormParams& params) {
  const bool get = method == "GET" || method == "HEAD";
  if (path == "/tags") return get ? TagList(store, params) : MethodNotAllowed();
  const std::string_view rest = path.substr(std::string_view("/tags/").size());
  if (rest == "findSeries") return FindSeries(index, params);
  if (rest == "autoComplete/tags") return AutoCompleteTags(store, index, params);
  if (rest == "autoComplete/values") return AutoCompleteValues(store, index, params);
  if (rest == "tagSeries" || rest == "tagMultiSeries" || rest == "delSeries") {
    if (method != "POST") return MethodNotAllowed();
    return JsonError(
        400, "series are tagged when they are written; " + std::string(rest) + " is not supported");
  }
  return get ? TagDetails(store, rest, params) : MethodNotAllowed();
}

}  // namespace hourglass::query
