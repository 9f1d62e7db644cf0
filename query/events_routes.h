// The /events routes of graphite-web 1.1 (events/views.py): POST /events/
// stores an event from its JSON body (what, tags as a list or a
// space-separated string, optional when, data); GET /events/get_data
// (from, until, tags: space-separated, all must match; set=union: any;
// jsonp) answers graphite-web's JSON list, oldest first. GET /events/ answers
// the same list (graphite-web draws it as HTML). Const after construction;
// any thread (EventStore serializes writes).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/stats.h"
#include "common/status.h"
#include "store/event_store.h"

namespace hourglass::store {
class SeriesStore;
}

namespace hourglass::query {

struct ApiResponse;
class FormParams;

inline constexpr std::string_view kMaxEventSizeKey = "http.max_event_size";
inline constexpr std::string_view kMaxEventsReturnedKey = "http.max_events_returned";
inline constexpr std::string_view kMaxEventTagsKey = "http.max_event_tags";

struct EventLimits {
  size_t max_body_bytes = 64 * 1024;  // http.max_event_size: one POSTed event
  size_t max_returned = 10'000;       // http.max_events_returned: per get_data answer
  size_t max_tags = 64;               // http.max_event_tags: per event
  uint64_t max_stored = 100'000;      // http.max_events_stored: the oldest go past it
};

// The event a POST /events/ body describes (`when` absent: now_us), or the
// 400 message. Public for the fuzz target (fuzz/events_body_fuzz.cc).
common::Result<store::Event> ParseEventBody(std::string_view body, int64_t now_us);
// Appends graphite-web's JSON object of one event to `out`.
void AppendEventJson(std::string& out, const store::Event& e);

class EventsApi {
 public:
  EventsApi(const store::SeriesStore& store, common::StatsRegistry& stats,
            const common::Clock& clock, EventLimits limits);

  // Answers a path that is "/events" or starts with "/events/" (trailing
  // slashes removed); `body` is the raw request body (POST).
  ApiResponse Handle(std::string_view method, std::string_view path, const FormParams& params,
                     std::string_view body) const;

 private:
  ApiResponse Post(std::string_view body) const;
  ApiResponse GetData(const FormParams& params) const;

  const store::SeriesStore& store_;
  const common::Clock& clock_;
  EventLimits limits_;
  std::unique_ptr<store::EventStore> events_;  // Add is not const
  common::Counter& stored_;
  common::Counter& rejected_;
  common::Counter& dropped_;
};

}  // namespace hourglass::query
