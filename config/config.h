// Config: every setting of the server, loaded from the embedded defaults,
// an optional TOML file and --set KEY=VALUE overrides (in that order), then
// validated. Loading collects every problem as "FILE:LINE: key: reason".
// Pure values after loading; safe to copy to any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace hourglass::config {

struct StatsdConfig {
  std::string listen;
  int64_t flush_interval_s;
  size_t receive_threads;  // 0 = one per core
  size_t socket_buffer_bytes;
  std::vector<double> percent_thresholds;
  bool legacy_namespace;
  std::string prefix;
  bool delete_counters;
  bool delete_timers;
  bool delete_sets;
  bool delete_gauges;
  size_t max_keys;
  size_t evict_idle_windows;
};

struct SyslogConfig {
  std::string listen;
  size_t max_connections;
  size_t max_message_size;
  size_t max_frame_size;  // largest octet count believed
  int64_t idle_timeout_s;
  size_t read_buffer_bytes;
  size_t threads;
  std::string tls_listen;  // "" = no TLS listener
  std::string tls_cert;    // PEM paths; cert and key required with tls_listen
  std::string tls_key;
  std::string tls_ca;      // "" = clients are not asked for a certificate
  std::string udp_listen;  // "" = no UDP listener
  size_t udp_threads;      // 0 = one per core
  size_t socket_buffer_bytes;
  std::string unix_socket;  // "" = no Unix datagram socket
  uint32_t unix_socket_mode;
  size_t datagram_backlog_bytes;  // not yet written; beyond it datagrams are dropped
  std::string relp_listen;        // "" = no RELP listener
};

struct CarbonConfig {
  std::string listen;
  size_t max_connections;
  size_t max_line_length;
  int64_t idle_timeout_s;
  size_t write_queue_batches;
};

struct AuditConfig {
  std::string prefix;
  std::string format;  // "json" | "raw"
  std::string fsync;   // "always" | "interval" | "never"
  int64_t fsync_interval_ms;
};

struct ArchiveConfig {
  std::string target;  // "" (data_dir/archive), "s3://BUCKET/PREFIX" or "file://DIR"
  std::string endpoint;
  std::string region;
  std::string addressing;  // "auto" | "path" | "virtual"
  std::string secrets_file;
  int64_t grace_s;
  int64_t ship_interval_s;  // 0: whole hours only
  std::string compression;  // "gzip" | "zstd" | "none"
  std::string key_template;
  std::string host;  // "" until resolved: LoadConfig fills in the hostname
  int64_t keep_local_s;
  size_t multipart_threshold_bytes;
  std::string storage_class;
  std::string sse;  // "" | "AES256" | "aws:kms"
  int64_t retry_max_s;
  bool seal_on_shutdown;
  int64_t shutdown_timeout_s;
  int64_t expire_after_days;  // archive.expire_after; 0: the bucket's lifecycle is not touched
};

struct HttpConfig {
  std::string listen;
  size_t threads;
  size_t max_connections;
  size_t max_body_bytes;
  int64_t idle_timeout_s;
  int64_t header_timeout_s;
  std::vector<std::string> cors_origins;
  std::string token;             // a secret: never logged
  size_t max_points_read;        // per /render request: store reads and summarize/hitcount buckets
  size_t max_points_written;     // per /render request: datapoints in the answer
  size_t max_event_bytes;        // POST /events/: one event's JSON body
  size_t max_events_returned;    // GET /events/get_data: events in one answer
  size_t max_event_tags;         // POST /events/: tags of one event
  uint64_t max_events_stored;    // events kept; the oldest are deleted past it
  size_t search_max_lines;       // per /archive/search page: lines
  size_t search_max_bytes;       // per /archive/search page: bytes of lines
  size_t search_max_scan_bytes;  // per /archive/search page: archived bytes read
};

// One [[store.schemas]] entry (carbon's storage-schemas.conf section).
struct StoreSchemaConfig {
  std::string name;
  std::string pattern;     // regular expression, searched in the name
  std::string retentions;  // carbon syntax
};

// One [[store.aggregation]] entry (carbon's storage-aggregation.conf section).
struct StoreAggregationConfig {
  std::string name;
  std::string pattern;
  std::string method;  // average, sum, min, max, last
  double x_files_factor;
};

struct StoreConfig {
  std::string retentions;     // carbon syntax, "10s:6h,1m:7d,10m:5y"
  size_t retry_buffer_bytes;  // write batches held while the store cannot write
  std::string wal_fsync;      // always, interval, never
  uint64_t wal_segment_bytes;
  int64_t seal_lateness_s;
  std::vector<StoreSchemaConfig> schemas;
  std::vector<StoreAggregationConfig> aggregation;
};

// One [[forward]] entry: every stored point whose name matches `pattern`
// goes on to a carbon plaintext backend through an on-disk queue.
struct ForwardConfig {
  std::string name;     // metric names forward.<name>.*, folder data_dir/forward/<name>
  std::string carbon;   // "host:port"
  std::string pattern;  // regular expression searched in the name with its tags; "" = all
  int64_t max_queue_bytes;
  std::string fsync;  // "always" | "interval" | "never"
  int64_t fsync_interval_ms;
  int64_t resend_window_ms;
  int64_t unreachable_after_ms;
};

struct Config {
  std::string data_dir;
  std::string log_level;
  StatsdConfig statsd;
  SyslogConfig syslog;
  CarbonConfig carbon;
  AuditConfig audit;
  ArchiveConfig archive;
  HttpConfig http;
  StoreConfig store;
  std::vector<ForwardConfig> forward;
};

// The commented default config, as `hourglass config defaults` prints it.
std::string_view DefaultConfigText();

struct LoadResult {
  Config config;
  std::vector<std::string> problems;  // empty when the config is valid
  bool ok() const { return problems.empty(); }
  // Where each key's value came from ("FILE:LINE", "<defaults>:LINE" or
  // "--set"), so later checks can report problems the same way.
  std::map<std::string, std::string> locations;
  void AddProblem(const std::string& key, std::string_view reason) {
    problems.push_back(locations[key] + ": " + key + ": " + std::string(reason));
  }
};

// `file` may be empty (embedded defaults only). `overrides` are "key=value"
// strings from --set; a value that is not valid TOML is taken as a string.
LoadResult LoadConfig(const std::string& file, const std::vector<std::string>& overrides);

// A count and a unit of common/duration.h ("10s", "1min", "2 hours", "7d"),
// or plain seconds. -1 on error.
int64_t ParseDurationSeconds(std::string_view text);
// "65536", "64KiB", "16MiB", "1GiB" (also KB/MB/GB as powers of 1000). -1 on error.
int64_t ParseByteSize(std::string_view text);

}  // namespace hourglass::config
