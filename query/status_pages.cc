#include "query/status_pages.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <iterator>

#include <fmt/format.h>

#include "query/render_format.h"

namespace hourglass::query {
namespace {

// Counters /health shows when present (the rest are on /metrics).
constexpr std::string_view kKeyStats[] = {
    "http.requests",           "http.errors",
    "http.connections_open",   "http.connections_refused",
    "statsd.packets_received", "statsd.bad_lines_seen",
    "statsd.metrics_received", "syslog.messages_received",
    "store.points_written",    "archive.uploads_failed",
    "archive.uploads_done",
};

std::string FormatNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

}  // namespace

HealthPage FormatHealth(const std::vector<common::ComponentHealth>& health,
                        const std::vector<common::StatValue>& stats, std::string_view version) {
  common::HealthState overall = common::HealthState::kOk;
  for (const auto& h : health) overall = std::max(overall, h.state);
  HealthPage page;
  page.status = overall == common::HealthState::kFailed ? 503 : 200;
  std::string& out = page.body;
  out = "{\"status\":";
  AppendJsonString(out, common::HealthStateName(overall));
  out += ",\"version\":";
  AppendJsonString(out, version);
  out += ",\"components\":{";
  for (size_t i = 0; i < health.size(); ++i) {
    if (i) out.push_back(',');
    AppendJsonString(out, health[i].component);
    out += ":{\"state\":";
    AppendJsonString(out, common::HealthStateName(health[i].state));
    out += ",\"detail\":";
    AppendJsonString(out, health[i].detail);
    out.push_back('}');
  }
  out += "},\"counters\":{";
  bool first = true;
  for (const auto& stat : stats) {
    if (std::find(std::begin(kKeyStats), std::end(kKeyStats), stat.name) == std::end(kKeyStats)) {
      continue;
    }
    if (!first) out.push_back(',');
    first = false;
    AppendJsonString(out, stat.name);
    out += ":" + (std::isfinite(stat.value) ? fmt::format("{}", stat.value) : "null");
  }
  out += "}}";
  return page;
}

std::string PrometheusName(std::string_view dotted) {
  std::string name = "hourglass_";
  for (char c : dotted) {
    name.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  }
  return name;
}

std::string FormatPrometheus(const std::vector<common::StatValue>& stats) {
  std::string out;
  auto it = std::back_inserter(out);
  for (const auto& stat : stats) {
    const std::string name = PrometheusName(stat.name);
    std::string help;
    for (char c : stat.help.empty() ? stat.name : stat.help) {
      if (c == '\\')
        help += "\\\\";
      else if (c == '\n')
        help += "\\n";
      else
        help.push_back(c);
    }
    const char* type = stat.kind == common::StatKind::kCounter ? "counter" : "gauge";
    fmt::format_to(it, "# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name,
                   FormatNumber(stat.value));
  }
  return out;
}

}  // namespace hourglass::query
