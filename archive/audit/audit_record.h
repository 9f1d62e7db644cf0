// AuditRecord: one syslog message as the audit files record it. The syslog
// parser (ingest) fills it with views into the received frame; the formatter
// turns it into one line. Plain data: owned by whoever holds the frame, used
// by one thread at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/utc_time.h"

namespace hourglass::archive {

enum class SyslogFormat { kUnparsed, kRfc3164, kRfc5424 };

struct SdParam {
  std::string_view name;
  std::string_view value;  // as on the wire: \" \\ \] still escaped
};

struct SdElement {
  std::string_view id;
  std::vector<SdParam> params;
};

struct AuditRecord {
  int64_t received_micros = 0;  // UTC, when the server read it
  std::string_view peer;        // "127.0.0.1:41000"
  std::string_view raw;         // the frame as received (after framing)
  SyslogFormat format = SyslogFormat::kUnparsed;
  int facility = -1;  // -1: no valid PRI
  int severity = -1;
  // Empty: absent (RFC 5424 NILVALUE "-", or not in an RFC 3164 header).
  std::string_view timestamp;  // as sent: "2003-10-11T22:14:15.003Z", "Oct 11 22:14:15"
  // Set when `timestamp` is an RFC 3164 one ("Oct 11 22:14:15") that names a
  // real date: read as UTC, the year inferred from received_micros. The JSON
  // line shows it as RFC 3339 ("2026-10-11T22:14:15Z") instead of `timestamp`.
  std::optional<common::CivilTime> timestamp_utc;
  std::string_view host;  // the sender's, else the peer's IP (ingest::ParseSyslog)
  std::string_view app;
  std::string_view procid;
  std::string_view msgid;
  std::vector<SdElement> structured_data;
  std::string_view message;  // without a leading BOM; the whole frame when unparsed
  bool bom = false;          // RFC 5424 MSG started with a UTF-8 BOM
  bool truncated = false;    // the frame was longer than syslog.max_message_size
};

}  // namespace hourglass::archive
