// StatsdParser: etsy statsd's line protocol as a pure function over a
// datagram: `key:value|type[|@rate][|#tag:val,...]`, several lines per
// datagram, several values per line. No sockets, no allocation per line
// beyond the caller's scratch buffer; safe to call from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "aggregator/sample.h"

namespace hourglass::ingest {

struct ParseCounts {
  uint32_t metrics = 0;    // samples handed to the sink
  uint32_t bad_lines = 0;  // lines (or values within a line) rejected
};

// Parses one datagram and calls `sink` for every valid metric. A bad line is
// counted and never stops the rest of the datagram. `scratch` is reused for
// sanitized keys across calls.
template <typename Sink>
ParseCounts ParseDatagram(std::string_view datagram, std::string& scratch, Sink&& sink);

}  // namespace hourglass::ingest
