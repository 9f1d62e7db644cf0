// HttpServer: the Graphite-compatible HTTP API on Boost.Beast, modelled on
// Beast's advanced server: one acceptor (common::TcpAcceptor), `threads` io
// threads, a strand per connection, keep-alive, header/body limits, a header
// deadline, an idle timeout and a cap on open connections (excess ones are
// closed at once and counted). Requests
// are answered by ApiRouter. Start() binds or returns a clear Status; Stop()
// (also run by the destructor) closes everything and joins the threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/stats.h"
#include "common/status.h"
#include "query/archive_route.h"
#include "query/events_routes.h"
#include "query/render_budget.h"

namespace hourglass::store {
class SeriesStore;
}

namespace hourglass::query {

struct HttpOptions {
  std::string listen = "127.0.0.1:8080";
  size_t threads = 2;
  size_t max_connections = 512;
  size_t max_body_bytes = 1 << 20;
  int64_t idle_timeout_s = 60;            // a kept-alive connection waits this long for a request
  int64_t header_timeout_s = 10;          // a request's whole header must arrive within this
  std::string version = "1.1.10";         // what /version reports (graphite-web's API level)
  std::vector<std::string> cors_origins;  // origins answered with CORS headers; "*" = any
  std::string token;                      // bearer token required on all but /health
  std::shared_ptr<const ArchiveBrowser> archive;  // the /archive routes; null: none
  RenderLimits render;  // points per /render request; longer answers are chunked
  EventLimits events;   // /events bounds
};

class HttpServer {
 public:
  static common::Result<std::unique_ptr<HttpServer>> Start(const HttpOptions& options,
                                                           store::SeriesStore& store,
                                                           common::StatsRegistry& stats,
                                                           const common::Clock& clock);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // "127.0.0.1:40123": the bound address, with the real port when 0 was asked.
  std::string bound_address() const;

  // Stops accepting, closes connections, joins the io threads. Idempotent.
  void Stop();

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hourglass::query
