#include "config/config.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

using namespace hourglass::config;

namespace {

// A config file in a temp dir, removed at scope exit.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    path_ = std::filesystem::temp_directory_path() /
            ("hourglass-config-test-" + std::to_string(getpid()) + "-" + std::to_string(++n_) +
             ".toml");
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  static inline int n_ = 0;
  std::filesystem::path path_;
};

}  // namespace

TEST_CASE("embedded defaults load with no file and match the spec") {
  auto r = LoadConfig("", {});
  REQUIRE(r.ok());
  CHECK(r.config.data_dir == "./hourglass-data");
  CHECK(r.config.statsd.listen == "0.0.0.0:8125");
  CHECK(r.config.statsd.flush_interval_s == 10);
  CHECK(r.config.statsd.percent_thresholds == std::vector<double>{90});
  CHECK(r.config.statsd.legacy_namespace);
  CHECK_FALSE(r.config.statsd.delete_gauges);
  CHECK(r.config.http.listen == "127.0.0.1:8080");
  CHECK(r.config.http.max_body_bytes == 1 << 20);
  CHECK(r.config.store.retentions == "10s:6h,1m:7d,10m:5y");
}

TEST_CASE("--set overrides take bare strings, numbers and arrays") {
  auto r = LoadConfig("", {"statsd.listen=127.0.0.1:9125", "statsd.flush_interval=5s",
                           "statsd.percent_thresholds=[90, 99.5, -10]", "http.threads=4",
                           "statsd.delete_idle_stats=true"});
  REQUIRE(r.ok());
  CHECK(r.config.statsd.listen == "127.0.0.1:9125");
  CHECK(r.config.statsd.flush_interval_s == 5);
  CHECK(r.config.statsd.percent_thresholds == std::vector<double>{90, 99.5, -10});
  CHECK(r.config.http.threads == 4);
  CHECK(r.config.statsd.delete_counters);
  CHECK(r.config.statsd.delete_gauges);
  CHECK(r.locations["statsd.listen"] == "--set");
}

TEST_CASE("http.max_event_size may equal http.max_body_size, not exceed it") {
  auto equal = LoadConfig("", {"http.max_body_size=2MiB", "http.max_event_size=2MiB"});
  CHECK(equal.ok());
  auto over = LoadConfig("", {"http.max_body_size=2MiB", "http.max_event_size=2097153"});
  REQUIRE(over.problems.size() == 1);
  CHECK(over.problems[0].find("http.max_event_size: must not exceed http.max_body_size") !=
        std::string::npos);
}

TEST_CASE("a config file overrides defaults and --set overrides the file") {
  TempFile file("data_dir = \"/tmp/x\"\n[statsd]\nlisten = \"127.0.0.1:1\"\n");
  auto r = LoadConfig(file.path(), {"statsd.listen=127.0.0.1:2"});
  REQUIRE(r.ok());
  CHECK(r.config.data_dir == "/tmp/x");
  CHECK(r.config.statsd.listen == "127.0.0.1:2");
}

TEST_CASE("problems name file, line, key and reason") {
  TempFile file(
      "data_dir = \"/tmp/x\"\n[statsd]\nlisten = 8125\nbogus = 1\nflush_interval = \"soon\"\n");
  auto r = LoadConfig(file.path(), {});
  REQUIRE(r.problems.size() == 3);
  CHECK(r.problems[0] == file.path() + ":4: statsd.bogus: unknown key");
  CHECK(r.problems[1] == file.path() + ":3: statsd.listen: must be a string \"HOST:PORT\"");
  CHECK(r.problems[2].rfind(file.path() + ":5: statsd.flush_interval: must be a duration", 0) == 0);
}

TEST_CASE("syntax errors and missing files are reported with their location") {
  TempFile file("[statsd\nlisten = 1\n");
  auto r = LoadConfig(file.path(), {});
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].rfind(file.path() + ":1: ", 0) == 0);
  auto missing = LoadConfig("/nonexistent/hourglass.toml", {});
  REQUIRE(missing.problems.size() == 1);
  CHECK(missing.problems[0].rfind("/nonexistent/hourglass.toml:", 0) == 0);
}

TEST_CASE("bad --set values and keys are refused") {
  CHECK_FALSE(LoadConfig("", {"statsd.listen"}).ok());
  CHECK_FALSE(LoadConfig("", {"nosuch.key=1"}).ok());
  CHECK_FALSE(LoadConfig("", {"statsd=1"}).ok());
  CHECK_FALSE(LoadConfig("", {"statsd.receive_threads=-1"}).ok());
  CHECK_FALSE(LoadConfig("", {"statsd.percent_thresholds=[0]"}).ok());
  CHECK_FALSE(LoadConfig("", {"http.listen=localhost"}).ok());
  // serve binds numeric addresses only: config check says so, not only serve.
  auto named = LoadConfig("", {"statsd.listen=localhost:8125"});
  REQUIRE(named.problems.size() == 1);
  CHECK(named.problems[0] == "--set: statsd.listen: must be HOST:PORT");
  CHECK_FALSE(LoadConfig("", {"syslog.tls_listen=localhost:6514"}).ok());
  CHECK_FALSE(LoadConfig("", {"log.level=loud"}).ok());
  auto r = LoadConfig("", {"statsd.max_keys=0"});
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0] == "--set: statsd.max_keys: must be from 1 to 100000000");
  CHECK_FALSE(LoadConfig("", {"statsd.evict_idle_windows=0"}).ok());
  auto one = LoadConfig("", {"statsd.evict_idle_windows=1"});
  REQUIRE(one.ok());
  CHECK(one.config.statsd.evict_idle_windows == 1);
  CHECK(LoadConfig("", {}).config.statsd.evict_idle_windows == 6);
}

TEST_CASE("durations and sizes") {
  CHECK(ParseDurationSeconds("10s") == 10);
  CHECK(ParseDurationSeconds("10") == 10);
  CHECK(ParseDurationSeconds("5m") == 300);
  CHECK(ParseDurationSeconds("5min") == 300);
  CHECK(ParseDurationSeconds("2h") == 7200);
  CHECK(ParseDurationSeconds("7d") == 604800);
  // The unit words of carbon retentions too (common/duration.h).
  CHECK(ParseDurationSeconds("2hours") == 7200);
  CHECK(ParseDurationSeconds("1 week") == 604800);
  CHECK(ParseDurationSeconds("30 seconds") == 30);
  CHECK(ParseDurationSeconds("x") == -1);
  CHECK(ParseDurationSeconds("-5s") == -1);
  CHECK(ParseDurationSeconds("5 parsecs") == -1);
  CHECK(ParseByteSize("64KiB") == 65536);
  CHECK(ParseByteSize("16MiB") == 16 << 20);
  CHECK(ParseByteSize("1MB") == 1000000);
  CHECK(ParseByteSize("12") == 12);
  CHECK(ParseByteSize("12XB") == -1);
}

TEST_CASE("archive keys: defaults, overrides and validation") {
  auto r = LoadConfig("", {});
  REQUIRE(r.ok());
  const ArchiveConfig& a = r.config.archive;
  CHECK(a.target.empty());  // file://data_dir/archive
  CHECK(a.grace_s == 60);
  CHECK(a.compression == "gzip");
  CHECK(a.key_template == "{prefix}{year}/{month}/{day}/{host}-{filename}");
  CHECK_FALSE(a.host.empty());  // the machine's hostname
  CHECK(a.keep_local_s == 7 * 86400);
  CHECK(a.multipart_threshold_bytes == 64u << 20);
  CHECK(a.addressing == "auto");
  CHECK(a.seal_on_shutdown);
  CHECK(a.retry_max_s == 300);

  auto s = LoadConfig(
      "", {"archive.target=s3://logs/hg", "archive.endpoint=http://127.0.0.1:7480",
           "archive.compression=zstd", "archive.host=web-1", "archive.keep_local=0",
           "archive.multipart_threshold=8MiB", "archive.sse=AES256", "archive.addressing=path"});
  REQUIRE(s.ok());
  CHECK(s.config.archive.target == "s3://logs/hg");
  CHECK(s.config.archive.compression == "zstd");
  CHECK(s.config.archive.host == "web-1");
  CHECK(s.config.archive.keep_local_s == 0);
  CHECK(s.config.archive.multipart_threshold_bytes == 8u << 20);

  auto bad = LoadConfig(
      "", {"archive.target=ftp://x", "archive.compression=lz4", "archive.endpoint=127.0.0.1:7480",
           "archive.sse=des", "archive.multipart_threshold=1MiB", "archive.addressing=dns"});
  CHECK(bad.problems.size() == 6);
  for (const auto& problem : bad.problems) CHECK(problem.find("--set: archive.") == 0);
}

TEST_CASE("store WAL and seal keys: defaults, overrides at their bounds, bad words refused") {
  auto r = LoadConfig("", {});
  REQUIRE(r.ok());
  CHECK(r.config.store.wal_fsync == "interval");
  CHECK(r.config.store.wal_segment_bytes == 64u << 20);
  CHECK(r.config.store.seal_lateness_s == 120);
  auto s = LoadConfig(
      "", {"store.wal_fsync=always", "store.wal_segment_size=1MiB", "store.seal_lateness=10s"});
  REQUIRE(s.ok());
  CHECK(s.config.store.wal_fsync == "always");
  CHECK(s.config.store.wal_segment_bytes == 1u << 20);
  CHECK(s.config.store.seal_lateness_s == 10);
  auto bad = LoadConfig("", {"store.wal_fsync=sometimes", "store.wal_segment_size=1048575",
                             "store.seal_lateness=9s"});
  CHECK(bad.problems.size() == 3);
  for (const auto& problem : bad.problems) CHECK(problem.find("--set: store.") == 0);
}

TEST_CASE("store schemas and aggregation rules: carbon's keys, defaults replaced whole") {
  auto defaults = LoadConfig("", {});
  REQUIRE(defaults.ok());
  CHECK(defaults.config.store.schemas.empty());
  REQUIRE(defaults.config.store.aggregation.size() == 6);  // etsy statsd's rules
  const StoreAggregationConfig& min = defaults.config.store.aggregation[0];
  CHECK(min.name == "min");
  CHECK(min.pattern == "\\.lower$");
  CHECK(min.method == "min");
  CHECK(min.x_files_factor == Approx(0.1));

  TempFile file(
      "[[store.schemas]]\n"
      "name = \"collectd\"\n"
      "pattern = '^collectd\\.'\n"
      "retentions = \"1m:30d,1h:2y\"\n"
      "[[store.aggregation]]\n"
      "pattern = '\\.p99$'\n"
      "aggregationMethod = \"max\"\n");
  auto r = LoadConfig(file.path(), {});
  REQUIRE(r.ok());
  REQUIRE(r.config.store.schemas.size() == 1);
  CHECK(r.config.store.schemas[0].name == "collectd");
  CHECK(r.config.store.schemas[0].pattern == "^collectd\\.");
  CHECK(r.config.store.schemas[0].retentions == "1m:30d,1h:2y");
  REQUIRE(r.config.store.aggregation.size() == 1);  // the file's list replaces the defaults
  CHECK(r.config.store.aggregation[0].name == "rule1");
  CHECK(r.config.store.aggregation[0].method == "max");
  CHECK(r.config.store.aggregation[0].x_files_factor == 0.5);  // carbon's default

  TempFile bad(
      "[store]\n"
      "schemas = [{ pattern = 'x' }, 3]\n"
      "aggregation = [{ pattern = 'y', xFilesFactor = 2, method = \"sum\" }]\n");
  auto b = LoadConfig(bad.path(), {});
  const std::string at2 = bad.path() + ":2: store.schemas", at3 = bad.path() + ":3: ";
  CHECK(std::count(b.problems.begin(), b.problems.end(), at2 + ".retentions: is required") == 1);
  CHECK(std::count(b.problems.begin(), b.problems.end(), at2 + ": each entry must be a table") ==
        1);
  CHECK(std::count(b.problems.begin(), b.problems.end(),
                   at3 + "store.aggregation.xFilesFactor: must be a number from 0 to 1") == 1);
  CHECK(std::count(b.problems.begin(), b.problems.end(),
                   at3 + "store.aggregation.method: unknown key") == 1);
}

TEST_CASE("[[forward]] entries: defaults, and max_queue at its bound") {
  auto defaults = LoadConfig("", {});
  REQUIRE(defaults.ok());
  CHECK(defaults.config.forward.empty());

  TempFile file(
      "[[forward]]\n"
      "carbon = \"vm.example:2003\"\n"
      "[[forward]]\n"
      "name = \"central\"\n"
      "carbon = \"[::1]:2003\"\n"
      "pattern = '^stats\\.'\n"
      "max_queue = \"16KiB\"\n"
      "fsync = \"always\"\n"
      "resend_window = \"0s\"\n");
  auto r = LoadConfig(file.path(), {});
  REQUIRE(r.ok());
  REQUIRE(r.config.forward.size() == 2);
  const ForwardConfig& first = r.config.forward[0];
  CHECK(first.name == "forward1");
  CHECK(first.pattern.empty());
  CHECK(first.max_queue_bytes == int64_t{1} << 30);
  CHECK(first.fsync == "interval");
  CHECK(first.fsync_interval_ms == 1000);
  CHECK(first.resend_window_ms == 5000);
  CHECK(first.unreachable_after_ms == 30'000);
  const ForwardConfig& second = r.config.forward[1];
  CHECK(second.name == "central");
  CHECK(second.carbon == "[::1]:2003");
  CHECK(second.max_queue_bytes == 16 << 10);  // the smallest bound passes
  CHECK(second.resend_window_ms == 0);

  TempFile bad(
      "[[forward]]\n"
      "name = \"a/b\"\n"
      "carbon = \"nohost\"\n"
      "max_queue = 16383\n"
      "fsync = \"sometimes\"\n"
      "colour = 1\n"
      "[[forward]]\n"
      "name = \"x\"\n"
      "[[forward]]\n"
      "name = \"x\"\n"
      "carbon = \"h:1\"\n");
  auto b = LoadConfig(bad.path(), {});
  std::string all;
  for (const auto& p : b.problems) all += p + "\n";
  INFO(all);
  CHECK(all.find("forward.max_queue: must be a size from 16384") != std::string::npos);
  CHECK(all.find("a/b: name must be") != std::string::npos);
  CHECK(all.find("a/b: carbon must be \"host:port\"") != std::string::npos);
  CHECK(all.find("fsync must be one of") != std::string::npos);
  CHECK(all.find("forward.colour: unknown key") != std::string::npos);
  CHECK(all.find("forward.carbon: is required") != std::string::npos);
  CHECK(all.find("x: two entries with this name") != std::string::npos);
}

TEST_CASE("carbon.write_queue_batches: default, accepted at its bounds, refused past them") {
  auto r = LoadConfig("", {});
  REQUIRE(r.ok());
  CHECK(r.config.carbon.write_queue_batches == 4);
  for (const char* ok : {"carbon.write_queue_batches=1", "carbon.write_queue_batches=1024"}) {
    auto s = LoadConfig("", {ok});
    CHECK(s.ok());
  }
  CHECK(LoadConfig("", {"carbon.write_queue_batches=1"}).config.carbon.write_queue_batches == 1);
  for (const char* bad : {"carbon.write_queue_batches=0", "carbon.write_queue_batches=1025"}) {
    auto s = LoadConfig("", {bad});
    REQUIRE(s.problems.size() == 1);
    CHECK(s.problems[0].find("--set: carbon.write_queue_batches") == 0);
  }
}
