// EventStore: graphite-web's events (annotations: when, what, data, tags)
// kept in the "events" column family of the metric store's RocksDB, keyed by
// (when in microseconds, id) so a time range is one iterator scan. Ids count
// up from 1 as graphite-web's do. Add serializes on a mutex; Scan is
// stateless. Any thread; the SeriesStore must outlive it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hourglass::store {

class SeriesStore;

struct Event {
  uint64_t id = 0;
  int64_t when_us = 0;  // microseconds since the epoch (Django keeps microseconds)
  std::string what;
  std::string data;
  // As graphite-web keeps them: the posted string, or the posted list joined
  // with spaces. Listed as EventTagWords, matched as ParseEventTags.
  std::string tags;
};

// What get_data lists as an event's tags: Python's str.split() of `tags`.
std::vector<std::string> EventTagWords(std::string_view tags);

// The tags an event matches (django-tagging's parse_tag_input for the usual
// inputs): split on commas when there is one, else on spaces; words stripped,
// empty ones dropped, sorted, unique. (Double quotes are kept as characters.)
std::vector<std::string> ParseEventTags(std::string_view tags);

// Whether `tags` (sorted, unique) holds every one of `wanted` (any one when
// `any`: graphite-web's set=union). Empty words in `wanted` are ignored; when
// none is left nothing matches (graphite-web answers `tags=` with []).
bool EventTagsMatch(std::span<const std::string> tags, std::span<const std::string> wanted,
                    bool any);

// The RocksDB value of an event (what, data, tags; the key holds when and id)
// and back; Decode fails on a value it did not write.
std::string EncodeEventValue(const Event& event);
bool DecodeEventValue(std::string_view value, Event* event);

class EventStore {
 public:
  // At most `max_stored` events are kept: adding one past it deletes the
  // oldest (smallest when) in the same write.
  explicit EventStore(const SeriesStore& store, uint64_t max_stored = UINT64_MAX)
      : store_(store), max_stored_(std::max<uint64_t>(max_stored, 1)) {}

  // Stores `event` under the next id (event.id is ignored) and returns the
  // id; `*dropped` (if given) gets how many of the oldest it deleted.
  common::Result<uint64_t> Add(const Event& event, uint64_t* dropped = nullptr);

  // Calls visit(event) for each event with from_us <= when <= until_us, in
  // (when, id) order, until it returns false. Values it cannot decode are
  // skipped.
  static common::Status Scan(const SeriesStore& store, int64_t from_us, int64_t until_us,
                             const std::function<bool(Event&&)>& visit);

 private:
  const SeriesStore& store_;
  const uint64_t max_stored_;
  std::mutex mu_;         // guards next_id_, count_ and orders Add's writes
  uint64_t next_id_ = 0;  // 0: not yet read from the family
  uint64_t count_ = 0;    // events stored (read with next_id_)
};

}  // namespace hourglass::store
