#include "server/settings.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "archive/audit/audit_format.h"
#include "store/aggregation_rules.h"

namespace hourglass::server {
namespace {

// A library message that already starts with "KEY: " loses that prefix (the
// key is printed once, in front).
SettingsProblem ProblemOf(std::string key, std::string_view message) {
  const std::string lead = key + ": ";
  if (message.starts_with(lead)) message.remove_prefix(lead.size());
  return {std::move(key), std::string(message)};
}

std::string Under(const std::string& data_dir, const char* name) {
  return (std::filesystem::path(data_dir) / name).string();
}

aggregator::AggregatorOptions AggregatorOptionsFrom(const config::StatsdConfig& statsd) {
  return aggregator::AggregatorOptions{.flush_interval_s = statsd.flush_interval_s,
                                       .percent_thresholds = statsd.percent_thresholds,
                                       .legacy_namespace = statsd.legacy_namespace,
                                       .global_prefix = statsd.prefix,
                                       .delete_counters = statsd.delete_counters,
                                       .delete_timers = statsd.delete_timers,
                                       .delete_sets = statsd.delete_sets,
                                       .delete_gauges = statsd.delete_gauges,
                                       .max_keys = statsd.max_keys,
                                       .evict_idle_windows = statsd.evict_idle_windows};
}

std::optional<SettingsProblem> AuditOptionsFrom(const config::Config& config,
                                                archive::AuditOptions* out) {
  out->dir = Under(config.data_dir, "audit");
  out->prefix = config.audit.prefix;
  auto format = archive::ParseAuditFormat(config.audit.format);
  if (!format) return ProblemOf("audit.format", format.status().message());
  out->format = *format;
  auto fsync = archive::ParseFsyncMode(config.audit.fsync);
  if (!fsync) return ProblemOf("audit.fsync", fsync.status().message());
  out->fsync = *fsync;
  out->fsync_interval_ms = config.audit.fsync_interval_ms;
  return std::nullopt;
}

ingest::SyslogServerOptions SyslogOptionsFrom(const config::SyslogConfig& syslog) {
  return ingest::SyslogServerOptions{.listen = syslog.listen,
                                     .max_connections = syslog.max_connections,
                                     .max_message_size = syslog.max_message_size,
                                     .max_frame_size = syslog.max_frame_size,
                                     .idle_timeout_s = syslog.idle_timeout_s,
                                     .read_buffer_bytes = syslog.read_buffer_bytes,
                                     .threads = syslog.threads,
                                     .tls_listen = syslog.tls_listen,
                                     .tls_cert = syslog.tls_cert,
                                     .tls_key = syslog.tls_key,
                                     .tls_ca = syslog.tls_ca};
}

ingest::SyslogDatagramOptions SyslogDatagramOptionsFrom(const config::SyslogConfig& syslog) {
  return ingest::SyslogDatagramOptions{.udp_listen = syslog.udp_listen,
                                       .udp_threads = syslog.udp_threads,
                                       .socket_buffer_bytes = syslog.socket_buffer_bytes,
                                       .unix_socket = syslog.unix_socket,
                                       .unix_socket_mode = syslog.unix_socket_mode,
                                       .max_message_size = syslog.max_message_size,
                                       .max_pending_bytes = syslog.datagram_backlog_bytes};
}

ingest::CarbonServerOptions CarbonOptionsFrom(const config::CarbonConfig& carbon) {
  return ingest::CarbonServerOptions{.listen = carbon.listen,
                                     .max_connections = carbon.max_connections,
                                     .max_line_length = carbon.max_line_length,
                                     .idle_timeout_s = carbon.idle_timeout_s,
                                     .write_queue_batches = carbon.write_queue_batches};
}

query::HttpOptions HttpOptionsFrom(const config::HttpConfig& http) {
  return query::HttpOptions{.listen = http.listen,
                            .threads = http.threads,
                            .max_connections = http.max_connections,
                            .max_body_bytes = http.max_body_bytes,
                            .idle_timeout_s = http.idle_timeout_s,
                            .header_timeout_s = http.header_timeout_s,
                            .cors_origins = http.cors_origins,
                            .token = http.token,
                            .render = {.max_points_read = http.max_points_read,
                                       .max_points_written = http.max_points_written},
                            .events = {.max_body_bytes = http.max_event_bytes,
                                       .max_returned = http.max_events_returned,
                                       .max_tags = http.max_event_tags,
                                       .max_stored = http.max_events_stored}};
}

}  // namespace

std::optional<SettingsProblem> StoreOptionsFrom(const config::StoreConfig& config, std::string path,
                                                store::StoreOptions* out) {
  store::StoreOptions& options = *out;
  options.path = std::move(path);
  auto retentions = store::ParseRetentions(config.retentions);
  if (!retentions.ok()) return ProblemOf("store.retentions", retentions.status().message());
  options.retentions = std::move(retentions).value();
  options.retry_buffer_bytes = config.retry_buffer_bytes;
  options.wal_fsync = config.wal_fsync;
  options.wal_segment_bytes = config.wal_segment_bytes;
  options.seal_lateness_s = config.seal_lateness_s;

  for (const config::StoreSchemaConfig& s : config.schemas) {
    auto r = store::ParseRetentions(s.retentions);
    if (!r.ok()) {
      return SettingsProblem{"store.schemas", fmt::format("{}: {}", s.name, r.status().message())};
    }
    options.schemas.push_back({s.name, s.pattern, std::move(r).value()});
  }
  if (auto s = store::ValidateSchemas(options.schemas); !s.ok()) {
    return ProblemOf("store.schemas", s.message());
  }

  options.aggregation.clear();
  for (const config::StoreAggregationConfig& a : config.aggregation) {
    store::AggregationMethod method;
    if (!store::ParseAggregationMethod(a.method, &method)) {
      return SettingsProblem{
          "store.aggregation",
          fmt::format("{}: aggregationMethod '{}' is not one of average, sum, min, max, last",
                      a.name, a.method)};
    }
    options.aggregation.push_back({a.name, a.pattern, method, a.x_files_factor});
  }
  if (auto rules = store::AggregationRules::Create(options.aggregation); !rules.ok()) {
    return ProblemOf("store.aggregation", rules.status().message());
  }
  return std::nullopt;
}

std::optional<SettingsProblem> ArchiveSettingsFrom(const config::Config& config,
                                                   archive::ArchiveSettings* out) {
  const config::ArchiveConfig& a = config.archive;
  archive::ArchiveSettings& s = *out;
  s.data_dir = config.data_dir;
  s.audit_prefix = config.audit.prefix;
  s.target = a.target;
  s.endpoint = a.endpoint;
  s.region = a.region;
  s.addressing = a.addressing == "path"      ? archive::S3Addressing::kPath
                 : a.addressing == "virtual" ? archive::S3Addressing::kVirtualHosted
                                             : archive::S3Addressing::kAuto;
  auto compression = archive::ParseCompression(a.compression);
  if (!compression) return ProblemOf("archive.compression", compression.status().message());
  s.compression = *compression;
  if (auto t = archive::KeyTemplate::Parse(a.key_template); !t) {
    return ProblemOf("archive.key_template", t.status().message());
  }
  s.key_template = a.key_template;
  s.host = a.host;
  s.grace_s = a.grace_s;
  s.ship_interval_s = a.ship_interval_s;
  s.keep_local_s = a.keep_local_s;
  s.multipart_threshold = a.multipart_threshold_bytes;
  s.secrets_file = a.secrets_file;
  s.storage_class = a.storage_class;
  s.sse = a.sse;
  s.retry_max_s = a.retry_max_s;
  return std::nullopt;
}

// [[forward]] entries: queues under data_dir/forward/<name>; the pattern is
// compiled here so that a bad one stops the start with its key.
std::optional<SettingsProblem> ForwardOptionsFrom(const config::Config& config,
                                                  std::vector<forward::ForwarderOptions>* out) {
  for (const config::ForwardConfig& f : config.forward) {
    if (auto re = forward::CompileForwardPattern(f.pattern); !re) {
      return SettingsProblem{"forward", fmt::format("{}: {}", f.name, re.status().message())};
    }
    forward::ForwarderOptions o{
        .name = f.name,
        .carbon = f.carbon,
        .pattern = f.pattern,
        .dir = (std::filesystem::path(config.data_dir) / "forward" / f.name).string(),
        .queue = {.max_bytes = static_cast<uint64_t>(f.max_queue_bytes),
                  .fsync = *store::ParseWalFsync(f.fsync)},
        .fsync_interval_ms = f.fsync_interval_ms,
        .resend_window_ms = f.resend_window_ms,
        .unreachable_after_ms = f.unreachable_after_ms};
    out->push_back(std::move(o));
  }
  return std::nullopt;
}

SettingsResult SettingsFrom(const config::Config& config) {
  SettingsResult result;
  Settings& s = result.settings;
  const auto check = [&result](std::optional<SettingsProblem> problem) {
    if (problem) result.problems.push_back(std::move(*problem));
  };
  s.data_dir = config.data_dir;
  s.statsd = {config.statsd.listen, config.statsd.socket_buffer_bytes};
  s.statsd_threads = config.statsd.receive_threads != 0
                         ? config.statsd.receive_threads
                         : std::max(1u, std::thread::hardware_concurrency());
  s.aggregator = AggregatorOptionsFrom(config.statsd);
  s.flush_interval_s = config.statsd.flush_interval_s;
  check(StoreOptionsFrom(config.store, Under(config.data_dir, "metrics"), &s.store));
  s.carbon = CarbonOptionsFrom(config.carbon);
  s.syslog = SyslogOptionsFrom(config.syslog);
  s.syslog_datagram = SyslogDatagramOptionsFrom(config.syslog);
  s.relp = {.listen = config.syslog.relp_listen,
            .max_message_size = config.syslog.max_message_size};
  check(AuditOptionsFrom(config, &s.audit));
  check(ArchiveSettingsFrom(config, &s.archive));
  s.seal_on_shutdown = config.archive.seal_on_shutdown;
  s.archive_shutdown_timeout = std::chrono::seconds(config.archive.shutdown_timeout_s);
  s.archive_expire_after_days = config.archive.expire_after_days;
  s.http = HttpOptionsFrom(config.http);
  s.archive_search = {.max_lines = config.http.search_max_lines,
                      .max_bytes = config.http.search_max_bytes,
                      .max_scan_bytes = config.http.search_max_scan_bytes};
  check(ForwardOptionsFrom(config, &s.forward));
  return result;
}

std::string Describe(const SettingsProblem& problem) { return problem.key + ": " + problem.reason; }

}  // namespace hourglass::server
