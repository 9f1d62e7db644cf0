// Settings: the one translation of a validated config::Config into the
// options of every component `serve` and `archive` start (statsd receiver,
// aggregator and flush, store, carbon, syslog, audit writer, archive, HTTP).
// Checks that need a component's parser (retentions, schemas, aggregation
// rules, the key template) report {key, reason} problems; main() prints them.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "aggregator/aggregator.h"
#include "archive/audit/audit_writer.h"
#include "archive/shipping/archive_search.h"
#include "archive/shipping/archive_target.h"
#include "config/config.h"
#include "forward/forwarder.h"
#include "ingest/carbon/carbon_server.h"
#include "ingest/statsd/statsd_receiver.h"
#include "ingest/syslog/syslog_datagram.h"
#include "ingest/syslog/syslog_relp.h"
#include "ingest/syslog/syslog_server.h"
#include "query/http_server.h"
#include "store/series_store.h"

namespace hourglass::server {

// One problem of a config that the config layer could not see: the key to
// fix and why (without the key).
struct SettingsProblem {
  std::string key;
  std::string reason;
};

struct Settings {
  std::string data_dir;
  ingest::StatsdReceiverOptions statsd;
  size_t statsd_threads = 1;  // statsd.receive_threads, 0 resolved to the cores
  aggregator::AggregatorOptions aggregator;
  int64_t flush_interval_s = 10;
  store::StoreOptions store;
  ingest::CarbonServerOptions carbon;
  ingest::SyslogServerOptions syslog;
  ingest::SyslogDatagramOptions syslog_datagram;  // UDP and the Unix socket
  ingest::RelpServerOptions relp;                 // off when listen is empty (syslog.relp_listen)
  archive::AuditOptions audit;
  archive::ArchiveSettings archive;
  bool seal_on_shutdown = false;  // archive.seal_on_shutdown
  std::chrono::seconds archive_shutdown_timeout{0};
  // archive.expire_after in days; 0: off
  int64_t archive_expire_after_days = 0;
  query::HttpOptions http;               // without the archive browser (serve adds it)
  archive::SearchLimits archive_search;  // http.search_max_*: /archive/search pages
  // [[forward]] entries
  std::vector<forward::ForwarderOptions> forward;
};

struct SettingsResult {
  Settings settings;
  std::vector<SettingsProblem> problems;  // empty when `settings` is usable
  bool ok() const { return problems.empty(); }
};

// Every component's options from `config`, or every problem found.
SettingsResult SettingsFrom(const config::Config& config);

// The [store] part alone, for the store at `path` into *out; or its first
// problem. main() checks it even when other keys have problems, so a config
// check shows them all at once.
std::optional<SettingsProblem> StoreOptionsFrom(const config::StoreConfig& config, std::string path,
                                                store::StoreOptions* out);

// The [archive] part alone into *out (`hourglass archive` needs nothing
// else); or its first problem.
std::optional<SettingsProblem> ArchiveSettingsFrom(const config::Config& config,
                                                   archive::ArchiveSettings* out);

// "key: reason", for a one-line start-up failure.
std::string Describe(const SettingsProblem& problem);

}  // namespace hourglass::server
