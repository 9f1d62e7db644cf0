#include "server/serve.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "aggregator/aggregator.h"
#include "aggregator/flush_loop.h"
#include "archive/audit/audit_writer.h"
#include "archive/object_store/store_expiry.h"
#include "archive/shipping/sealer.h"
#include "archive/shipping/uploader.h"
#include "common/clock.h"
#include "common/stats.h"
#include "forward/forwarder.h"
#include "ingest/carbon/carbon_server.h"
#include "ingest/statsd/statsd_receiver.h"
#include "ingest/syslog/syslog_datagram.h"
#include "ingest/syslog/syslog_relp.h"
#include "ingest/syslog/syslog_server.h"
#include "query/http_server.h"
#include "server/archive_http.h"
#include "server/settings.h"
#include "store/series_store.h"

namespace hourglass::server {
namespace {

// Blocks the stop signals in this thread (and every thread started after),
// so that only the sigwait in RunServe sees them.
sigset_t BlockStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

// Raises the soft RLIMIT_NOFILE to the hard limit (every connection is a
// descriptor; the usual soft default is 1024) and exposes it as the gauge
// process.max_fds. An unlimited hard limit means the kernel's nr_open.
// Returns the soft limit before and after, for the start-up log line.
std::pair<uint64_t, uint64_t> RaiseFdLimit(common::StatsRegistry& stats) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return {0, 0};
  const rlim_t before = limit.rlim_cur;
  rlim_t target = limit.rlim_max;
  if (target == RLIM_INFINITY) {
    uint64_t nr_open = 0;
    std::ifstream("/proc/sys/fs/nr_open") >> nr_open;
    if (nr_open > 0) target = nr_open;
  }
  if (limit.rlim_cur < target) {
    const rlimit raised{target, limit.rlim_max};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit.rlim_cur = target;
  }
  stats.GetGauge("process.max_fds", "open file descriptors allowed (soft RLIMIT_NOFILE)")
      .Set(static_cast<double>(limit.rlim_cur));
  return {before, limit.rlim_cur};
}

common::Status PrepareDataDir(const std::string& data_dir) {
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) {
    return common::Status::Error("cannot create data directory " + data_dir + ": " +
                                 error.message());
  }
  if (access(data_dir.c_str(), W_OK | X_OK) != 0) {
    return common::Status::Error("data directory " + data_dir + " is not writable");
  }
  return common::Status::Ok();
}

// The sealer and uploader of the configured archive, started; or why not.
common::Result<std::unique_ptr<archive::Uploader>> StartArchive(
    const archive::ArchiveSettings& settings, int64_t expire_after_days,
    const archive::AuditWriter& writer, const common::Clock& clock, common::StatsRegistry& stats) {
  auto opened = archive::OpenArchiveStore(settings);
  if (!opened) return opened.status();
  archive::ApplyExpiry(*opened->store, opened->prefix, expire_after_days, stats);
  auto sealer = archive::Sealer::Open(
      {.audit_dir = settings.audit_dir(),
       .audit_prefix = settings.audit_prefix,
       .sealed_dir = settings.sealed_dir(),
       .compression = settings.compression,
       .grace_s = settings.grace_s,
       .ship_interval_s = settings.ship_interval_s,
       .written_size = [&writer](const std::string& name) { return writer.WrittenSize(name); }},
      clock, stats);
  if (!sealer) return sealer.status();
  archive::UploaderOptions options{
      .key_template = *archive::KeyTemplate::Parse(settings.key_template),
      .prefix = opened->prefix,
      .host = settings.host,
      .keep_local_s = settings.keep_local_s,
      .retry_max_ms = settings.retry_max_s * 1000};
  spdlog::info("archive target={} key_template={} host={} compression={}",
               opened->store->Describe(), settings.key_template, settings.host,
               archive::CompressionName(settings.compression));
  auto uploader = archive::Uploader::Create(std::move(options), std::move(*sealer),
                                            std::move(opened->store), clock, stats);
  uploader->Start();
  return uploader;
}

int Fail(const std::string& line) {
  spdlog::critical("{}", line);
  return 1;
}

// Waits for SIGTERM or SIGINT; SIGHUP is acknowledged (logs go to stderr,
// so there is nothing to reopen yet).
void WaitForStop(const sigset_t& signals) {
  for (;;) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal == SIGHUP) {
      spdlog::info("signal=SIGHUP action=reopen-logs");
      continue;
    }
    spdlog::info("signal={} action=stop", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    return;
  }
}

}  // namespace

int RunServe(const config::Config& config) {
  const sigset_t signals = BlockStopSignals();
  common::SystemClock clock;
  common::StatsRegistry stats;
  const auto [fds_before, max_fds] = RaiseFdLimit(stats);  // before anything opens files

  if (auto status = PrepareDataDir(config.data_dir); !status) return Fail(status.message());

  const SettingsResult built = SettingsFrom(config);
  if (!built.ok()) return Fail(Describe(built.problems.front()));
  const Settings& settings = built.settings;
  auto store = store::SeriesStore::Open(settings.store, clock, stats);
  if (!store) return Fail(store.status().message());

  std::vector<std::unique_ptr<forward::Forwarder>> forwarders;
  for (const forward::ForwarderOptions& options : settings.forward) {
    auto forwarder = forward::Forwarder::Create(options, stats);
    if (!forwarder) return Fail(forwarder.status().message());
    forwarders.push_back(std::move(*forwarder));
    forwarders.back()->Start();
    spdlog::info("forward {} to carbon {} pattern={:?} max_queue={}", options.name, options.carbon,
                 options.pattern, options.queue.max_bytes);
  }

  aggregator::Aggregator aggregator(settings.aggregator, settings.statsd_threads, stats);
  store::SeriesStore& series = **store;
  // Aggregated and carbon points go straight to the store (rollups included),
  // registering each name the first time this process sees it; what the
  // store took is queued for every [[forward]] entry. Called by the flush
  // loop's thread and the carbon server's writer thread.
  const auto write = [&series, &forwarders](std::span<const store::Point> points,
                                            std::span<const std::string> new_names) {
    if (!new_names.empty()) {
      if (auto status = series.RegisterNames(new_names); !status) return status;
    }
    auto status = series.Write(points);
    if (status) {
      for (const auto& forwarder : forwarders) forwarder->Enqueue(points);
    }
    return status;
  };
  aggregator::FlushLoop flush_loop(aggregator, clock, stats, write, settings.flush_interval_s);

  auto statsd = ingest::StatsdReceiver::Start(settings.statsd, aggregator, stats);
  if (!statsd) return Fail(statsd.status().message());
  auto audit = archive::AuditWriter::Open(settings.audit, clock, stats);
  if (!audit) return Fail(audit.status().message());
  auto uploader =
      StartArchive(settings.archive, settings.archive_expire_after_days, **audit, clock, stats);
  if (!uploader) return Fail(uploader.status().message());
  auto syslog = ingest::SyslogServer::Start(settings.syslog, **audit, stats, clock);
  if (!syslog) return Fail(syslog.status().message());
  auto datagrams =
      ingest::SyslogDatagramReceiver::Start(settings.syslog_datagram, **audit, stats, clock);
  if (!datagrams) return Fail(datagrams.status().message());
  std::unique_ptr<ingest::RelpServer> relp;
  if (!settings.relp.listen.empty()) {
    auto started = ingest::RelpServer::Start(settings.relp, **audit, stats, clock);
    if (!started) return Fail(started.status().message());
    relp = std::move(*started);
  }
  auto carbon = ingest::CarbonServer::Start(settings.carbon, write, stats, clock);
  if (!carbon) return Fail(carbon.status().message());
  query::HttpOptions http_options = settings.http;
  http_options.archive = MakeArchiveBrowser(settings.archive, clock, settings.archive_search);
  auto http = query::HttpServer::Start(http_options, series, stats, clock);
  if (!http) return Fail(http.status().message());

  flush_loop.Start();
  spdlog::info("listening statsd udp {}", (*statsd)->bound_address());
  spdlog::info("listening syslog tcp {}", (*syslog)->bound_address());
  if (!settings.syslog.tls_listen.empty()) {
    spdlog::info("listening syslog-tls tcp {}", (*syslog)->tls_bound_address());
  }
  if (!(*datagrams)->udp_address().empty()) {
    spdlog::info("listening syslog-udp udp {}", (*datagrams)->udp_address());
  }
  if (!(*datagrams)->unix_socket().empty()) {
    spdlog::info("listening syslog-unix unix {}", (*datagrams)->unix_socket());
  }
  if (relp) spdlog::info("listening syslog-relp tcp {}", relp->bound_address());
  spdlog::info("listening carbon tcp {}", (*carbon)->bound_address());
  spdlog::info("listening http tcp {}", (*http)->bound_address());
  spdlog::info("started data_dir={} statsd_threads={} socket_buffer={} flush_interval={}s",
               settings.data_dir, settings.statsd_threads, (*statsd)->socket_buffer_bytes(),
               settings.flush_interval_s);
  spdlog::info("open files limit {} (soft limit was {})", max_fds, fds_before);

  WaitForStop(signals);
  (*statsd)->Stop();       // stop accepting; what was read is in the shards
  (*syslog)->Stop();       // stop accepting; what was read goes to the writer
  (*datagrams)->Stop();    // the same, and the Unix socket file is removed
  if (relp) relp->Stop();  // before the writer closes: nothing unwritten is acknowledged
  (*carbon)->Stop();       // stop accepting; what was read goes to the store
  flush_loop.Stop();       // flush the open window to the store
  for (const auto& forwarder : forwarders) forwarder->Stop();  // the rest stays queued
  if (auto status = series.Close(); !status) {
    spdlog::error("closing the metric store failed: {}", status.message());
  }
  const auto close_mode = settings.seal_on_shutdown ? archive::AuditWriter::CloseMode::kComplete
                                                    : archive::AuditWriter::CloseMode::kKeepOpen;
  if (auto status = (*audit)->Close(close_mode); !status) {
    spdlog::error("closing the open audit hour failed: {}", status.message());
  }
  // Seal the partial hour (seal_on_shutdown) and send what is queued, for at
  // most archive.shutdown_timeout; the rest stays queued on disk.
  (*uploader)->Shutdown(settings.seal_on_shutdown, settings.archive_shutdown_timeout);
  (*http)->Stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace hourglass::server
