#include "config/config.h"

namespace hourglass::config {

// The single source of the defaults: LoadConfig parses this text first, so a
// key is known exactly when it appears here.
std::string_view DefaultConfigText() {
  return R"toml(# Hourglass configuration. Every key is optional: these are the defaults.
# Override any of them on the command line with --set KEY=VALUE
# (for example --set statsd.listen=127.0.0.1:9125).

# Where metrics, audit files and the local archive live.
data_dir = "./hourglass-data"

# Forwarding: every point the store takes (statsd windows, carbon input) whose
# name matches `pattern` also goes to a carbon plaintext backend (carbon,
# go-carbon, VictoriaMetrics' -graphiteListenAddr, carbon-c-relay), through
# an on-disk queue per entry under data_dir/forward/NAME/ that survives
# restarts and backend outages; self-metrics forward.NAME.* and the /health
# component forward.NAME. Keys of an entry (all but carbon optional):
#   [[forward]]
#   name = "central"          # metric and folder name (A-Z a-z 0-9 _ -)
#   carbon = "graphite.example.net:2003"
#   pattern = '^stats\.'      # a regular expression searched in the whole
#                             # name, tags included ("a.b;env=prod"); "" = all
#   max_queue = "1GiB"        # past it the oldest queued points are dropped
#                             # (counted in forward.NAME.dropped_points)
#   fsync = "interval"        # always | interval | never, as audit.fsync
#   fsync_interval = "1s"
#   resend_window = "5s"      # sent within this before a broken connection:
#                             # sent again (carbon has no acks; at least once)
#   unreachable_after = "30s" # /health says degraded past this without a backend
forward = []

[log]
# trace, debug, info, warn, error, off
level = "info"

[statsd]
# UDP address for statsd datagrams. Port 0 binds a free port (logged at start).
# "[::]:8125" accepts IPv6 and IPv4 on one socket.
listen = "0.0.0.0:8125"
# Length of an aggregation window; windows end on wall-clock multiples of it.
flush_interval = "10s"
# Receive threads, each with its own SO_REUSEPORT socket and aggregation
# shard. 0 means one per CPU core.
receive_threads = 0
# Kernel receive buffer asked for each socket (capped by net.core.rmem_max
# unless the process may raise it).
socket_buffer = "16MiB"
# Timer percentiles, as etsy statsd's percentThreshold (negative: lower_top).
percent_thresholds = [90]
# true: counters as stats.KEY (rate) and stats_counts.KEY (count), as etsy's
# legacyNamespace; false: stats.counters.KEY.rate and stats.counters.KEY.count.
legacy_namespace = true
# First node of every statsd series (etsy's globalPrefix).
prefix = "stats"
# etsy's deleteIdleStats: when true, shorthand for all four below.
delete_idle_stats = false
# Stop reporting a key of this type after a window in which it got nothing
# (otherwise counters report 0, timers count 0, sets 0, gauges their last value).
delete_counters = false
delete_timers = false
delete_sets = false
delete_gauges = false
# Unique keys held at once. When it is reached, a new key takes the place of
# the key idle longest, if that key got nothing for evict_idle_windows windows
# (counted in statsd.keys_evicted); otherwise the new key is dropped (counted
# in statsd.keys_dropped). Below the limit idle keys keep being reported.
max_keys = 1000000
evict_idle_windows = 6

[syslog]
# TCP address for syslog senders (rsyslog, logger, Python's SysLogHandler).
# Frames are octet-counted (RFC 6587) or end at LF or NUL, decided per frame.
listen = "0.0.0.0:5140"
# Connections held at once; more are accepted and closed at once (counted).
max_connections = 1024
# Longer messages are truncated (counted), never dropped.
max_message_size = "64KiB"
# The largest octet count believed. A longer counted frame is still read to
# its end (the message kept truncated, the rest discarded), so the next frame
# stays in sync. A larger count (or over 10 digits) is a framing error
# (counted): that frame is read to LF/NUL or to the next proven frame header.
max_frame_size = "16MiB"
# A connection silent this long is closed.
idle_timeout = "1h"
# Read buffer per connection.
read_buffer = "64KiB"
# Network threads.
threads = 1
# Syslog over TLS (RFC 5425), on an address of its own, e.g. "0.0.0.0:6514",
# beside the plain listener; empty: off. Same framing, limits and idle timeout
# (the handshake included); TLS 1.2 and later only.
tls_listen = ""
# PEM certificate chain (leaf first) and unencrypted PEM key; both required
# when tls_listen is set.
tls_cert = ""
tls_key = ""
# PEM CA bundle; when set, clients must present a certificate it signed.
tls_ca = ""
# UDP address for syslog datagrams (RFC 5426: rsyslog's "@host:port", logger
# -d, Python's default SysLogHandler); empty: off. One datagram is one
# message (a trailing LF or NUL dropped); longer than max_message_size it is
# truncated (counted in syslog.datagrams_truncated).
udp_listen = "0.0.0.0:5140"
# UDP receive threads, each with its own SO_REUSEPORT socket. 0: one per core.
udp_threads = 0
# Kernel receive buffer asked for each UDP socket and the Unix socket (capped
# by net.core.rmem_max unless the process may raise it).
socket_buffer = "4MiB"
# A Unix datagram socket for local senders (logger -u PATH, Python's
# SysLogHandler(address=PATH)), e.g. "/run/hourglass/log"; empty: off. A
# socket file left at the path by an earlier run is replaced; it is removed
# at stop. The directory must exist.
unix_socket = ""
# Permission bits of the socket file. "0666", as /dev/log: every local user
# may log (writing to a socket needs write permission on it).
unix_socket_mode = "0666"
# Datagrams cannot be slowed down: while the audit writer is behind (disk
# full) by more than this many bytes, further datagrams are dropped (counted
# in syslog.datagrams_dropped) instead of blocking the receive threads.
datagram_backlog = "64MiB"
# RELP (rsyslog's omrelp), e.g. "0.0.0.0:2514"; empty: off. A message is
# acknowledged only once written (audit.fsync = "always": and fsynced), so a
# kill -9 loses none; the sender resends what was unacknowledged, at most its
# window (omrelp's windowSize, 128 by default) per session as duplicates.
# max_message_size applies (longer messages are truncated); librelp has no
# connection limit, and one event-loop thread serves every session.
relp_listen = ""

[carbon]
# TCP address for Graphite's plaintext protocol ("name value timestamp" lines,
# tagged names "name;tag=value" too), as carbon's line receiver accepts it:
# collectd, Telegraf's graphite output, carbon senders, backfills.
listen = "0.0.0.0:2003"
# Connections held at once; more are accepted and closed at once (counted).
max_connections = 1024
# Longer lines are dropped and counted in carbon.bad_lines.
max_line_length = "16KiB"
# A connection silent this long is closed.
idle_timeout = "1h"
# Parsed reads (one batch of points each, from every connection) waiting for
# the store writer thread, so that parsing overlaps writing. When full, the
# connections are not read until the writer catches up (back-pressure).
write_queue_batches = 4

[audit]
# Hourly files data_dir/audit/PREFIX-20261121T0500Z.log, one message a line.
prefix = "audit"
# "json": one object per line (receive time, peer, facility, severity, host,
# app, procid, msgid, structured data, message); "raw": the message as
# received with control characters escaped as rsyslog does (#012).
format = "json"
# When lines are forced to disk: "always" (before the sender's next batch
# is read), "interval", or "never" (left to the kernel).
fsync = "interval"
fsync_interval = "1s"

[archive]
# Where sealed hours go: "s3://BUCKET/PREFIX" (with endpoint for Ceph RGW,
# MinIO...) or "file://DIR". Empty: the local directory DATA_DIR/archive,
# with the same key layout as S3.
target = ""
# S3 endpoint URL, e.g. "http://127.0.0.1:7480"; empty: AWS
# (https://s3.REGION.amazonaws.com).
endpoint = ""
# Empty: AWS_REGION / AWS_DEFAULT_REGION, else us-east-1.
region = ""
# "path" (ENDPOINT/BUCKET/KEY), "virtual" (BUCKET.HOST/KEY) or "auto"
# (virtual-hosted on AWS, path-style with an endpoint).
addressing = "auto"
# Credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
# (AWS_SESSION_TOKEN), this TOML file (access_key, secret_key), or
# ~/.aws/credentials, in that order. Never logged.
secrets_file = ""
# An hour is sealed (compressed, checksummed, queued) this long after it ends.
grace = "1m"
# Every interval, the lines added to the open hour since the last shipment
# are sealed and uploaded as a part of the hour of their own
# (audit-20261121T0500Z.log.part-0001.gz, -0002...; at the end of the hour
# only the rest is shipped). "0": whole hours only, sealed once complete.
ship_interval = "5m"
# "gzip" (zcat, Athena), "zstd" or "none".
compression = "gzip"
# Object key of a sealed file. Placeholders: {prefix} (of the target)
# {year} {month} {day} {hour} (UTC, of the audit hour) {host} {filename}
# (audit-20261121T0500Z.log.gz, -2, -3... for later segments of an hour).
key_template = "{prefix}{year}/{month}/{day}/{host}-{filename}"
# {host}; empty: this machine's hostname.
host = ""
# Local audit and sealed files are deleted this long after their hour ends,
# and only once the archive has confirmed them.
keep_local = "7d"
# Sealed files larger than this go up as multipart uploads.
multipart_threshold = "64MiB"
# x-amz-storage-class, e.g. "STANDARD_IA"; empty: the bucket's default.
storage_class = ""
# Server-side encryption: "", "AES256" or "aws:kms".
sse = ""
# Failed uploads are retried forever, the delay doubling up to this cap
# (with jitter).
retry_max = "5m"
# On SIGTERM/SIGINT, mark the partial hour complete, seal it and upload it at
# once; a restart within the same hour then writes a new segment
# (audit-20261121T0500Z-2.log), archived as an object of its own.
seal_on_shutdown = true
# How long shutdown waits for the last uploads (what is left is uploaded at
# the next start).
shutdown_timeout = "10s"
# S3 only: at start, set the bucket lifecycle rule "hourglass-expire-PREFIX"
# so S3 deletes objects under the target's prefix this long after upload;
# whole days ("60d", "8w"), as S3 counts. Other rules are left alone; a
# refusal (needs s3:GetLifecycleConfiguration and s3:PutLifecycleConfiguration)
# is a warning. Empty: the bucket's lifecycle is never read or changed (and a
# rule set earlier stays). Local (file://) targets never expire.
expire_after = ""

[http]
# Graphite API, /health and /metrics.
listen = "127.0.0.1:8080"
threads = 2
max_connections = 512
max_body_size = "1MiB"
# How long a kept-alive connection may wait between requests.
idle_timeout = "60s"
# A request's whole header must arrive within this (counted from the
# connection's start, or from the first byte of a kept-alive request), else
# the connection is closed: slow clients cannot hold connections.
header_timeout = "10s"
# Origins allowed to call the API from a browser (CORS), e.g.
# ["https://grafana.example.com"], or ["*"].
cors_origins = []
# When set, every route but /health requires "Authorization: Bearer TOKEN".
token = ""
# Work one /render request may do, counted before it is done. Points read:
# the values read from the store (each series' points over the time range
# at the step of the archive read, nulls included) plus the buckets
# summarize and hitcount make; all are held in memory while the request is
# evaluated (8 bytes each, some functions hold two copies), so this bounds
# its memory: 10,000,000 keeps one request near 100-200 MB. Points written:
# the datapoints of the answer after maxDataPoints (nulls included);
# answers are streamed, so this bounds time and bandwidth rather than
# memory. Requests over either get a 400 naming the key, counted in
# http.render_refused.
max_points_read = 10000000
max_points_written = 10000000
# Graphite events (POST /events/, GET /events/get_data, events()). One
# event's JSON body may be this large (at most max_body_size) and carry this
# many tags (past either: 413/400, counted in events.rejected); a get_data
# answer holding more
# events than max_events_returned is refused with a 400 naming this key.
max_event_size = "64KiB"
max_event_tags = 64
max_events_returned = 10000
# Events kept in the store: posting one more deletes the oldest (counted in
# events.dropped_oldest). graphite-web keeps every event; a bound keeps a
# client that posts in a loop from filling the disk.
max_events_stored = 100000
# One page of /archive/search (the web page's audit search, over the archive
# and then the local audit files not uploaded yet): at most this many
# matching lines and bytes of them, reading at most search_max_scan of
# archived objects (compressed, as listed) and local files (checked between
# objects, and every 64 KiB inside a local file); past any of them the page
# ends with "more": true and a cursor ("next", passed back as "after") that
# goes on from there.
search_max_lines = 1000
search_max_bytes = "1MiB"
search_max_scan = "256MiB"

[store]
# Metric retentions, finest first, as carbon's storage-schemas.conf writes
# them (STEP:DURATION), for every series that no entry of `schemas` matches.
# The finest step should equal statsd.flush_interval.
retentions = "10s:6h,1m:7d,10m:5y"
# While the store cannot write (disk full), write batches wait in memory up
# to this size and are written once it recovers (it retries every second);
# past it, points are dropped and counted in store.write_errors.
retry_buffer = "128MiB"
# The store's own write-ahead log (data_dir/metrics/wal) of the points not
# yet sealed into blocks: fsync policy as for audit.fsync ("interval": a
# crash of the machine loses at most the last second; "always": every
# write; "never": the kernel decides), and its segment size (a checkpoint
# deletes whole segments).
wal_fsync = "interval"
wal_segment_size = "64MiB"
# A series' open raw block (1 h at 10 s) is sealed this long after its span
# ended once no point came for as long: points later than this for a sealed
# block still land (added to it), at the cost of another write.
seal_lateness = "2m"
# Retentions by series name, like storage-schemas.conf: the first entry whose
# `pattern` (a regular expression, searched in the name without its tags)
# matches decides. For example:
#   [[store.schemas]]
#   name = "collectd"
#   pattern = '^collectd\.'
#   retentions = "1m:30d,1h:2y"
# A series moved to retentions with other steps starts afresh: its earlier
# points are no longer read (carbon needs whisper-resize for that too).
# Changing only how long archives keep points takes effect on stored data.
schemas = []

# How rollups aggregate raw points, like storage-aggregation.conf: the first
# entry whose `pattern` matches decides. aggregationMethod is average, sum,
# min, max or last; a rollup point is null when less than xFilesFactor of its
# raw points are known. A series no entry matches: average, 0.5. Rules apply
# when a rollup is read, so a change applies to stored points too. Setting
# store.aggregation replaces this whole list. These are etsy statsd's rules:
[[store.aggregation]]
name = "min"
pattern = '\.lower$'
aggregationMethod = "min"
xFilesFactor = 0.1

[[store.aggregation]]
name = "max"
pattern = '\.upper(_\d+)?$'
aggregationMethod = "max"
xFilesFactor = 0.1

[[store.aggregation]]
name = "sum"
pattern = '\.sum$'
aggregationMethod = "sum"
xFilesFactor = 0

[[store.aggregation]]
name = "count"
pattern = '\.count$'
aggregationMethod = "sum"
xFilesFactor = 0

[[store.aggregation]]
name = "count_legacy"
pattern = '^stats_counts\.'
aggregationMethod = "sum"
xFilesFactor = 0

[[store.aggregation]]
name = "default_average"
pattern = '.*'
aggregationMethod = "average"
xFilesFactor = 0.3
)toml";
}

}  // namespace hourglass::config
