#include "ingest/carbon/carbon_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <chrono>
#include <mutex>
#include <unordered_set>
#include <vector>

#include "common/rate_limited_log.h"
#include "common/seen_set.h"
#include "common/tcp_server.h"
#include "ingest/carbon/carbon_parser.h"
#include "ingest/carbon/carbon_write_queue.h"

namespace hourglass::ingest {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

struct Counters {
  explicit Counters(common::StatsRegistry& s)
      : lines(s.GetCounter("carbon.lines_received", "carbon plaintext lines received")),
        bad(s.GetCounter("carbon.bad_lines",
                         "carbon lines ignored: not `name value timestamp`, a bad number or "
                         "name, or longer than carbon.max_line_length")),
        too_long(s.GetCounter("carbon.lines_too_long",
                              "carbon lines dropped for exceeding carbon.max_line_length")),
        written(s.GetCounter("carbon.points_written", "carbon points handed to the store")),
        write_errors(s.GetCounter("carbon.points_failed",
                                  "carbon points lost because the store write failed")) {}
  common::Counter& lines;
  common::Counter& bad;
  common::Counter& too_long;
  common::Counter& written;
  common::Counter& write_errors;
};

}  // namespace

namespace detail {

// What the sessions share besides the TCP server. `names_mu` guards
// known_names and batch_seen (the io thread looks names up, the writer
// thread adds those written); the rest is set before the threads start.
class CarbonServerCore {
 public:
  CarbonServerCore(const CarbonServerOptions& options, CarbonSink sink,
                   common::StatsRegistry& stats, const common::Clock& clock)
      : options(options),
        sink(std::move(sink)),
        clock(clock),
        counters(stats),
        known_names(options.max_known_names),
        queue(std::max<size_t>(options.write_queue_batches, 1),
              [this](CarbonBatch& batch) { Deliver(batch); }),
        server(common::TcpOptionsOf("carbon", "carbon plaintext", options), stats, clock) {}

  // Lists the batch's names not passed on before (io thread: it has the
  // time to spare, the writer thread does not).
  void FindNewNames(CarbonBatch& batch);
  // Hands one batch to the sink with those names but any a batch written
  // since has passed on (writer thread).
  void Deliver(CarbonBatch& batch);

  const CarbonServerOptions options;
  const CarbonSink sink;
  const common::Clock& clock;
  Counters counters;
  common::RateLimitedLog bad_log, too_long_log, write_log;

  std::mutex names_mu;
  common::SeenSet known_names;              // hashes of names already passed
  std::unordered_set<uint64_t> batch_seen;  // new names of the batch at hand

  // Closed after the server stops, before the members above go.
  CarbonWriteQueue queue;
  // Declared last: stopped and destroyed first, while the members above exist.
  common::TcpServer server;
};

}  // namespace detail

namespace {

// One connection: each read is split into lines, parsed and delivered before
// the next read (common::TcpSession runs the loop).
class Session final : public common::TcpSession<Session, tcp::socket> {
 public:
  Session(detail::CarbonServerCore& core, tcp::socket socket, uint64_t id)
      : TcpSession(core.server, std::move(socket), id),
        core_(core),
        splitter_(core.options.max_line_length) {}

  void OnData(std::string_view bytes);
  void OnReadEnd(error_code ec, bool last);
  void OnDrained();

 private:
  void ParseLine(std::string_view line, int64_t now_s);
  void Flush();

  detail::CarbonServerCore& core_;
  CarbonLineSplitter splitter_;
  CarbonLine line_;
  CarbonBatch batch_;  // this read's points
  uint64_t lines_ = 0, bad_ = 0;
};

void Session::OnDrained() {
  const int64_t now_s = core_.clock.NowSeconds();
  splitter_.Finish([&](std::string_view line) { ParseLine(line, now_s); });
  Flush();
  Close();
}

void Session::OnData(std::string_view bytes) {
  const int64_t now_s = core_.clock.NowSeconds();
  const size_t too_long =
      splitter_.Feed(bytes, [&](std::string_view line) { ParseLine(line, now_s); });
  if (too_long > 0) {
    lines_ += too_long;
    bad_ += too_long;
    core_.counters.too_long.Add(too_long);
    if (const uint64_t total = core_.too_long_log.Take(now_s, too_long)) {
      spdlog::warn("carbon: line from {} longer than {} bytes, dropped; {} since the last report",
                   peer_, core_.options.max_line_length, total);
    }
  }
}

void Session::OnReadEnd(error_code ec, bool last) {
  if (last && ec == asio::error::eof) {  // a clean end: the unterminated last line counts
    const int64_t now_s = core_.clock.NowSeconds();
    splitter_.Finish([&](std::string_view line) { ParseLine(line, now_s); });
  }
  Flush();
  if (last) return Close();
  ReadNext();
}

void Session::ParseLine(std::string_view line, int64_t now_s) {
  const CarbonLineStatus status = ParseCarbonLine(line, now_s, line_);
  if (status == CarbonLineStatus::kBlank) return;
  ++lines_;
  if (status == CarbonLineStatus::kPoint) {
    store::Point& point = batch_.Append();
    point.name.swap(line_.name);  // line_ keeps the old buffer for the next line
    point.timestamp = line_.timestamp;
    point.value = line_.value;
  } else if (status != CarbonLineStatus::kNanValue) {
    ++bad_;
    if (const uint64_t total = core_.bad_log.Take(now_s)) {
      constexpr size_t kShown = 200;  // as carbon: the start of the line, escaped
      std::string shown(line.substr(0, kShown));
      for (char& c : shown) c = (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
      spdlog::warn("carbon: invalid line from {}, ignoring [{}{}]; {} since the last report", peer_,
                   shown, line.size() > kShown ? "..." : "", total);
    }
  }
}

void Session::Flush() {
  core_.counters.lines.Add(lines_);
  core_.counters.bad.Add(bad_);
  lines_ = bad_ = 0;
  if (batch_.empty()) return;
  batch_.peer.assign(peer_);
  core_.FindNewNames(batch_);
  core_.queue.Push(batch_);  // waits while the queue is full
}

}  // namespace

namespace detail {

void CarbonServerCore::FindNewNames(CarbonBatch& batch) {
  std::lock_guard lock(names_mu);
  batch_seen.clear();
  for (size_t i = 0; i < batch.size; ++i) {
    const std::string& name = batch.points[i].name;
    const uint64_t h = std::hash<std::string_view>{}(name);
    if (!known_names.Contains(h) && batch_seen.insert(h).second) {
      batch.new_names.push_back(name);
      batch.new_hashes.push_back(h);
    }
  }
}

void CarbonServerCore::Deliver(CarbonBatch& batch) {
  const std::span<const store::Point> points(batch.points.data(), batch.size);
  const std::string& peer = batch.peer;
  if (!batch.new_hashes.empty()) {  // a name new in two queued batches: passed once
    std::lock_guard lock(names_mu);
    size_t kept = 0;
    for (size_t i = 0; i < batch.new_hashes.size(); ++i) {
      if (known_names.Contains(batch.new_hashes[i])) continue;
      batch.new_hashes[kept] = batch.new_hashes[i];
      batch.new_names[kept++].swap(batch.new_names[i]);
    }
    batch.new_hashes.resize(kept);
    batch.new_names.resize(kept);
  }
  const common::Status status = sink(points, batch.new_names);
  if (!status.ok()) {
    counters.write_errors.Add(points.size());
    if (const uint64_t n = write_log.Take(clock.NowSeconds())) {
      spdlog::error(
          "carbon: writing {} points from {} failed: {}; {} failed writes since the last "
          "report",
          points.size(), peer, status.message(), n);
    }
    return;
  }
  counters.written.Add(points.size());
  if (batch.new_hashes.empty()) return;
  std::lock_guard lock(names_mu);
  for (const uint64_t h : batch.new_hashes) known_names.Insert(h);
}

}  // namespace detail

CarbonServer::CarbonServer(std::unique_ptr<detail::CarbonServerCore> core)
    : core_(std::move(core)) {}

CarbonServer::~CarbonServer() { Stop(); }

common::Result<std::unique_ptr<CarbonServer>> CarbonServer::Start(
    const CarbonServerOptions& options, CarbonSink sink, common::StatsRegistry& stats,
    const common::Clock& clock) {
  auto core = std::make_unique<detail::CarbonServerCore>(options, std::move(sink), stats, clock);
  auto* c = core.get();
  if (auto status = c->server.Listen(options.listen, "carbon",
                                     [c](tcp::socket socket, uint64_t id) {
                                       return std::make_shared<Session>(*c, std::move(socket), id);
                                     });
      !status.ok()) {
    return status;
  }
  c->server.Run(1);
  return std::unique_ptr<CarbonServer>(new CarbonServer(std::move(core)));
}

const std::string& CarbonServer::bound_address() const { return core_->server.bound_address(); }

void CarbonServer::Stop() {
  if (!core_) return;
  core_->server.Stop({});  // the sessions' last batches are queued
  core_->queue.Close();    // and written
}

}  // namespace hourglass::ingest
