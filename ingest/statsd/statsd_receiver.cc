#include "ingest/statsd/statsd_receiver.h"

#include <string_view>

#include "ingest/statsd/statsd_parser.h"

namespace hourglass::ingest {
namespace {

constexpr size_t kMaxDatagram = 64 * 1024;  // the largest UDP payload, and a bit

}  // namespace

StatsdReceiver::~StatsdReceiver() { Stop(); }

common::Result<std::unique_ptr<StatsdReceiver>> StatsdReceiver::Start(
    const StatsdReceiverOptions& options, aggregator::Aggregator& aggregator,
    common::StatsRegistry& stats) {
  const auto fail = [&](const common::Status& status) {
    return common::Status::Error("cannot listen for statsd on udp " + options.listen + ": " +
                                 status.message());
  };
  auto group =
      common::BindUdpGroup(options.listen, aggregator.shard_count(), options.socket_buffer_bytes);
  if (!group) return fail(group.status());
  std::unique_ptr<StatsdReceiver> receiver(new StatsdReceiver());
  receiver->bound_address_ = group->address;
  receiver->socket_buffer_bytes_ = group->buffer_bytes;
  // Socket i feeds shard i, so each shard has one writer thread.
  auto handler = [&aggregator](size_t index, std::span<const common::Datagram> datagrams) {
    thread_local std::string scratch;
    auto batch = aggregator.shard(index).BeginBatch();
    for (const common::Datagram& datagram : datagrams) {
      const ParseCounts counts = ParseDatagram(
          datagram.data, scratch, [&](const aggregator::Sample& sample) { batch.Add(sample); });
      batch.CountPacket(counts.metrics, counts.bad_lines);
    }
  };
  auto started = common::DatagramReceiver::Start(
      std::move(group->sockets), kMaxDatagram, std::move(handler),
      stats.GetCounter("statsd.receive_errors", "recvmmsg calls that failed (other than no data)"));
  if (!started) return fail(started.status());
  receiver->receiver_ = std::move(*started);
  return receiver;
}

void StatsdReceiver::Stop() {
  if (receiver_) receiver_->Stop();
}

}  // namespace hourglass::ingest
