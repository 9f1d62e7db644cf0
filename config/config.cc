#include "config/config.h"

#include "common/duration.h"
#include "config/config_reader.h"

#include <fmt/format.h>

#include <toml++/toml.h>
#include <unistd.h>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>

namespace hourglass::config {
namespace {

std::optional<toml::table> ParseToml(std::string_view text, const std::string& path,
                                     std::vector<std::string>* problems) {
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& error) {
    if (problems != nullptr) {
      problems->push_back(
          fmt::format("{}:{}: {}", path, error.source().begin.line, error.description()));
    }
    return std::nullopt;
  }
}

// Overlays `user` onto `base`; a key that `base` lacks is unknown.
void Overlay(toml::table& base, toml::table& user, const std::string& prefix,
             std::vector<std::string>& problems) {
  for (auto& [key, value] : user) {
    const std::string name(key.str());
    const std::string dotted = prefix.empty() ? name : prefix + "." + name;
    toml::node* existing = base.get(key);
    if (existing == nullptr) {
      problems.push_back(fmt::format("{}: {}: unknown key", Where(value), dotted));
    } else if (existing->is_table() != value.is_table()) {
      problems.push_back(fmt::format("{}: {}: {}", Where(value), dotted,
                                     existing->is_table() ? "must be a table" : "is not a table"));
    } else if (existing->is_table()) {
      Overlay(*existing->as_table(), *value.as_table(), dotted, problems);
    } else {
      base.insert_or_assign(key, std::move(value));
    }
  }
}

std::string TomlQuote(std::string_view text) {
  std::string out = "\"";
  for (const unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// "a.b=value" as the table {a={b=value}}. A value that is not valid TOML is
// taken as a string, so `--set statsd.listen=127.0.0.1:9125` needs no quotes.
std::optional<toml::table> OverrideTable(const std::string& assignment,
                                         std::vector<std::string>& problems) {
  const size_t eq = assignment.find('=');
  const std::string key = assignment.substr(0, eq);
  const bool key_ok = eq != std::string::npos && !key.empty() && key.front() != '.' &&
                      key.back() != '.' && key.find("..") == std::string::npos &&
                      key.find_first_not_of(
                          "abcdefghijklmnopqrstuvwxyz"
                          "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") == std::string::npos;
  if (!key_ok) {
    problems.push_back(fmt::format("--set: {}: expected KEY=VALUE with a dotted key", assignment));
    return std::nullopt;
  }
  const std::string value = assignment.substr(eq + 1);
  if (auto doc = ParseToml(key + " = " + value, kOverridePath, nullptr)) return doc;
  return ParseToml(key + " = " + TomlQuote(value), kOverridePath, &problems);
}

void ReadStatsd(Reader& r, StatsdConfig& s) {
  s.listen = r.Listen("statsd.listen");
  s.flush_interval_s = r.Duration("statsd.flush_interval", 1, 3600);
  s.receive_threads = static_cast<size_t>(r.Integer("statsd.receive_threads", 0, 64));
  s.socket_buffer_bytes = r.Bytes("statsd.socket_buffer", 4096, int64_t{1} << 30);
  s.percent_thresholds = r.Numbers("statsd.percent_thresholds");
  for (double p : s.percent_thresholds) {
    if (p == 0 || p < -100 || p > 100 || !std::isfinite(p)) {
      r.Problem("statsd.percent_thresholds", "each must be in [-100, 100] and not 0");
      break;
    }
  }
  s.legacy_namespace = r.Bool("statsd.legacy_namespace");
  s.prefix = r.String("statsd.prefix");
  if (s.prefix.empty() || s.prefix.find_first_of(" ;.") != std::string::npos) {
    r.Problem("statsd.prefix", "must be one non-empty Graphite node (no '.', ';' or space)");
  }
  const bool all = r.Bool("statsd.delete_idle_stats");
  s.delete_counters = r.Bool("statsd.delete_counters") || all;
  s.delete_timers = r.Bool("statsd.delete_timers") || all;
  s.delete_sets = r.Bool("statsd.delete_sets") || all;
  s.delete_gauges = r.Bool("statsd.delete_gauges") || all;
  s.max_keys = static_cast<size_t>(r.Integer("statsd.max_keys", 1, 100'000'000));
  s.evict_idle_windows = static_cast<size_t>(r.Integer("statsd.evict_idle_windows", 1, 1'000'000));
}

// "0666": octal permission bits, at most 07777.
int64_t ParseFileMode(std::string_view text) {
  if (text.empty() || text.size() > 5) return -1;
  int64_t mode = 0;
  for (char c : text) {
    if (c < '0' || c > '7') return -1;
    mode = mode * 8 + (c - '0');
  }
  return mode <= 07777 ? mode : -1;
}

void ReadSyslogDatagram(Reader& r, SyslogConfig& s) {
  s.udp_listen = r.String("syslog.udp_listen");
  if (!s.udp_listen.empty() && !common::ParseListenAddress(s.udp_listen).ok()) {
    r.Problem("syslog.udp_listen", "must be HOST:PORT or empty");
  }
  s.udp_threads = static_cast<size_t>(r.Integer("syslog.udp_threads", 0, 64));
  s.socket_buffer_bytes = r.Bytes("syslog.socket_buffer", 4096, int64_t{1} << 30);
  s.unix_socket = r.String("syslog.unix_socket");
  // A string ("0666"), or digits that TOML took for a number (--set ...=666).
  const toml::node* node = r.Node("syslog.unix_socket_mode");
  const int64_t mode =
      node != nullptr && node->is_integer()
          ? ParseFileMode(std::to_string(node->as_integer()->get()))
          : ParseFileMode(node != nullptr && node->is_string() ? node->as_string()->get() : "");
  if (mode < 0) {
    r.Problem("syslog.unix_socket_mode", "must be octal permission bits such as \"0666\"");
  }
  s.unix_socket_mode = static_cast<uint32_t>(std::max<int64_t>(mode, 0));
  s.datagram_backlog_bytes = r.Bytes("syslog.datagram_backlog", 64 * 1024, int64_t{1} << 34);
}

void ReadSyslog(Reader& r, SyslogConfig& s) {
  s.listen = r.Listen("syslog.listen");
  s.max_connections = static_cast<size_t>(r.Integer("syslog.max_connections", 1, 100'000));
  s.max_message_size = r.Bytes("syslog.max_message_size", 480, 16 << 20);
  s.max_frame_size = r.Bytes("syslog.max_frame_size", 480, int64_t{1} << 30);
  s.idle_timeout_s = r.Duration("syslog.idle_timeout", 1, 7 * 86400);
  s.read_buffer_bytes = r.Bytes("syslog.read_buffer", 4096, 16 << 20);
  s.threads = static_cast<size_t>(r.Integer("syslog.threads", 1, 64));
  s.tls_listen = r.String("syslog.tls_listen");
  s.tls_cert = r.String("syslog.tls_cert");
  s.tls_key = r.String("syslog.tls_key");
  s.tls_ca = r.String("syslog.tls_ca");
  ReadSyslogDatagram(r, s);
  s.relp_listen = r.String("syslog.relp_listen");
  if (!s.relp_listen.empty() && !common::ParseListenAddress(s.relp_listen).ok()) {
    r.Problem("syslog.relp_listen", "must be HOST:PORT or empty");
  }
  if (s.tls_listen.empty()) return;
  if (!common::ParseListenAddress(s.tls_listen).ok()) {
    r.Problem("syslog.tls_listen", "must be HOST:PORT or empty");
  }
  // Reported where tls_listen was set: that is the line to fix.
  const std::pair<const char*, const std::string*> required[] = {{"syslog.tls_cert", &s.tls_cert},
                                                                 {"syslog.tls_key", &s.tls_key}};
  for (const auto& [key, value] : required) {
    if (value->empty()) {
      r.ProblemAt("syslog.tls_listen", key, "required when syslog.tls_listen is set");
    }
  }
}

void ReadCarbon(Reader& r, CarbonConfig& c) {
  c.listen = r.Listen("carbon.listen");
  c.max_connections = static_cast<size_t>(r.Integer("carbon.max_connections", 1, 100'000));
  c.max_line_length = r.Bytes("carbon.max_line_length", 64, 16 << 20);
  c.idle_timeout_s = r.Duration("carbon.idle_timeout", 1, 7 * 86400);
  c.write_queue_batches = static_cast<size_t>(r.Integer("carbon.write_queue_batches", 1, 1024));
}

void ReadAudit(Reader& r, AuditConfig& a) {
  a.prefix = r.String("audit.prefix");
  if (a.prefix.empty() || a.prefix.find_first_of("/\\ ") != std::string::npos) {
    r.Problem("audit.prefix", "must be a non-empty file name prefix (no '/' or spaces)");
  }
  a.format = r.Choice("audit.format", {"json", "raw"});
  a.fsync = r.Choice("audit.fsync", {"always", "interval", "never"});
  a.fsync_interval_ms = r.Duration("audit.fsync_interval", 1, 3600) * 1000;
}

std::string Hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

// archive.expire_after: "" (0) or whole days, as S3 lifecycle expiration counts.
int64_t ExpireAfterDays(Reader& r) {
  const std::string text = r.String("archive.expire_after");
  if (text.empty()) return 0;
  const int64_t seconds = ParseDurationSeconds(text);
  constexpr int64_t kDay = 86400;
  if (seconds <= 0 || seconds % kDay != 0 || seconds / kDay > 100 * 365) {
    r.Problem("archive.expire_after",
              "must be a whole number of days such as \"60d\" (S3 lifecycle expiration counts "
              "days), at most 100y, or \"\" to leave the bucket's lifecycle alone");
    return 0;
  }
  return seconds / kDay;
}

void ReadArchive(Reader& r, ArchiveConfig& a) {
  a.target = r.String("archive.target");
  if (!a.target.empty() && !a.target.starts_with("s3://") && !a.target.starts_with("file://")) {
    r.Problem("archive.target", "must be \"s3://BUCKET/PREFIX\", \"file://DIR\" or empty");
  }
  a.endpoint = r.String("archive.endpoint");
  if (!a.endpoint.empty() && !a.endpoint.starts_with("http://") &&
      !a.endpoint.starts_with("https://")) {
    r.Problem("archive.endpoint", "must be an http:// or https:// URL");
  }
  a.region = r.String("archive.region");
  a.addressing = r.Choice("archive.addressing", {"auto", "path", "virtual"});
  a.secrets_file = r.String("archive.secrets_file");
  a.grace_s = r.Duration("archive.grace", 0, 86400);
  a.ship_interval_s = r.Duration("archive.ship_interval", 0, 3600);
  a.compression = r.Choice("archive.compression", {"gzip", "zstd", "none"});
  a.key_template = r.String("archive.key_template");
  a.host = r.String("archive.host");
  if (a.host.find_first_of("/{} ") != std::string::npos) {
    r.Problem("archive.host", "must not contain '/', '{', '}' or spaces");
  }
  if (a.host.empty()) a.host = Hostname();
  a.keep_local_s = r.Duration("archive.keep_local", 0, 100 * 365 * 86400LL);
  a.multipart_threshold_bytes = r.Bytes("archive.multipart_threshold", 5 << 20, int64_t{5} << 30);
  a.storage_class = r.String("archive.storage_class");
  a.sse = r.Choice("archive.sse", {"", "AES256", "aws:kms"});
  a.retry_max_s = r.Duration("archive.retry_max", 1, 86400);
  a.seal_on_shutdown = r.Bool("archive.seal_on_shutdown");
  a.shutdown_timeout_s = r.Duration("archive.shutdown_timeout", 0, 3600);
  a.expire_after_days = ExpireAfterDays(r);
}

void ReadHttp(Reader& r, HttpConfig& h) {
  h.listen = r.Listen("http.listen");
  h.threads = static_cast<size_t>(r.Integer("http.threads", 1, 64));
  h.max_connections = static_cast<size_t>(r.Integer("http.max_connections", 1, 100'000));
  h.max_body_bytes = r.Bytes("http.max_body_size", 1024, int64_t{1} << 30);
  h.idle_timeout_s = r.Duration("http.idle_timeout", 1, 86400);
  h.header_timeout_s = r.Duration("http.header_timeout", 1, 3600);
  h.cors_origins = r.Strings("http.cors_origins");
  h.token = r.String("http.token");
  h.max_points_read =
      static_cast<size_t>(r.Integer("http.max_points_read", 1, int64_t{1'000'000'000'000}));
  h.max_points_written =
      static_cast<size_t>(r.Integer("http.max_points_written", 1, int64_t{1'000'000'000'000}));
  h.max_event_bytes = r.Bytes("http.max_event_size", 64, int64_t{1} << 30);
  if (h.max_event_bytes > h.max_body_bytes) {
    // A POST /events/ body is cut at http.max_body_size first: a larger
    // event bound would promise what the server refuses.
    r.Problem("http.max_event_size", "must not exceed http.max_body_size");
  }
  h.max_events_returned =
      static_cast<size_t>(r.Integer("http.max_events_returned", 1, int64_t{100'000'000}));
  h.max_event_tags = static_cast<size_t>(r.Integer("http.max_event_tags", 1, 100'000));
  h.max_events_stored =
      static_cast<uint64_t>(r.Integer("http.max_events_stored", 1, int64_t{1'000'000'000}));
  h.search_max_lines = static_cast<size_t>(r.Integer("http.search_max_lines", 1, 1'000'000));
  h.search_max_bytes = r.Bytes("http.search_max_bytes", 1024, int64_t{1} << 30);
  h.search_max_scan_bytes = r.Bytes("http.search_max_scan", 1024, int64_t{1} << 40);
}

// carbon's storage-schemas.conf and storage-aggregation.conf as arrays of
// tables, with carbon's key names; patterns, retentions and methods are
// checked against the store (server/settings.cc).
void ReadStore(Reader& r, StoreConfig& s) {
  s.retentions = r.String("store.retentions");
  s.retry_buffer_bytes = r.Bytes("store.retry_buffer", 1 << 20, int64_t{16} << 30);
  s.wal_fsync = r.Choice("store.wal_fsync", {"always", "interval", "never"});
  s.wal_segment_bytes = r.Bytes("store.wal_segment_size", 1 << 20, int64_t{4} << 30);
  s.seal_lateness_s = r.Duration("store.seal_lateness", 10, 86400);
  constexpr size_t kMaxEntries = 200;
  const char* schemas = "store.schemas";
  for (const toml::table* entry : r.Tables(schemas, {"name", "pattern", "retentions"})) {
    const std::string fallback = fmt::format("schema{}", s.schemas.size() + 1);
    s.schemas.push_back({r.EntryString(*entry, schemas, "name", fallback.c_str()),
                         r.EntryString(*entry, schemas, "pattern", nullptr),
                         r.EntryString(*entry, schemas, "retentions", nullptr)});
  }
  const char* aggregation = "store.aggregation";
  for (const toml::table* entry :
       r.Tables(aggregation, {"name", "pattern", "aggregationMethod", "xFilesFactor"})) {
    const std::string fallback = fmt::format("rule{}", s.aggregation.size() + 1);
    StoreAggregationConfig rule{r.EntryString(*entry, aggregation, "name", fallback.c_str()),
                                r.EntryString(*entry, aggregation, "pattern", nullptr),
                                r.EntryString(*entry, aggregation, "aggregationMethod", "average"),
                                r.EntryFraction(*entry, aggregation, "xFilesFactor", 0.5)};
    s.aggregation.push_back(std::move(rule));
  }
  if (s.schemas.size() > kMaxEntries) r.Problem(schemas, "at most 200 entries");
  if (s.aggregation.size() > kMaxEntries) r.Problem(aggregation, "at most 200 entries");
}

// [[forward]] entries; the pattern is compiled and the queue opened at start
// (server/settings.cc, forward/forwarder.h).
void ReadForward(Reader& r, std::vector<ForwardConfig>& out) {
  const char* key = "forward";
  for (const toml::table* e :
       r.Tables(key, {"name", "carbon", "pattern", "max_queue", "fsync", "fsync_interval",
                      "resend_window", "unreachable_after"})) {
    ForwardConfig f;
    f.name = r.EntryString(*e, key, "name", fmt::format("forward{}", out.size() + 1).c_str());
    f.carbon = r.EntryString(*e, key, "carbon", nullptr);
    f.pattern = r.EntryString(*e, key, "pattern", "");
    f.max_queue_bytes =
        r.EntryBytes(*e, key, "max_queue", int64_t{1} << 30, 16 << 10, int64_t{1} << 40);
    f.fsync = r.EntryString(*e, key, "fsync", "interval");
    f.fsync_interval_ms = r.EntrySeconds(*e, key, "fsync_interval", 1, 1, 3600) * 1000;
    f.resend_window_ms = r.EntrySeconds(*e, key, "resend_window", 5, 0, 3600) * 1000;
    f.unreachable_after_ms = r.EntrySeconds(*e, key, "unreachable_after", 30, 1, 86400) * 1000;
    const bool name_ok = !f.name.empty() && f.name.size() <= 64 &&
                         f.name.find_first_not_of(
                             "abcdefghijklmnopqrstuvwxyz"
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == std::string::npos;
    if (!name_ok) r.Problem(key, f.name + ": name must be 1-64 of A-Z a-z 0-9 _ -");
    for (const ForwardConfig& other : out) {
      if (other.name == f.name) r.Problem(key, f.name + ": two entries with this name");
    }
    const size_t colon = f.carbon.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == f.carbon.size()) {
      r.Problem(key, f.name + ": carbon must be \"host:port\"");
    }
    if (f.fsync != "always" && f.fsync != "interval" && f.fsync != "never") {
      r.Problem(key, f.name + ": fsync must be one of always, interval, never");
    }
    out.push_back(std::move(f));
  }
  if (out.size() > 16) r.Problem(key, "at most 16 entries");
}

Config ReadConfig(const toml::table& root, std::vector<std::string>& problems) {
  Reader r(root, problems);
  Config c;
  c.data_dir = r.String("data_dir");
  if (c.data_dir.empty()) r.Problem("data_dir", "must not be empty");
  c.log_level = r.String("log.level");
  static const std::vector<std::string> kLevels{"trace", "debug", "info", "warn", "error", "off"};
  if (std::find(kLevels.begin(), kLevels.end(), c.log_level) == kLevels.end()) {
    r.Problem("log.level", "must be one of trace, debug, info, warn, error, off");
  }
  ReadStatsd(r, c.statsd);
  ReadSyslog(r, c.syslog);
  ReadCarbon(r, c.carbon);
  ReadAudit(r, c.audit);
  ReadArchive(r, c.archive);
  ReadHttp(r, c.http);
  ReadStore(r, c.store);
  ReadForward(r, c.forward);
  return c;
}

void RecordLocations(const toml::table& table, const std::string& prefix,
                     std::map<std::string, std::string>& out) {
  for (const auto& [key, value] : table) {
    const std::string dotted =
        prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    if (value.is_table()) {
      RecordLocations(*value.as_table(), dotted, out);
    } else {
      out[dotted] = Where(value);
    }
  }
}

// Splits "123unit" into the number and the unit.
bool SplitNumber(std::string_view text, int64_t& number, std::string_view& unit) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || number < 0) return false;
  unit = text.substr(static_cast<size_t>(end - text.data()));
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  return true;
}

}  // namespace

int64_t ParseDurationSeconds(std::string_view text) {
  int64_t n = 0;
  std::string_view unit;
  if (!SplitNumber(text, n, unit)) return -1;
  if (unit.empty()) return n;  // a bare number is seconds
  return common::ScaleDuration(n, unit);
}

int64_t ParseByteSize(std::string_view text) {
  int64_t n = 0;
  std::string_view unit;
  if (!SplitNumber(text, n, unit)) return -1;
  static constexpr std::pair<std::string_view, int64_t> kUnits[] = {
      {"", 1},          {"B", 1},     {"KiB", 1 << 10},    {"MiB", 1 << 20},
      {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}};
  for (const auto& [name, factor] : kUnits) {
    if (unit == name) return n > INT64_MAX / factor ? -1 : n * factor;
  }
  return -1;
}

LoadResult LoadConfig(const std::string& file, const std::vector<std::string>& overrides) {
  LoadResult result;
  auto& problems = result.problems;
  auto merged = ParseToml(DefaultConfigText(), kDefaultsPath, &problems);
  if (!merged) return result;  // a broken embedded default is a build bug
  if (!file.empty()) {
    try {
      toml::table user = toml::parse_file(file);
      Overlay(*merged, user, "", problems);
    } catch (const toml::parse_error& error) {
      problems.push_back(
          fmt::format("{}:{}: {}", file, error.source().begin.line, error.description()));
    }
  }
  for (const auto& assignment : overrides) {
    if (auto table = OverrideTable(assignment, problems)) Overlay(*merged, *table, "", problems);
  }
  result.config = ReadConfig(*merged, problems);
  RecordLocations(*merged, "", result.locations);
  return result;
}

}  // namespace hourglass::config
