// RelpServer: syslog over RELP (rsyslog's omrelp) on librelp. librelp runs
// one event-loop thread and acknowledges each message ("rsp 200 OK") as soon
// as its receive callback returns, so the callback hands the message to the
// AuditWriter and returns only once that batch is written (with
// audit.fsync = "always": and fsynced). A message is therefore acknowledged
// only when durable; one slow write holds every RELP session. Start/Stop from
// one control thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "archive/audit/audit_writer.h"
#include "common/clock.h"
#include "common/stats.h"
#include "common/status.h"

namespace hourglass::ingest {

struct RelpServerOptions {
  std::string listen;                   // "127.0.0.1:2514", "[::]:2514"; port 0: a free port
  size_t max_message_size = 64 * 1024;  // longer messages are truncated (librelp)
};

class RelpServer {
 public:
  // Binds and starts librelp's thread. Fails with one clear line naming the
  // address. `writer`, `stats` and `clock` must outlive the server.
  static common::Result<std::unique_ptr<RelpServer>> Start(const RelpServerOptions& options,
                                                           archive::AuditWriter& writer,
                                                           common::StatsRegistry& stats,
                                                           const common::Clock& clock);
  ~RelpServer();  // Stop()
  RelpServer(const RelpServer&) = delete;
  RelpServer& operator=(const RelpServer&) = delete;

  // "127.0.0.1:2514": the address bound.
  const std::string& bound_address() const;

  // Stops librelp's loop. A message being written is still acknowledged if
  // its write completes within 10 s; after that the thread is abandoned and
  // the message never acknowledged (the sender resends it). Call before
  // AuditWriter::Close. Idempotent.
  void Stop();

  struct Impl;

 private:
  explicit RelpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hourglass::ingest
