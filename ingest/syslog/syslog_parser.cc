#include "ingest/syslog/syslog_parser.h"

#include <algorithm>
#include <array>

namespace hourglass::ingest {
namespace {

using archive::AuditRecord;
using archive::SdElement;
using archive::SdParam;
using archive::SyslogFormat;

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsPrintUsAscii(char c) { return c >= 33 && c <= 126; }

// Reads `n` digits at s[pos] into `out` if they are all digits and in range.
bool Number(std::string_view s, size_t pos, size_t n, int min, int max, int* out = nullptr) {
  if (pos + n > s.size()) return false;
  int value = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!IsDigit(s[i])) return false;
    value = value * 10 + (s[i] - '0');
  }
  if (out) *out = value;
  return value >= min && value <= max;
}

// "<PRI>": 1-3 digits, at most 191. Returns the length consumed, 0 if none.
size_t ParsePri(std::string_view s, int& pri) {
  if (s.empty() || s[0] != '<') return 0;
  size_t i = 1;
  pri = 0;
  while (i < s.size() && i <= 3 && IsDigit(s[i])) pri = pri * 10 + (s[i++] - '0');
  if (i == 1 || i >= s.size() || s[i] != '>' || pri > 191) return 0;
  return i + 1;
}

// A cursor over the part of the message after PRI.
struct Cursor {
  std::string_view s;
  size_t pos = 0;

  bool AtEnd() const { return pos >= s.size(); }
  char Peek() const { return AtEnd() ? '\0' : s[pos]; }
  bool Skip(char c) {
    if (Peek() != c || AtEnd()) return false;
    ++pos;
    return true;
  }
  std::string_view Rest() const { return AtEnd() ? std::string_view() : s.substr(pos); }

  // RFC 5424 header field: 1..max PRINTUSASCII then SP; "-" reads as empty.
  bool Field(size_t max, std::string_view& out) {
    const size_t start = pos;
    while (!AtEnd() && IsPrintUsAscii(s[pos])) ++pos;
    const size_t n = pos - start;
    if (n == 0 || n > max || !Skip(' ')) return false;
    out = s.substr(start, n);
    if (out == "-") out = {};
    return true;
  }

  // SD-NAME: 1-32 PRINTUSASCII except '=', SP, ']', '"'.
  std::string_view SdName() {
    const size_t start = pos;
    while (!AtEnd() && IsPrintUsAscii(s[pos]) && s[pos] != '=' && s[pos] != ']' && s[pos] != '"' &&
           pos - start < 32) {
      ++pos;
    }
    return s.substr(start, pos - start);
  }
};

// '"' PARAM-VALUE '"', with \" \\ \] escapes left in place.
bool SdValue(Cursor& c, std::string_view& value) {
  if (!c.Skip('"')) return false;
  const size_t start = c.pos;
  while (!c.AtEnd() && c.s[c.pos] != '"') c.pos += c.s[c.pos] == '\\' ? 2 : 1;
  if (c.AtEnd()) return false;
  value = c.s.substr(start, c.pos - start);
  return c.Skip('"');
}

bool StructuredData(Cursor& c, std::vector<SdElement>& out) {
  if (c.Skip('-')) return true;
  if (c.Peek() != '[') return false;
  while (c.Skip('[')) {
    SdElement element;
    element.id = c.SdName();
    if (element.id.empty()) return false;
    while (c.Skip(' ')) {
      SdParam param;
      param.name = c.SdName();
      if (param.name.empty() || !c.Skip('=') || !SdValue(c, param.value)) return false;
      element.params.push_back(param);
    }
    if (!c.Skip(']')) return false;
    out.push_back(std::move(element));
  }
  return true;
}

bool ParseRfc5424(std::string_view body, AuditRecord& r) {
  Cursor c{body};
  if (!c.Skip('1') || !c.Skip(' ')) return false;
  if (!c.Field(64, r.timestamp) || (!r.timestamp.empty() && !IsRfc5424Timestamp(r.timestamp))) {
    return false;
  }
  if (!c.Field(255, r.host) || !c.Field(48, r.app) || !c.Field(128, r.procid) ||
      !c.Field(32, r.msgid) || !StructuredData(c, r.structured_data)) {
    return false;
  }
  if (!c.AtEnd() && !c.Skip(' ')) return false;
  r.message = c.Rest();
  if (r.message.starts_with(kBom)) {
    r.bom = true;
    r.message.remove_prefix(kBom.size());
  }
  r.format = SyslogFormat::kRfc5424;
  return true;
}

// TAG as rsyslog reads it: "name:", "name[pid]:" (or, after a full header,
// a word ending at SP). Returns where MSG starts, or 0 if there is no tag.
size_t ParseTag(std::string_view s, bool header_seen, AuditRecord& r) {
  size_t i = 0;
  while (i < s.size() && s[i] != ' ' && s[i] != ':' && s[i] != '[' && IsPrintUsAscii(s[i])) ++i;
  if (i == 0 || i > 48) return 0;
  const std::string_view name = s.substr(0, i);
  if (i < s.size() && s[i] == '[') {
    const size_t close = s.find(']', i);
    if (close == std::string_view::npos || close - i > 129) return 0;
    r.procid = s.substr(i + 1, close - i - 1);
    i = close + 1;
    if (i < s.size() && s[i] == ':') ++i;
  } else if (i < s.size() && s[i] == ':') {
    ++i;
  } else if (!header_seen) {
    return 0;
  }
  r.app = name;
  return i;
}

bool ParseRfc3164(std::string_view body, AuditRecord& r) {
  size_t pos = 0;
  bool header = false;
  if (IsRfc3164Timestamp(body.substr(0, 15)) && body.size() > 15 && body[15] == ' ') {
    r.timestamp = body.substr(0, 15);
    pos = 16;
    header = true;
  } else if (const size_t sp = body.find(' ');
             sp != std::string_view::npos && IsRfc5424Timestamp(body.substr(0, sp))) {
    r.timestamp = body.substr(0, sp);
    pos = sp + 1;
    header = true;
  }
  if (header) {
    const size_t end = std::min(body.find(' ', pos), body.size());
    const std::string_view word = body.substr(pos, end - pos);
    // A word that ends with ':' or holds '[' is the TAG of a header without HOST.
    if (!word.empty() && word.back() != ':' && word.find('[') == std::string_view::npos &&
        end < body.size()) {
      r.host = word;
      pos = end + 1;
    }
  }
  const std::string_view rest = body.substr(pos);
  size_t msg = ParseTag(rest, header, r);
  if (msg < rest.size() && rest[msg] == ' ') ++msg;  // MSG follows "TAG: "
  r.message = rest.substr(msg);
  r.format = SyslogFormat::kRfc3164;
  return true;
}

}  // namespace

bool IsRfc5424Timestamp(std::string_view t) {
  // FULL-DATE "T" HH:MM:SS [.1-6 digits] ("Z" | +HH:MM | -HH:MM)
  if (t.size() < 20 || !Number(t, 0, 4, 0, 9999) || t[4] != '-' || !Number(t, 5, 2, 1, 12) ||
      t[7] != '-' || !Number(t, 8, 2, 1, 31) || t[10] != 'T' || !Number(t, 11, 2, 0, 23) ||
      t[13] != ':' || !Number(t, 14, 2, 0, 59) || t[16] != ':' || !Number(t, 17, 2, 0, 60)) {
    return false;
  }
  size_t pos = 19;
  if (t[pos] == '.') {
    const size_t start = ++pos;
    while (pos < t.size() && IsDigit(t[pos])) ++pos;
    if (pos == start || pos - start > 6) return false;
  }
  if (pos < t.size() && t[pos] == 'Z') return pos + 1 == t.size();
  return pos + 6 == t.size() && (t[pos] == '+' || t[pos] == '-') && Number(t, pos + 1, 2, 0, 23) &&
         t[pos + 3] == ':' && Number(t, pos + 4, 2, 0, 59);
}

std::optional<common::CivilTime> Rfc3164ToUtc(std::string_view t, int64_t now_micros) {
  if (!IsRfc3164Timestamp(t)) return std::nullopt;
  common::CivilTime c;
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (t.substr(0, 3) == kMonths[i]) c.month = static_cast<int>(i) + 1;
  }
  Number(t, t[4] == ' ' ? 5 : 4, t[4] == ' ' ? 1 : 2, 1, 31, &c.day);
  Number(t, 7, 2, 0, 23, &c.hour);
  Number(t, 10, 2, 0, 59, &c.minute);
  Number(t, 13, 2, 0, 60, &c.second);
  int64_t now_s = now_micros / 1'000'000;
  if (now_micros % 1'000'000 < 0) --now_s;
  const common::CivilTime now = common::CivilFromSeconds(now_s);
  c.year = now.year;
  if (c.month == 12 && now.month == 1) --c.year;
  if (c.month == 1 && now.month == 12) ++c.year;
  common::CivilTime check = c;  // a leap second (:60) is kept; the date must exist
  check.second = std::min(check.second, 59);
  if (!common::ExactSecondsFromCivil(check)) return std::nullopt;
  return c;
}

std::string_view PeerIp(std::string_view peer) {
  if (peer.starts_with("unix:")) return {};  // a local socket: no address
  if (peer.starts_with('[')) {
    const size_t close = peer.find("]:");
    return close == std::string_view::npos ? std::string_view() : peer.substr(1, close - 1);
  }
  const size_t colon = peer.find(':');
  if (colon == std::string_view::npos || colon == 0 || peer.find(':', colon + 1) != peer.npos) {
    return {};
  }
  return peer.substr(0, colon);
}

bool IsRfc3164Timestamp(std::string_view t) {
  if (t.size() != 15 || t[3] != ' ' || t[6] != ' ' || t[9] != ':' || t[12] != ':') return false;
  bool month = false;
  for (const auto name : kMonths) month = month || t.substr(0, 3) == name;
  const bool day = (t[4] == ' ' && Number(t, 5, 1, 1, 9)) || Number(t, 4, 2, 1, 31);
  return month && day && Number(t, 7, 2, 0, 23) && Number(t, 10, 2, 0, 59) &&
         Number(t, 13, 2, 0, 60);
}

namespace {

AuditRecord ParseFrame(std::string_view raw, const SyslogOrigin& origin) {
  AuditRecord record;
  record.received_micros = origin.received_micros;
  record.peer = origin.peer;
  record.raw = raw;
  record.message = raw;
  int pri = 0;
  const size_t pri_length = ParsePri(raw, pri);
  if (pri_length == 0) return record;
  record.facility = pri / 8;
  record.severity = pri % 8;
  const std::string_view body = raw.substr(pri_length);
  AuditRecord parsed = record;
  if (body.starts_with("1 ")) {
    if (ParseRfc5424(body, parsed)) return parsed;
    return record;  // announced RFC 5424 but malformed: kept whole, unparsed
  }
  ParseRfc3164(body, parsed);
  parsed.timestamp_utc = Rfc3164ToUtc(parsed.timestamp, origin.received_micros);
  return parsed;
}

}  // namespace

AuditRecord ParseSyslog(std::string_view raw, const SyslogOrigin& origin) {
  AuditRecord record = ParseFrame(raw, origin);
  if (record.host.empty()) record.host = PeerIp(origin.peer);
  return record;
}

}  // namespace hourglass::ingest
