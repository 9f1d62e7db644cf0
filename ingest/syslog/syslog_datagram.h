// SyslogDatagramReceiver: syslog over UDP (RFC 5426; one thread per core on
// SO_REUSEPORT sockets, recvmmsg batches) and over a Unix datagram socket
// (the /dev/log kind). One datagram is one message; each batch read is parsed
// and handed to the AuditWriter as one batch. Datagrams cannot push back:
// while the writer is behind (disk full) more than max_pending_bytes, new
// batches are dropped and counted, so the receive threads never block.
// Start/Stop from one control thread; the receiver owns its threads.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <string>

#include "archive/audit/audit_writer.h"
#include "common/clock.h"
#include "common/datagram_receiver.h"
#include "common/stats.h"
#include "common/status.h"

namespace hourglass::ingest {

struct SyslogDatagramOptions {
  std::string udp_listen = "0.0.0.0:5140";  // "" = no UDP
  size_t udp_threads = 0;                   // 0: one per core
  size_t socket_buffer_bytes = 4 << 20;     // receive buffer asked for, per socket
  std::string unix_socket;                  // a path; "" = no Unix socket
  mode_t unix_socket_mode = 0666;           // as /dev/log: every local user may log
  size_t max_message_size = 64 * 1024;      // longer datagrams are truncated (counted)
  size_t max_pending_bytes = 64 << 20;      // not yet written; beyond it batches are dropped
};

class SyslogDatagramReceiver {
 public:
  // Binds the UDP sockets (port 0: a free port) and the Unix socket (a stale
  // socket file at the path is replaced; anything else there is an error) and
  // starts the threads. Fails with one clear line naming the address or path.
  // `writer`, `stats` and `clock` must outlive the receiver.
  static common::Result<std::unique_ptr<SyslogDatagramReceiver>> Start(
      const SyslogDatagramOptions& options, archive::AuditWriter& writer,
      common::StatsRegistry& stats, const common::Clock& clock);
  ~SyslogDatagramReceiver();  // Stop()
  SyslogDatagramReceiver(const SyslogDatagramReceiver&) = delete;
  SyslogDatagramReceiver& operator=(const SyslogDatagramReceiver&) = delete;

  // "127.0.0.1:40123": the UDP address actually bound; empty when UDP is off.
  const std::string& udp_address() const { return udp_address_; }
  const std::string& unix_socket() const { return unix_socket_; }

  // Stops reading (what the sockets hold is read and handed over first),
  // removes the socket file and waits up to 10 s for the writer to take what
  // was handed over. Call before AuditWriter::Close. Idempotent.
  void Stop();

 private:
  struct Shared;
  SyslogDatagramReceiver() = default;

  std::shared_ptr<Shared> shared_;  // also held by the writer's callbacks
  std::unique_ptr<common::DatagramReceiver> udp_;
  std::unique_ptr<common::DatagramReceiver> unix_;
  std::string udp_address_;
  std::string unix_socket_;
  ino_t unix_inode_ = 0;  // the socket file we bound: only that one is removed
};

}  // namespace hourglass::ingest
