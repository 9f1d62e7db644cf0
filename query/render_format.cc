#include "query/render_format.h"

#include "common/utc_time.h"

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

// A point noNullPoints keeps: graphite-web drops None and NaN, not infinities.
bool HasPoint(std::span<const double> values) {
  for (double v : values) {
    if (!std::isnan(v)) return true;
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

RenderWriter::RenderWriter(const SeriesList& list, RenderFormat format, bool no_null_points,
                           std::string_view jsonp)
    : list_(list), format_(format), no_null_points_(no_null_points), jsonp_(jsonp) {}

bool RenderWriter::Next(std::string& out, size_t limit) {
  const bool json = format_ == RenderFormat::kJson;
  if (state_ == State::kOpen) {
    if (json && !jsonp_.empty()) out += jsonp_ + "(";
    if (json) out.push_back('[');
    state_ = State::kSeriesStart;
  }
  while (state_ != State::kDone && out.size() < limit) {
    if (state_ == State::kSeriesStart) {
      if (series_ == list_.size()) {
        if (json) out += jsonp_.empty() ? "]" : "])";
        state_ = State::kDone;
        break;
      }
      if (!BeginSeries(out)) {
        ++series_;
        continue;
      }
      state_ = State::kPoints;
    }
    if (WritePoints(out, limit)) {
      if (json) out += "]}";
      if (format_ == RenderFormat::kRaw) out.push_back('\n');
      consolidated_.clear();
      values_ = {};
      ++series_;
      state_ = State::kSeriesStart;
    }
  }
  return state_ != State::kDone;
}

// Sets up series_ and writes what comes before its points; false when it is
// left out (JSON with noNullPoints and no point).
bool RenderWriter::BeginSeries(std::string& out) {
  const Series& s = list_[series_];
  if (s.values_per_point > 1) {
    consolidated_ = ConsolidatedValues(s);
    values_ = consolidated_;
  } else {
    values_ = s.values;
  }
  stride_ = s.step * std::max<int64_t>(1, s.values_per_point);
  point_ = 0;
  ts_ = s.start;
  first_point_ = true;
  switch (format_) {
    case RenderFormat::kJson:
      if (no_null_points_ && !HasPoint(values_)) return false;
      if (!first_series_) out.push_back(',');
      out += "{\"target\":";
      AppendJsonString(out, s.name);
      out += ",\"tags\":";
      AppendTags(out, s);
      out += ",\"datapoints\":[";
      break;
    case RenderFormat::kRaw:
      fmt::format_to(std::back_inserter(out), "{},{},{},{}|", s.name, s.start, s.end, stride_);
      break;
    case RenderFormat::kCsv:
      break;
  }
  first_series_ = false;
  return true;
}

// Writes points of series_ until `out` reaches `limit`; true once all are.
bool RenderWriter::WritePoints(std::string& out, size_t limit) {
  switch (format_) {
    case RenderFormat::kJson:
      return WriteJsonPoints(out, limit);
    case RenderFormat::kCsv:
      return WriteCsvPoints(out, limit);
    case RenderFormat::kRaw:
      return WriteRawPoints(out, limit);
  }
  return true;
}

// The hot loop of every render: each pair is formatted into a stack buffer
// (fmt's shortest round-trip form, format string compiled) and appended once.
bool RenderWriter::WriteJsonPoints(std::string& out, size_t limit) {
  const int64_t end = list_[series_].end;
  const size_t n = values_.size();
  if (limit > out.size())
    out.reserve(out.size() + std::min((n - point_) * 20, limit - out.size()) + 64);
  char buf[80];
  for (; point_ < n && ts_ <= end && stride_ > 0; ++point_, ts_ += stride_) {
    if (out.size() >= limit) return false;
    const double v = values_[point_];
    const bool null = std::isnan(v);
    if (null && no_null_points_) continue;
    char* p = buf;
    if (!first_point_) *p++ = ',';
    first_point_ = false;
    if (null) {
      p = fmt::format_to(p, FMT_COMPILE("[null,{}]"), ts_);
    } else if (std::isinf(v)) {  // graphite-web's json: Infinity -> 1e9999
      p = fmt::format_to(p, FMT_COMPILE("[{}1e9999,{}]"), v < 0 ? "-" : "", ts_);
    } else {
      p = fmt::format_to(p, FMT_COMPILE("[{},{}]"), v, ts_);
    }
    out.append(buf, static_cast<size_t>(p - buf));
  }
  return true;
}

bool RenderWriter::WriteCsvPoints(std::string& out, size_t limit) {
  const Series& s = list_[series_];
  for (; point_ < values_.size(); ++point_) {
    if (out.size() >= limit) return false;
    const common::CivilTime c =
        common::CivilFromSeconds(s.start + static_cast<int64_t>(point_) * stride_);
    char date[32];
    *fmt::format_to_n(date, sizeof(date) - 1, FMT_COMPILE("{:04}-{:02}-{:02} {:02}:{:02}:{:02}"),
                      c.year, c.month, c.day, c.hour, c.minute, c.second)
         .out = '\0';
    AppendCsvField(out, s.name);
    out.push_back(',');
    out += date;
    out.push_back(',');
    if (!std::isnan(values_[point_])) out += PyFloatRepr(values_[point_]);
    out += "\r\n";
  }
  return true;
}

bool RenderWriter::WriteRawPoints(std::string& out, size_t limit) {
  for (; point_ < values_.size(); ++point_) {
    if (out.size() >= limit) return false;
    if (point_ > 0) out.push_back(',');
    const double v = values_[point_];
    out += std::isnan(v) ? "None" : PyFloatRepr(v);
  }
  return true;
}

RenderStream::RenderStream(SeriesList list, RenderFormat format, bool no_null_points,
                           std::string_view jsonp)
    : list_(std::move(list)), writer_(list_, format, no_null_points, jsonp) {}

bool RenderStream::Next(std::string& out, size_t limit) {
  const bool more = writer_.Next(out, limit);
  for (; freed_ < writer_.series_done(); ++freed_) list_[freed_] = Series{};
  return more;
}

std::string FormatJson(const SeriesList& list, bool no_null_points) {
  std::string out;
  size_t points = 0;
  for (const Series& s : list) points += s.values.size();
  out.reserve(64 + points * 24);
  RenderWriter(list, RenderFormat::kJson, no_null_points).Next(out, SIZE_MAX);
  return out;
}

std::string FormatCsv(const SeriesList& list) {
  std::string out;
  RenderWriter(list, RenderFormat::kCsv).Next(out, SIZE_MAX);
  return out;
}

std::string FormatRaw(const SeriesList& list) {
  std::string out;
  RenderWriter(list, RenderFormat::kRaw).Next(out, SIZE_MAX);
  return out;
}

}  // namespace hourglass::query
