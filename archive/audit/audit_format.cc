#include "archive/audit/audit_format.h"

#include <fmt/format.h>

#include "common/json_escape.h"
#include "common/utc_time.h"

namespace hourglass::archive {
namespace {

constexpr int64_t kMicrosPerHour = 3'600'000'000LL;

constexpr std::string_view kFacilities[] = {
    "kern",   "user",   "mail",     "daemon", "auth",   "syslog", "lpr",    "news",
    "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "audit",  "alert",  "clock",
    "local0", "local1", "local2",   "local3", "local4", "local5", "local6", "local7"};
constexpr std::string_view kSeverities[] = {"emerg",   "alert",  "crit", "err",
                                            "warning", "notice", "info", "debug"};

void AppendJsonOrNull(std::string_view s, std::string& out) {
  if (s.empty()) {
    out += "null";
  } else {
    common::AppendJsonString(out, s);
  }
}

// RFC 5424 PARAM-VALUE: \" \\ \] stand for the character; any other
// backslash is literal.
std::string UnescapeSdValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size() &&
        (v[i + 1] == '"' || v[i + 1] == '\\' || v[i + 1] == ']')) {
      ++i;
    }
    out += v[i];
  }
  return out;
}

// {"id":{"name":"value",...},...}; a name that repeats becomes an array.
void AppendStructuredData(const std::vector<SdElement>& elements, std::string& out) {
  out += '{';
  for (size_t e = 0; e < elements.size(); ++e) {
    if (e) out += ',';
    common::AppendJsonString(out, elements[e].id);
    out += ":{";
    const auto& params = elements[e].params;
    bool first = true;
    for (size_t p = 0; p < params.size(); ++p) {
      bool seen = false;
      for (size_t q = 0; q < p && !seen; ++q) seen = params[q].name == params[p].name;
      if (seen) continue;
      if (!first) out += ',';
      first = false;
      common::AppendJsonString(out, params[p].name);
      out += ':';
      std::vector<size_t> same;
      for (size_t q = p; q < params.size(); ++q) {
        if (params[q].name == params[p].name) same.push_back(q);
      }
      if (same.size() > 1) out += '[';
      for (size_t k = 0; k < same.size(); ++k) {
        if (k) out += ',';
        common::AppendJsonString(out, UnescapeSdValue(params[same[k]].value));
      }
      if (same.size() > 1) out += ']';
    }
    out += '}';
  }
  out += '}';
}

std::string_view FormatName(SyslogFormat format) {
  switch (format) {
    case SyslogFormat::kRfc3164:
      return "rfc3164";
    case SyslogFormat::kRfc5424:
      return "rfc5424";
    case SyslogFormat::kUnparsed:
      break;
  }
  return "unparsed";
}

void AppendJson(const AuditRecord& r, std::string& out) {
  out += "{\"received\":\"";
  out += Rfc3339Micros(r.received_micros);
  out += "\",\"peer\":";
  AppendJsonOrNull(r.peer, out);
  out += ",\"format\":\"";
  out += FormatName(r.format);
  out += "\",\"facility\":";
  AppendJsonOrNull(FacilityName(r.facility), out);
  out += ",\"severity\":";
  AppendJsonOrNull(SeverityName(r.severity), out);
  out += ",\"timestamp\":";
  if (r.timestamp_utc) {
    const common::CivilTime& t = *r.timestamp_utc;
    fmt::format_to(std::back_inserter(out), "\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z\"", t.year,
                   t.month, t.day, t.hour, t.minute, t.second);
  } else {
    AppendJsonOrNull(r.timestamp, out);
  }
  const std::pair<std::string_view, std::string_view> fields[] = {
      {"host", r.host}, {"app", r.app}, {"procid", r.procid}, {"msgid", r.msgid}};
  for (const auto& [name, value] : fields) {
    fmt::format_to(std::back_inserter(out), ",\"{}\":", name);
    AppendJsonOrNull(value, out);
  }
  out += ",\"structured_data\":";
  if (r.structured_data.empty()) {
    out += "null";
  } else {
    AppendStructuredData(r.structured_data, out);
  }
  out += ",\"message\":";
  common::AppendJsonString(out, r.message);
  if (r.bom) out += ",\"bom\":true";
  if (r.truncated) out += ",\"truncated\":true";
  out += '}';
}

void AppendRaw(std::string_view raw, std::string& out) {
  for (const char ch : raw) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) {
      fmt::format_to(std::back_inserter(out), "#{:03o}", c);
    } else {
      out += ch;
    }
  }
}

}  // namespace

common::Result<AuditFormat> ParseAuditFormat(std::string_view text) {
  if (text == "json") return AuditFormat::kJson;
  if (text == "raw") return AuditFormat::kRaw;
  return common::Status::Error("must be \"json\" or \"raw\", not \"" + std::string(text) + "\"");
}

void AppendAuditLine(AuditFormat format, const AuditRecord& record, std::string& out) {
  if (format == AuditFormat::kRaw) {
    AppendRaw(record.raw, out);
  } else {
    AppendJson(record, out);
  }
}

std::string_view FacilityName(int facility) {
  if (facility < 0 || facility >= static_cast<int>(std::size(kFacilities))) return {};
  return kFacilities[facility];
}

std::string_view SeverityName(int severity) {
  if (severity < 0 || severity >= static_cast<int>(std::size(kSeverities))) return {};
  return kSeverities[severity];
}

int64_t HourOf(int64_t micros) {
  return micros >= 0 ? micros / kMicrosPerHour : -((-micros + kMicrosPerHour - 1) / kMicrosPerHour);
}

std::string HourStamp(int64_t hour) { return common::HourStamp(hour); }

std::string Rfc3339Micros(int64_t micros) {
  int64_t seconds = micros / 1'000'000;
  int64_t fraction = micros % 1'000'000;
  if (fraction < 0) fraction += 1'000'000, --seconds;
  const common::CivilTime c = common::CivilFromSeconds(seconds);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", c.year, c.month, c.day, c.hour,
                     c.minute, c.second, fraction);
}

}  // namespace hourglass::archive
