// SyslogParser: turns one framed syslog message into an AuditRecord, as
// RFC 5424 ("<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG") or as RFC 3164
// the way rsyslog forwards it ("<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG").
// Pure functions over the frame and what the receiver knows of it (the time,
// read by the caller from common::Clock, and the peer); the record's views
// point into `raw` and `origin.peer`.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "archive/audit/audit_record.h"
#include "common/utc_time.h"

namespace hourglass::ingest {

// What the receiver knows about a frame besides its bytes.
struct SyslogOrigin {
  int64_t received_micros = 0;  // UTC, when the server read it (common::Clock)
  std::string_view peer;        // common::PeerAddress form: "1.2.3.4:5678", "[::1]:5678"
};

// Never fails: a message without a valid PRI, or one that announces RFC 5424
// ("<PRI>1 ") with a malformed header, comes back as SyslogFormat::kUnparsed
// with `message` = the whole frame. Sets every field but `truncated` (the
// framer's): received_micros and peer from `origin`; timestamp_utc for an RFC
// 3164 TIMESTAMP (Rfc3164ToUtc); host = the peer's IP (PeerIp) when the
// message names none.
archive::AuditRecord ParseSyslog(std::string_view raw, const SyslogOrigin& origin = {});

// An RFC 3164 TIMESTAMP ("Dec  6 21:50:17") as UTC civil time. It has no year:
// like rsyslog, the year is the receiver's (of `now_micros`, UTC), except that
// December seen in January is last year's and January seen in December next
// year's. nullopt when the result is not a real date ("Feb 30", "Feb 29" of a
// common year) or `timestamp` is not an RFC 3164 one.
std::optional<common::CivilTime> Rfc3164ToUtc(std::string_view timestamp, int64_t now_micros);

// The IP of a common::PeerAddress string as rsyslog writes fromhost-ip:
// "1.2.3.4:5678" -> "1.2.3.4", "[::1]:5678" -> "::1"; "" for anything else
// ("unknown", a socket path).
std::string_view PeerIp(std::string_view peer);

// RFC 5424 TIMESTAMP (without NILVALUE): "2003-10-11T22:14:15.003Z",
// "2003-08-24T05:14:15.000003-07:00".
bool IsRfc5424Timestamp(std::string_view text);

// RFC 3164 TIMESTAMP: "Oct 11 22:14:15", "Oct  1 22:14:15".
bool IsRfc3164Timestamp(std::string_view text);

}  // namespace hourglass::ingest
