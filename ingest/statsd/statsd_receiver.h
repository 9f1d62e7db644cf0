// StatsdReceiver: the statsd UDP front end. Starts one thread per shard of
// the Aggregator, each with its own SO_REUSEPORT socket on the same address,
// reading datagrams in recvmmsg batches and parsing them straight into its
// shard. Start/Stop from one (control) thread; the receiver owns its threads.
#pragma once

#include <memory>
#include <string>

#include "aggregator/aggregator.h"
#include "common/datagram_receiver.h"
#include "common/stats.h"
#include "common/status.h"

namespace hourglass::ingest {

struct StatsdReceiverOptions {
  std::string listen = "0.0.0.0:8125";
  size_t socket_buffer_bytes = 16 << 20;
};

class StatsdReceiver {
 public:
  // Binds one socket per aggregator shard (port 0: a free port, shared by all
  // of them) and starts the receive threads. Fails with one clear line.
  static common::Result<std::unique_ptr<StatsdReceiver>> Start(const StatsdReceiverOptions& options,
                                                               aggregator::Aggregator& aggregator,
                                                               common::StatsRegistry& stats);
  ~StatsdReceiver();
  StatsdReceiver(const StatsdReceiver&) = delete;
  StatsdReceiver& operator=(const StatsdReceiver&) = delete;

  // "127.0.0.1:40123": the address actually bound.
  const std::string& bound_address() const { return bound_address_; }
  // Bytes of receive buffer the kernel granted per socket.
  size_t socket_buffer_bytes() const { return socket_buffer_bytes_; }

  // Stops every thread; once it returns, nothing more reaches the aggregator.
  // Datagrams already read are parsed first. Idempotent.
  void Stop();

 private:
  StatsdReceiver() = default;

  std::unique_ptr<common::DatagramReceiver> receiver_;
  std::string bound_address_;
  size_t socket_buffer_bytes_ = 0;
};

}  // namespace hourglass::ingest
