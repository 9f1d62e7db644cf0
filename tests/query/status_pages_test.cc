#include "query/status_pages.h"

#include <cmath>
#include <string>

#include <catch2/catch.hpp>

namespace hourglass::query {
namespace {

using common::StatKind;

TEST_CASE("exposed names: counters end in _total, times in seconds") {
  CHECK(ExposedName("statsd.packets_received", StatKind::kCounter).name ==
        "hourglass_statsd_packets_received_total");
  CHECK(ExposedName("archive.upload_failures.auth", StatKind::kCounter).name ==
        "hourglass_archive_upload_failures_auth_total");
  CHECK(ExposedName("statsd.unique_keys", StatKind::kGauge).name == "hourglass_statsd_unique_keys");
  // A counter already spelled with _total gets one, not two.
  const auto micros = ExposedName("http.render_micros_total", StatKind::kCounter);
  CHECK(micros.name == "hourglass_http_render_seconds_total");
  CHECK(micros.divisor == 1e6);
  const auto ms = ExposedName("flush.duration_ms", StatKind::kGauge);
  CHECK(ms.name == "hourglass_flush_duration_seconds");
  CHECK(ms.divisor == 1e3);
  const auto s = ExposedName("archive.oldest_pending_age_s", StatKind::kGauge);
  CHECK(s.name == "hourglass_archive_oldest_pending_age_seconds");
  CHECK(s.divisor == 1);
  // A count of hourly files, not a duration.
  CHECK(ExposedName("archive.pending_hours", StatKind::kGauge).name ==
        "hourglass_archive_pending_files");
  // Only a whole last word is a unit.
  CHECK(ExposedName("store.items", StatKind::kGauge).name == "hourglass_store_items");
}

TEST_CASE("exposition converts the value with the name") {
  const std::string text = FormatPrometheus({
      {"flush.duration_ms", "", StatKind::kGauge, 1500},
      {"http.errors", "failed requests", StatKind::kCounter, 3},
  });
  CHECK(text ==
        "# HELP hourglass_flush_duration_seconds flush.duration_ms\n"
        "# TYPE hourglass_flush_duration_seconds gauge\n"
        "hourglass_flush_duration_seconds 1.5\n"
        "# HELP hourglass_http_errors_total failed requests\n"
        "# TYPE hourglass_http_errors_total counter\n"
        "hourglass_http_errors_total 3\n");
}

}  // namespace
}  // namespace hourglass::query

namespace hourglass::query {
namespace {

TEST_CASE("/health body: state, version, components, key counters as numbers") {
  using common::HealthState;
  using common::StatKind;
  const std::vector<common::ComponentHealth> health = {
      {"store", HealthState::kDegraded, "disk \"sdb\"\n\xff"}, {"http", HealthState::kOk, ""}};
  const std::vector<common::StatValue> stats = {{"http.requests", "", StatKind::kCounter, 12},
                                                {"not.a.key.stat", "", StatKind::kGauge, 1},
                                                {"http.errors", "", StatKind::kCounter, NAN}};
  const HealthPage page = FormatHealth(health, stats, "1.1.10");
  CHECK(page.status == 503);
  CHECK(page.body ==
        "{\"status\":\"degraded\",\"version\":\"1.1.10\",\"components\":{"
        "\"store\":{\"state\":\"degraded\",\"detail\":\"disk \\\"sdb\\\"\\n\xEF\xBF\xBD\"},"
        "\"http\":{\"state\":\"ok\",\"detail\":\"\"}},"
        "\"counters\":{\"http.requests\":12,\"http.errors\":null}}");
  CHECK(FormatHealth({}, {}, "v").body ==
        R"({"status":"ok","version":"v","components":{},"counters":{}})");
  CHECK(FormatHealth({}, {}, "v", 0).body ==
        R"({"status":"ok","version":"v","uptime_s":0,"components":{},"counters":{}})");
}

}  // namespace
}  // namespace hourglass::query
