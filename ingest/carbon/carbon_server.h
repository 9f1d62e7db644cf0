// CarbonServer: Graphite's plaintext protocol over TCP (carbon's line
// receiver, port 2003). An Asio acceptor and one strand per connection on
// one io thread; each read is split into lines and parsed into one batch,
// which a bounded queue hands to a writer thread that calls the sink, so
// parsing overlaps writing (a full queue stops the reads: back-pressure).
// The sink is called from the writer thread only; Start/Stop from one
// control thread; the server owns both threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "common/clock.h"
#include "common/stats.h"
#include "common/status.h"
#include "store/series_point.h"

namespace hourglass::ingest {

namespace detail {
class CarbonServerCore;
}

struct CarbonServerOptions {
  std::string listen = "0.0.0.0:2003";  // "[::]:2003" for IPv6 (and IPv4)
  size_t max_connections = 1024;        // more are accepted and closed at once
  size_t max_line_length = 16 * 1024;   // longer lines are dropped (counted)
  int64_t idle_timeout_s = 3600;        // a connection silent this long is closed
  size_t read_buffer_bytes = 64 * 1024;
  // Names this process has already passed as new; past it the set starts
  // over (names are then registered once more, which is harmless).
  size_t max_known_names = 1'000'000;
  // Parsed batches (one a read) waiting for the writer thread; when full,
  // the io thread waits (no connection is read) until one is taken.
  size_t write_queue_batches = 4;
};

// Writes one batch of points; `new_names` lists the batch's names this
// server has not passed before (register them before writing the points).
// The same shape as the flush loop's PointSink.
using CarbonSink = std::function<common::Status(std::span<const store::Point> points,
                                                std::span<const std::string> new_names)>;

class CarbonServer {
 public:
  // Binds (port 0: a free port) and starts accepting. Fails with one clear
  // line. `stats` and `clock` must outlive the server.
  static common::Result<std::unique_ptr<CarbonServer>> Start(const CarbonServerOptions& options,
                                                             CarbonSink sink,
                                                             common::StatsRegistry& stats,
                                                             const common::Clock& clock);
  ~CarbonServer();  // Stop()
  CarbonServer(const CarbonServer&) = delete;
  CarbonServer& operator=(const CarbonServer&) = delete;

  // "127.0.0.1:40123" / "[::]:2003": the address actually bound.
  const std::string& bound_address() const;

  // Stops accepting, hands what every connection had already received to
  // the sink (a last unterminated line included), closes them, joins the io
  // thread, then writes every queued batch and joins the writer thread.
  // Once it returns the sink is never called again. Idempotent.
  void Stop();

 private:
  explicit CarbonServer(std::unique_ptr<detail::CarbonServerCore> core);
  std::unique_ptr<detail::CarbonServerCore> core_;
};

}  // namespace hourglass::ingest
