#include "query/render_format.h"

#include <cmath>
#include <ctime>
#include <iterator>

#include <fmt/compile.h>
#include <fmt/format.h>

namespace hourglass::query {

std::string PyFloatRepr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  std::string s = fmt::format("{}", value);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

void AppendJsonString(std::string& out, std::string_view text) {
  out.push_back('"');
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", u);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

namespace {

void AppendTags(std::string& out, const Series& s) {
  out += "{";
  bool first = true;
  for (const auto& [key, value] : s.tags) {
    if (!first) out.push_back(',');
    first = false;
    AppendJsonString(out, key);
    out.push_back(':');
    AppendJsonString(out, value);
  }
  out += "}";
}

// The hot loop of every render: each pair is formatted into a stack buffer
// (fmt's shortest round-trip form, format string compiled) and appended once.
void AppendDatapoints(std::string& out, const Series& s, bool no_null_points) {
  const std::vector<double> values = ConsolidatedValues(s);
  const int64_t stride = s.step * std::max<int64_t>(1, s.values_per_point);
  out.reserve(out.size() + values.size() * 20 + 2);
  out.push_back('[');
  bool first = true;
  int64_t ts = s.start;
  char buf[80];
  for (size_t i = 0; i < values.size() && ts <= s.end && stride > 0; ++i, ts += stride) {
    const double v = values[i];
    const bool null = !std::isfinite(v);
    if (null && no_null_points) continue;
    char* p = buf;
    if (!first) *p++ = ',';
    first = false;
    p = null ? fmt::format_to(p, FMT_COMPILE("[null,{}]"), ts)
             : fmt::format_to(p, FMT_COMPILE("[{},{}]"), v, ts);
    out.append(buf, static_cast<size_t>(p - buf));
  }
  out.push_back(']');
}

bool HasPoint(const Series& s) {
  for (double v : ConsolidatedValues(s)) {
    if (std::isfinite(v)) return true;
  }
  return false;
}

// Python csv (excel dialect) quoting of one field.
void AppendCsvField(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += field;
    return;
  }
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

std::string FormatJson(const SeriesList& list, bool no_null_points) {
  std::string out;
  size_t points = 0;
  for (const Series& s : list) points += s.values.size();
  out.reserve(64 + points * 24);
  out.push_back('[');
  bool first = true;
  for (const Series& s : list) {
    if (no_null_points && !HasPoint(s)) continue;
    if (!first) out.push_back(',');
    first = false;
    out += "{\"target\":";
    AppendJsonString(out, s.name);
    out += ",\"tags\":";
    AppendTags(out, s);
    out += ",\"datapoints\":";
    AppendDatapoints(out, s, no_null_points);
    out.push_back('}');
  }
  out.push_back(']');
  return out;
}

std::string FormatCsv(const SeriesList& list) {
  std::string out;
  for (const Series& s : list) {
    const std::vector<double> values = ConsolidatedValues(s);
    const int64_t stride = s.step * std::max<int64_t>(1, s.values_per_point);
    for (size_t i = 0; i < values.size(); ++i) {
      const time_t ts = static_cast<time_t>(s.start + static_cast<int64_t>(i) * stride);
      std::tm tm{};
      gmtime_r(&ts, &tm);
      char date[32];
      std::strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
      AppendCsvField(out, s.name);
      out.push_back(',');
      out += date;
      out.push_back(',');
      if (!std::isnan(values[i])) out += PyFloatRepr(values[i]);
      out += "\r\n";
    }
  }
  return out;
}

std::string FormatRaw(const SeriesList& list) {
  std::string out;
  auto it = std::back_inserter(out);
  for (const Series& s : list) {
    fmt::format_to(it, "{},{},{},{}|", s.name, s.start, s.end,
                   s.step * std::max<int64_t>(1, s.values_per_point));
    bool first = true;
    for (double v : ConsolidatedValues(s)) {
      if (!first) out.push_back(',');
      first = false;
      out += std::isnan(v) ? "None" : PyFloatRepr(v);
    }
    out.push_back('\n');
  }
  return out;
}

}  // namespace hourglass::query
