#include "query/events_routes.h"

#include <fmt/format.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/json_escape.h"
#include "query/api_router.h"
#include "query/form_params.h"
#include "query/time_parser.h"

namespace hourglass::query {
namespace {

// datetime's range (years 1 to 9999): graphite-web's epoch_to_dt fails outside it.
constexpr double kMinWhen = -62135596800.0;
constexpr double kMaxWhen = 253402300799.0;

ApiResponse Error(unsigned status, std::string message) {
  return {status, "text/plain; charset=utf-8", std::move(message) + "\n"};
}

// Floor division: graphite-web's epoch() drops the microseconds of a datetime.
int64_t Seconds(int64_t micros) {
  return micros >= 0 ? micros / 1'000'000 : -((-micros + 999'999) / 1'000'000);
}

// graphite-web: request.GET['tags'].split(' ') (empty words match no tag).
std::vector<std::string> SplitSpaces(std::string_view text) {
  std::vector<std::string> words;
  size_t start = 0;
  for (size_t end; (end = text.find(' ', start)) != std::string_view::npos; start = end + 1) {
    words.emplace_back(text.substr(start, end - start));
  }
  words.emplace_back(text.substr(start));
  return words;
}

}  // namespace

// graphite-web's json.dumps of Event.as_dict(): when, what, data, tags, id.
void AppendEventJson(std::string& out, const store::Event& e) {
  out += fmt::format("{{\"when\": {}, \"what\": ", Seconds(e.when_us));
  common::AppendJsonString(out, e.what);
  out += ", \"data\": ";
  common::AppendJsonString(out, e.data);
  out += ", \"tags\": [";
  const std::vector<std::string> words = store::EventTagWords(e.tags);
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += ", ";
    common::AppendJsonString(out, words[i]);
  }
  out += fmt::format("], \"id\": {}}}", e.id);
}

common::Result<store::Event> ParseEventBody(std::string_view body, int64_t now_us) {
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(body, ec);
  if (ec) return common::Status::Error("the body is not JSON: " + ec.message());
  const boost::json::object* obj = doc.if_object();
  if (obj == nullptr) return common::Status::Error("the body must be a JSON object");
  store::Event event;
  const boost::json::value* what = obj->if_contains("what");
  if (what == nullptr || !what->is_string()) {
    return common::Status::Error("\"what\" must be a string");
  }
  event.what = std::string(what->get_string());
  if (const boost::json::value* data = obj->if_contains("data"); data && !data->is_null()) {
    event.data =
        data->is_string() ? std::string(data->get_string()) : boost::json::serialize(*data);
  }
  if (const boost::json::value* tags = obj->if_contains("tags"); tags && !tags->is_null()) {
    std::string joined;
    if (const boost::json::array* list = tags->if_array()) {
      for (const boost::json::value& t : *list) {
        if (!t.is_string()) return common::Status::Error("every tag must be a string");
        if (!joined.empty()) joined += ' ';
        joined += t.get_string();
      }
    } else if (tags->is_string()) {
      joined = tags->get_string();
    } else {
      return common::Status::Error(R"("tags" must be an array or space-separated string)");
    }
    event.tags = std::move(joined);
  }
  event.when_us = now_us;
  if (const boost::json::value* when = obj->if_contains("when")) {
    if (!when->is_number())
      return common::Status::Error("\"when\" must be a number (epoch seconds)");
    const double seconds = when->to_number<double>(ec);
    if (ec || !(seconds >= kMinWhen && seconds <= kMaxWhen)) {
      return common::Status::Error("\"when\" is out of range");
    }
    event.when_us = when->is_int64()    ? when->get_int64() * 1'000'000
                    : when->is_uint64() ? static_cast<int64_t>(when->get_uint64()) * 1'000'000
                                        : std::llround(seconds * 1e6);
  }
  return event;
}

EventsApi::EventsApi(const store::SeriesStore& store, common::StatsRegistry& stats,
                     const common::Clock& clock, EventLimits limits)
    : store_(store),
      clock_(clock),
      limits_(limits),
      events_(std::make_unique<store::EventStore>(store, limits.max_stored)),
      stored_(stats.GetCounter("events.stored", "events stored by POST /events/")),
      rejected_(stats.GetCounter(
          "events.rejected",
          "events refused: not JSON, wrong fields, or over http.max_event_size/max_event_tags")),
      dropped_(stats.GetCounter("events.dropped_oldest",
                                "oldest events deleted to stay within http.max_events_stored")) {}

ApiResponse EventsApi::Handle(std::string_view method, std::string_view path,
                              const FormParams& params, std::string_view body) const {
  if (path == "/events") {
    if (method == "POST") return Post(body);
    return GetData(params);
  }
  if (path == "/events/get_data") return GetData(params);
  return Error(404, "no such events route (graphite-web's are /events/ and /events/get_data)");
}

ApiResponse EventsApi::Post(std::string_view body) const {
  if (body.size() > limits_.max_body_bytes) {
    rejected_.Add();
    return Error(413, fmt::format("event body of {} bytes is over {} ({} bytes)", body.size(),
                                  kMaxEventSizeKey, limits_.max_body_bytes));
  }
  common::Result<store::Event> event = ParseEventBody(body, clock_.NowMicros());
  if (event.ok()) {
    const size_t tags = std::max(store::EventTagWords(event->tags).size(),
                                 store::ParseEventTags(event->tags).size());
    if (tags > limits_.max_tags) {
      event = common::Status::Error(
          fmt::format("{} tags is over {} ({})", tags, kMaxEventTagsKey, limits_.max_tags));
    }
  }
  if (!event.ok()) {
    rejected_.Add();
    return Error(400, event.status().message());
  }
  uint64_t dropped = 0;
  common::Result<uint64_t> id = events_->Add(*event, &dropped);
  if (!id.ok()) return Error(503, "event not stored: " + id.status().message());
  stored_.Add();
  dropped_.Add(dropped);
  return {200, "text/html; charset=utf-8", ""};
}

ApiResponse EventsApi::GetData(const FormParams& params) const {
  const int64_t now_us = clock_.NowMicros();
  const int64_t now = Seconds(now_us);
  int64_t bounds[2] = {0, now_us};  // graphite-web: from the epoch until now
  const std::string_view names[2] = {"from", "until"};
  for (int i = 0; i < 2; ++i) {
    if (std::optional<std::string_view> text = params.Get(names[i])) {
      common::Result<int64_t> t = ParseAtTime(*text, now);
      if (!t.ok()) {
        return Error(400, fmt::format("Invalid value '{}' for param {}: {}", *text, names[i],
                                      t.status().message()));
      }
      // graphite-web's parseATTime keeps now's microseconds in a time relative
      // to now ("now", "-1h"): an event posted this second is before "now".
      common::Result<int64_t> later = ParseAtTime(*text, now + 1);
      const bool relative = later.ok() && *later == *t + 1;
      bounds[i] = *t * 1'000'000 + (relative ? now_us - now * 1'000'000 : 0);
    }
  }
  std::vector<std::string> wanted;
  const std::optional<std::string_view> tags = params.Get("tags");
  if (tags) wanted = SplitSpaces(*tags);
  const bool any = params.Get("set") == std::optional<std::string_view>("union");
  std::string out = "[";
  size_t count = 0;
  common::Status s = store::EventStore::Scan(store_, bounds[0], bounds[1], [&](store::Event&& e) {
    if (tags && !store::EventTagsMatch(store::ParseEventTags(e.tags), wanted, any)) {
      return true;
    }
    if (++count > limits_.max_returned) return false;
    if (count > 1) out += ", ";
    AppendEventJson(out, e);
    return true;
  });
  if (!s.ok()) return Error(503, "events not read: " + s.message());
  if (count > limits_.max_returned) {
    return Error(400, fmt::format("more than {} events match ({}); narrow from/until or tags",
                                  limits_.max_returned, kMaxEventsReturnedKey));
  }
  out += "]";
  if (std::optional<std::string_view> jsonp = params.Get("jsonp")) {
    return {200, "text/javascript", fmt::format("{}({})", *jsonp, out)};
  }
  return {200, "application/json", std::move(out)};
}

}  // namespace hourglass::query
