// Audit line formats and hourly file names: how an AuditRecord becomes one
// line of an audit file ("json" or "raw"), and how an hour is written in
// file names. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "archive/audit/audit_record.h"
#include "common/status.h"

namespace hourglass::archive {

enum class AuditFormat { kJson, kRaw };

// "json" | "raw".
common::Result<AuditFormat> ParseAuditFormat(std::string_view text);

// Appends one line, without the trailing LF, to `out`. JSON: one object with
// received (RFC 3339 UTC, microseconds), peer, format, facility, severity,
// timestamp (as sent; an RFC 3164 one as RFC 3339 UTC from timestamp_utc:
// "2026-12-06T21:50:17Z"), host, app, procid, msgid, structured_data, message;
// absent fields are null; "truncated" and "bom" appear only when true.
// Raw: the frame as received, control characters escaped like rsyslog (#012).
void AppendAuditLine(AuditFormat format, const AuditRecord& record, std::string& out);

std::string_view FacilityName(int facility);  // "user", "local0"; "" when out of range
std::string_view SeverityName(int severity);  // "notice"; "" when out of range

// Hours are counted since the epoch: HourOf(micros) = floor(micros / 1 h).
int64_t HourOf(int64_t micros);
// "20261121T0500Z", as used in file names.
std::string HourStamp(int64_t hour);
// "2026-11-21T05:00:00.123456Z".
std::string Rfc3339Micros(int64_t micros);

}  // namespace hourglass::archive
