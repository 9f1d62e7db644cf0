// StatsdParser: etsy statsd's line protocol as a pure function over a
// datagram: `key:value|type[|@rate][|#tag:val,...]`, several lines per
// datagram, several values per line. No sockets, no allocation per line
// beyond the caller's scratch buffer; safe to call from any thread (each
// thread with its own scratch string).
//
// Accepted exactly as etsy's helpers.is_valid_packet accepts (a negative
// `ms` value is a bad line), with these documented differences: unknown
// types (etsy counts them as counters), an empty key, an empty or
// whitespace-only number, NaN/inf, a zero sample rate, and a counter or timer
// whose value * (1 / rate) or 1 / rate is not finite are bad lines; keys
// longer than kMaxKeyLength are bad lines; bytes >= 0x80 are removed from
// keys (etsy maps Unicode spaces to '_').
// DogStatsD tags (`|#k:v,k2:v2`) are handled as etsy 0.9 does: they belong
// to every value of the line, and each tag is sanitized like a key after
// ':' -> '=' and ';' -> '_' ('=' kept), then split at its first '='
// (`#url:http://x` -> `url=http=--x`). They are appended to the key in
// Graphite's canonical form `key;k=v;k2=v2` (sorted, first of duplicate names
// kept, at most kMaxTags). A tag without a value (`#flag`, `#k:`) is dropped,
// as Prometheus' statsd_exporter does: Graphite tag values cannot be empty.
// A tag field runs to the next '|' or the end of the line, so it ends the
// line's list of values. `|c:ID` (container id) and `|T<epoch>` fields are
// accepted and ignored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "aggregator/sample.h"

namespace hourglass::ingest {

inline constexpr size_t kMaxKeyLength = 1024;  // canonical key, tags included
inline constexpr size_t kMaxTags = 32;         // per value; extra tags ignored

struct ParseCounts {
  // Non-empty lines seen: etsy's statsd.metrics_received.
  uint32_t metrics = 0;
  // Lines (or values within a line) rejected: etsy's statsd.bad_lines_seen.
  uint32_t bad_lines = 0;
  // Samples handed to the sink (one per valid value).
  uint32_t samples = 0;
};

// A non-owning reference to a sample callback (keeps the parser out of line).
class SampleSinkRef {
 public:
  using Fn = void (*)(void* target, const aggregator::Sample& sample);
  SampleSinkRef(void* target, Fn fn) : target_(target), fn_(fn) {}
  void operator()(const aggregator::Sample& sample) const { fn_(target_, sample); }

 private:
  void* target_;
  Fn fn_;
};

// Out-of-line worker behind ParseDatagram.
ParseCounts ParseDatagramInto(std::string_view datagram, std::string& scratch, SampleSinkRef sink);

// Parses one datagram and calls `sink(const aggregator::Sample&)` for every
// valid metric. A bad line is counted and never stops the rest of the
// datagram. `scratch` is reused for sanitized keys across calls. The views in
// a Sample are valid only during the sink call.
template <typename Sink>
ParseCounts ParseDatagram(std::string_view datagram, std::string& scratch, Sink&& sink) {
  using SinkType = std::remove_reference_t<Sink>;
  void* target = const_cast<void*>(static_cast<const void*>(std::addressof(sink)));
  auto call = [](void* t, const aggregator::Sample& sample) {
    (*static_cast<SinkType*>(t))(sample);
  };
  return ParseDatagramInto(datagram, scratch, SampleSinkRef(target, call));
}

}  // namespace hourglass::ingest
