// SyslogServer: the syslog TCP front end. An Asio acceptor (plain TCP, and
// optionally a second one for TLS, RFC 5425) and one strand per connection on
// a small pool of io threads; each read is framed, parsed and handed to the
// AuditWriter as one batch, and the connection reads again only once that
// batch is written (ordering and back-pressure). Plain and TLS connections
// share one session implementation, one connection limit and one idle timeout
// (the TLS handshake included). Start/Stop from one control thread; the
// server owns its threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "archive/audit/audit_writer.h"
#include "common/clock.h"
#include "common/stats.h"
#include "common/status.h"

namespace hourglass::ingest {

namespace detail {
class SyslogServerCore;
}

struct SyslogServerOptions {
  std::string listen = "0.0.0.0:5140";  // "[::]:5140" for IPv6 (and IPv4)
  size_t max_connections = 1024;        // more are accepted and closed at once
  size_t max_message_size = 64 * 1024;  // longer messages are truncated
  size_t max_frame_size = 16 << 20;     // largest octet count believed
  int64_t idle_timeout_s = 3600;        // a connection silent this long is closed
  size_t read_buffer_bytes = 64 * 1024;
  size_t threads = 1;  // io threads

  // TLS (RFC 5425), off when tls_listen is empty. PEM files; the key must be
  // unencrypted. With tls_ca, clients must present a certificate it signed.
  // Only TLS 1.2 and later are accepted.
  std::string tls_listen;  // e.g. "0.0.0.0:6514"
  std::string tls_cert;    // certificate chain, leaf first
  std::string tls_key;
  std::string tls_ca;
};

class SyslogServer {
 public:
  // Loads the TLS files (if any), binds (port 0: a free port) and starts
  // accepting. Fails with one clear line naming the address or the file
  // (never its contents). `writer`, `stats` and `clock` must outlive the server.
  static common::Result<std::unique_ptr<SyslogServer>> Start(const SyslogServerOptions& options,
                                                             archive::AuditWriter& writer,
                                                             common::StatsRegistry& stats,
                                                             const common::Clock& clock);
  ~SyslogServer();  // Stop()
  SyslogServer(const SyslogServer&) = delete;
  SyslogServer& operator=(const SyslogServer&) = delete;

  // "127.0.0.1:40123" / "[::]:5140": the address actually bound.
  const std::string& bound_address() const;
  // The TLS listener's bound address; empty when TLS is off.
  const std::string& tls_bound_address() const;

  // Stops accepting, closes every connection after handing what it had read
  // (a partial last frame included) to the writer, and joins the io threads.
  // Waits up to 10 s for the writer; after that, unwritten batches are given
  // up (FailPending). Call before AuditWriter::Close. Idempotent.
  void Stop();

 private:
  explicit SyslogServer(std::unique_ptr<detail::SyslogServerCore> core);
  std::unique_ptr<detail::SyslogServerCore> core_;
};

}  // namespace hourglass::ingest
