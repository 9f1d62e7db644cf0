// SyslogParser: turns one framed syslog message into an AuditRecord, as
// RFC 5424 ("<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG") or as RFC 3164
// the way rsyslog forwards it ("<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG").
// Pure functions over the frame; the record's views point into `raw`.
#pragma once

#include <string_view>

#include "archive/audit/audit_record.h"

namespace hourglass::ingest {

// Never fails: a message without a valid PRI, or one that announces RFC 5424
// ("<PRI>1 ") with a malformed header, comes back as SyslogFormat::kUnparsed
// with `message` = the whole frame. Sets raw, format, facility, severity,
// timestamp, host, app, procid, msgid, structured_data, message, bom; the
// caller sets received_micros, peer and truncated.
archive::AuditRecord ParseSyslog(std::string_view raw);

// RFC 5424 TIMESTAMP (without NILVALUE): "2003-10-11T22:14:15.003Z",
// "2003-08-24T05:14:15.000003-07:00".
bool IsRfc5424Timestamp(std::string_view text);

// RFC 3164 TIMESTAMP: "Oct 11 22:14:15", "Oct  1 22:14:15".
bool IsRfc3164Timestamp(std::string_view text);

}  // namespace hourglass::ingest
