#include "query/status_pages.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <iterator>
#include <utility>

#include <fmt/format.h>
#include <boost/json/object.hpp>

#include "query/json_answer.h"

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

// Time units spelled in dotted names, exposed in seconds (promtool's lint
// wants base units and no abbreviations).
struct TimeUnit {
  std::string_view suffix;
  double divisor;  // to seconds
};
constexpr TimeUnit kUnits[] = {{"_micros", 1e6}, {"_ms", 1e3}, {"_s", 1}};

// Dotted names whose last word reads as a unit but is not one.
constexpr std::pair<std::string_view, std::string_view> kExposedAs[] = {
    {"archive.pending_hours", "archive.pending_files"},  // a count of hourly files
};

std::string FormatNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

}  // namespace

HealthPage FormatHealth(const std::vector<common::ComponentHealth>& health,
                        const std::vector<common::StatValue>& stats, std::string_view version,
                        int64_t uptime_s) {
  common::HealthState overall = common::HealthState::kOk;
  for (const auto& h : health) overall = std::max(overall, h.state);
  HealthPage page;
  page.status = overall == common::HealthState::kOk ? 200 : 503;
  boost::json::object components;
  for (const auto& h : health) {
    components[JsonText(h.component)] = {{"state", common::HealthStateName(h.state)},
                                         {"detail", JsonText(h.detail)}};
  }
  boost::json::object counters;
  for (const auto& stat : stats) {
    if (std::find(std::begin(kKeyStats), std::end(kKeyStats), stat.name) != std::end(kKeyStats)) {
      counters[stat.name] = JsonNumber(stat.value);
    }
  }
  boost::json::object out{{"status", common::HealthStateName(overall)},
                          {"version", JsonText(version)}};
  if (uptime_s >= 0) out["uptime_s"] = uptime_s;
  out["components"] = std::move(components);
  out["counters"] = std::move(counters);
  page.body = ToJson(out);
  return page;
}

PrometheusName ExposedName(std::string_view dotted, common::StatKind kind) {
  PrometheusName out;
  std::string_view base = dotted;
  for (const auto& [from, to] : kExposedAs) {
    if (base == from) base = to;
  }
  const bool counter = kind == common::StatKind::kCounter;
  if (counter && base.ends_with("_total")) base.remove_suffix(6);
  std::string_view unit;
  for (const auto& time_unit : kUnits) {
    if (base.ends_with(time_unit.suffix)) {
      base.remove_suffix(time_unit.suffix.size());
      out.divisor = time_unit.divisor;
      unit = "_seconds";
      break;
    }
  }
  out.name = "hourglass_";
  for (char c : base) out.name.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  out.name += unit;
  if (counter) out.name += "_total";
  return out;
}

std::string FormatPrometheus(const std::vector<common::StatValue>& stats) {
  std::string out;
  auto it = std::back_inserter(out);
  for (const auto& stat : stats) {
    const auto [name, divisor] = ExposedName(stat.name, stat.kind);
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
                   FormatNumber(stat.value / divisor));
  }
  return out;
}

}  // namespace hourglass::query
