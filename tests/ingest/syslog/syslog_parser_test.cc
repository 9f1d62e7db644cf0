#include "ingest/syslog/syslog_parser.h"

#include <catch2/catch.hpp>
#include <optional>
#include <string>

namespace hourglass::ingest {
namespace {

using archive::SyslogFormat;

const std::string kBom = "\xEF\xBB\xBF";

TEST_CASE("RFC 5424 example 1: no structured data, BOM before MSG") {
  const std::string raw = "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - " +
                          kBom + "'su root' failed for lonvick on /dev/pts/8";
  const auto r = ParseSyslog(raw);
  CHECK(r.format == SyslogFormat::kRfc5424);
  CHECK(r.facility == 4);  // auth
  CHECK(r.severity == 2);  // crit
  CHECK(r.timestamp == "2003-10-11T22:14:15.003Z");
  CHECK(r.host == "mymachine.example.com");
  CHECK(r.app == "su");
  CHECK(r.procid.empty());
  CHECK(r.msgid == "ID47");
  CHECK(r.structured_data.empty());
  CHECK(r.bom);
  CHECK(r.message == "'su root' failed for lonvick on /dev/pts/8");
  CHECK(r.raw == raw);
}

TEST_CASE("RFC 5424 example 2: microseconds and a negative offset, no BOM") {
  const auto r = ParseSyslog(
      "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make "
      "the do-nuts.");
  CHECK(r.format == SyslogFormat::kRfc5424);
  CHECK(r.facility == 20);
  CHECK(r.severity == 5);
  CHECK(r.timestamp == "2003-08-24T05:14:15.000003-07:00");
  CHECK(r.host == "192.0.2.1");
  CHECK(r.app == "myproc");
  CHECK(r.procid == "8710");
  CHECK(r.msgid.empty());
  CHECK_FALSE(r.bom);
  CHECK(r.message == "%% It's time to make the do-nuts.");
}

TEST_CASE("RFC 5424 example 3: structured data and a message") {
  const std::string raw =
      "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 "
      "iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] " +
      kBom + "An application event log entry...";
  const auto r = ParseSyslog(raw);
  REQUIRE(r.format == SyslogFormat::kRfc5424);
  REQUIRE(r.structured_data.size() == 1);
  const auto& sd = r.structured_data[0];
  CHECK(sd.id == "exampleSDID@32473");
  REQUIRE(sd.params.size() == 3);
  CHECK(sd.params[0].name == "iut");
  CHECK(sd.params[0].value == "3");
  CHECK(sd.params[2].name == "eventID");
  CHECK(sd.params[2].value == "1011");
  CHECK(r.message == "An application event log entry...");
}

TEST_CASE("RFC 5424 example 4: two SD elements and no MSG") {
  const auto r = ParseSyslog(
      "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 "
      "iut=\"3\" eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 "
      "class=\"high\"]");
  REQUIRE(r.format == SyslogFormat::kRfc5424);
  REQUIRE(r.structured_data.size() == 2);
  CHECK(r.structured_data[1].id == "examplePriority@32473");
  CHECK(r.structured_data[1].params[0].value == "high");
  CHECK(r.message.empty());
}

TEST_CASE("RFC 5424 SD values keep their escapes for the formatter") {
  const auto r = ParseSyslog(
      R"(<13>1 - host app - - [x@1 a="q\"uote" b="back\\slash" c="br\]acket" d="a]b"] msg)");
  REQUIRE(r.format == SyslogFormat::kRfc5424);
  REQUIRE(r.structured_data[0].params.size() == 4);
  CHECK(r.structured_data[0].params[0].value == R"(q\"uote)");
  CHECK(r.structured_data[0].params[1].value == R"(back\\slash)");
  CHECK(r.structured_data[0].params[2].value == R"(br\]acket)");
  CHECK(r.structured_data[0].params[3].value == "a]b");
  CHECK(r.timestamp.empty());
  CHECK(r.message == "msg");
}

TEST_CASE("logger --rfc5424 and rsyslog's RSYSLOG_SyslogProtocol23Format") {
  auto r = ParseSyslog(
      "<13>1 2026-11-21T05:00:00.123456+00:00 buildhost root - - [timeQuality tzKnown=\"1\" "
      "isSynced=\"1\" syncAccuracy=\"500000\"] hello from logger");
  CHECK(r.format == SyslogFormat::kRfc5424);
  CHECK(r.app == "root");
  CHECK(r.structured_data[0].id == "timeQuality");
  CHECK(r.message == "hello from logger");

  // rsyslog's msg property keeps the space that followed "TAG:".
  r = ParseSyslog("<30>1 2026-11-21T05:00:01.000123+01:00 web1 systemd 1 - -  Started Session 5.");
  CHECK(r.format == SyslogFormat::kRfc5424);
  CHECK(r.procid == "1");
  CHECK(r.message == " Started Session 5.");
}

TEST_CASE("RFC 5424 timestamps") {
  CHECK(IsRfc5424Timestamp("1985-04-12T23:20:50.52Z"));
  CHECK(IsRfc5424Timestamp("1985-04-12T19:20:50.52-04:00"));
  CHECK(IsRfc5424Timestamp("2003-10-11T22:14:15.003Z"));
  CHECK(IsRfc5424Timestamp("2003-08-24T05:14:15.000003-07:00"));
  CHECK(IsRfc5424Timestamp("2026-11-21T05:00:00+05:30"));
  CHECK_FALSE(IsRfc5424Timestamp("2003-08-24T05:14:15.000000003-07:00"));  // > 6 digits
  CHECK_FALSE(IsRfc5424Timestamp("2003-13-24T05:14:15Z"));
  CHECK_FALSE(IsRfc5424Timestamp("2003-10-11 22:14:15Z"));
  CHECK_FALSE(IsRfc5424Timestamp("2003-10-11T22:14:15"));
  CHECK_FALSE(IsRfc5424Timestamp("2003-10-11T22:14:15.Z"));
}

TEST_CASE("RFC 3164 as rsyslog forwards it by default") {
  const auto r = ParseSyslog(
      "<30>Nov 21 05:00:01 web1 systemd[1]: Started Session 5 of user root.#012second line");
  CHECK(r.format == SyslogFormat::kRfc3164);
  CHECK(r.facility == 3);  // daemon
  CHECK(r.severity == 6);  // info
  CHECK(r.timestamp == "Nov 21 05:00:01");
  CHECK(r.host == "web1");
  CHECK(r.app == "systemd");
  CHECK(r.procid == "1");
  CHECK(r.message == "Started Session 5 of user root.#012second line");
}

TEST_CASE("RFC 3164 from logger --rfc3164, space-padded day") {
  const auto r = ParseSyslog("<13>Nov  1 09:05:00 buildhost root: hello world");
  CHECK(r.format == SyslogFormat::kRfc3164);
  CHECK(r.timestamp == "Nov  1 09:05:00");
  CHECK(r.host == "buildhost");
  CHECK(r.app == "root");
  CHECK(r.procid.empty());
  CHECK(r.message == "hello world");
}

TEST_CASE("RFC 3164 variants: no host, tag with slash, no tag colon after a header") {
  auto r = ParseSyslog("<13>Nov 21 05:00:00 sshd[12]: Accepted publickey");
  CHECK(r.host.empty());
  CHECK(r.app == "sshd");
  CHECK(r.procid == "12");
  CHECK(r.message == "Accepted publickey");

  r = ParseSyslog("<22>Nov 21 05:00:00 mx1 postfix/smtpd[777]: connect from unknown");
  CHECK(r.host == "mx1");
  CHECK(r.app == "postfix/smtpd");
  CHECK(r.procid == "777");

  r = ParseSyslog("<13>Nov 21 05:00:00 host kernel something happened");
  CHECK(r.host == "host");
  CHECK(r.app == "kernel");
  CHECK(r.message == "something happened");
}

TEST_CASE("Python SysLogHandler: PRI and message, no header") {
  auto r = ParseSyslog("<14>myapp: started");
  CHECK(r.format == SyslogFormat::kRfc3164);
  CHECK(r.facility == 1);
  CHECK(r.severity == 6);
  CHECK(r.timestamp.empty());
  CHECK(r.host.empty());
  CHECK(r.app == "myapp");
  CHECK(r.message == "started");

  r = ParseSyslog("<14>just some text");
  CHECK(r.format == SyslogFormat::kRfc3164);
  CHECK(r.app.empty());
  CHECK(r.message == "just some text");
}

TEST_CASE("messages that do not parse are kept whole, marked unparsed") {
  for (const std::string raw :
       {"no pri at all", "<999>too big", "<13", "<>x", "<13>1 not-a-time host app - - - m",
        "<13>1 2003-10-11T22:14:15Z host app - - [unterminated x=\"1\" msg", ""}) {
    INFO(raw);
    const auto r = ParseSyslog(raw);
    CHECK(r.format == SyslogFormat::kUnparsed);
    CHECK(r.message == raw);
    CHECK(r.app.empty());
  }
  // A valid PRI is still reported.
  const auto r = ParseSyslog("<13>1 bad");
  CHECK(r.facility == 1);
  CHECK(r.severity == 5);
}

// Times the server read the frame (UTC, microseconds).
constexpr int64_t kNewYear2027 = 1798761605'000000LL;   // 2027-01-01T00:00:05Z
constexpr int64_t kNewYearsEve = 1798761599'000000LL;   // 2026-12-31T23:59:59Z
constexpr int64_t kMarch2028 = 1835524800'000000LL;     // 2028-03-01T12:00:00Z (leap year)
constexpr int64_t kMarch2027 = 1803902400'000000LL;     // 2027-03-01T12:00:00Z
constexpr int64_t kDecember2026 = 1796612400'000000LL;  // 2026-12-07T03:00:00Z

std::string Utc(const std::optional<common::CivilTime>& t) {
  if (!t) return "none";
  return std::to_string(t->year) + "-" + std::to_string(t->month) + "-" + std::to_string(t->day) +
         " " + std::to_string(t->hour) + ":" + std::to_string(t->minute) + ":" +
         std::to_string(t->second);
}

TEST_CASE("RFC 3164 time: the receiver's year, read as UTC") {
  const auto r = ParseSyslog("<13>Dec  6 21:50:17 buildhost root: hello",
                             {.received_micros = kDecember2026, .peer = "10.0.0.7:5514"});
  CHECK(r.timestamp == "Dec  6 21:50:17");  // the form sent stays (raw mode)
  CHECK(Utc(r.timestamp_utc) == "2026-12-6 21:50:17");
  CHECK(r.received_micros == kDecember2026);
  CHECK(r.peer == "10.0.0.7:5514");
  CHECK(r.host == "buildhost");  // the sender's host wins over the peer
  CHECK(Utc(Rfc3164ToUtc("Nov 06 09:05:00", kDecember2026)) == "2026-11-6 9:5:0");
  CHECK(Utc(Rfc3164ToUtc("Jun 30 23:59:60", kDecember2026)) == "2026-6-30 23:59:60");
}

TEST_CASE("RFC 3164 time across New Year, both ways") {
  // Sent just before midnight, read just after: last year's December.
  CHECK(Utc(Rfc3164ToUtc("Dec 31 23:59:58", kNewYear2027)) == "2026-12-31 23:59:58");
  // The sender's clock is ahead: January read in December is next year's.
  CHECK(Utc(Rfc3164ToUtc("Jan  1 00:00:01", kNewYearsEve)) == "2027-1-1 0:0:1");
  // Other months keep the receiver's year, on both sides of the turn.
  CHECK(Utc(Rfc3164ToUtc("Jan  1 00:00:01", kNewYear2027)) == "2027-1-1 0:0:1");
  CHECK(Utc(Rfc3164ToUtc("Nov 30 10:00:00", kNewYear2027)) == "2027-11-30 10:0:0");
  CHECK(Utc(Rfc3164ToUtc("Feb  1 10:00:00", kNewYearsEve)) == "2026-2-1 10:0:0");
}

TEST_CASE("RFC 3164 time: Feb 29 only in a leap year") {
  CHECK(Utc(Rfc3164ToUtc("Feb 29 12:00:00", kMarch2028)) == "2028-2-29 12:0:0");
  CHECK_FALSE(Rfc3164ToUtc("Feb 29 12:00:00", kMarch2027));
  // Not a date: the timestamp is kept as sent, the message parsed as before.
  const auto r =
      ParseSyslog("<13>Feb 29 12:00:00 h app: m", {.received_micros = kMarch2027, .peer = ""});
  CHECK(r.format == SyslogFormat::kRfc3164);
  CHECK(r.timestamp == "Feb 29 12:00:00");
  CHECK_FALSE(r.timestamp_utc);
  CHECK(r.host == "h");
}

TEST_CASE("RFC 3164 bad dates: kept as sent or not a timestamp, as before") {
  auto r = ParseSyslog("<13>Apr 31 12:00:00 h app: m", {.received_micros = kMarch2027, .peer = ""});
  CHECK(r.timestamp == "Apr 31 12:00:00");  // passes the pattern, names no day
  CHECK_FALSE(r.timestamp_utc);
  CHECK(r.app == "app");
  // Day 32 and a one-space single-digit day are no TIMESTAMP: no header, as before.
  for (const std::string raw : {"<13>Dec 32 12:00:00 h app: m", "<13>Dec 6 21:50:17 h app: m"}) {
    INFO(raw);
    r = ParseSyslog(raw, {.received_micros = kDecember2026, .peer = ""});
    CHECK(r.format == SyslogFormat::kRfc3164);
    CHECK(r.timestamp.empty());
    CHECK_FALSE(r.timestamp_utc);
    CHECK(r.host.empty());
    CHECK(r.message == raw.substr(4));
  }
  CHECK_FALSE(Rfc3164ToUtc("2026-12-06T21:50:17Z", kDecember2026));
  CHECK_FALSE(Rfc3164ToUtc("", kDecember2026));
}

TEST_CASE("an RFC 3339 time in an RFC 3164 header is kept as sent") {
  const auto r = ParseSyslog("<13>2026-12-06T21:50:17.123+01:00 h app: m",
                             {.received_micros = kDecember2026, .peer = ""});
  CHECK(r.timestamp == "2026-12-06T21:50:17.123+01:00");
  CHECK_FALSE(r.timestamp_utc);
}

TEST_CASE("host falls back to the peer's IP, written as rsyslog's fromhost-ip") {
  // Python's SysLogHandler: no header, no host.
  auto r = ParseSyslog("<14>myapp: started", {.received_micros = 1, .peer = "127.0.0.1:41000"});
  CHECK(r.host == "127.0.0.1");
  CHECK(r.peer == "127.0.0.1:41000");
  CHECK(r.app == "myapp");
  r = ParseSyslog("<14>myapp: started", {.peer = "[2001:db8::1]:41000"});
  CHECK(r.host == "2001:db8::1");
  // RFC 5424 NILVALUE host, and an unparsed frame, fall back too.
  r = ParseSyslog("<14>1 - - app - - - m", {.peer = "[::1]:5"});
  CHECK(r.format == SyslogFormat::kRfc5424);
  CHECK(r.host == "::1");
  r = ParseSyslog("no pri", {.peer = "10.1.2.3:9"});
  CHECK(r.format == SyslogFormat::kUnparsed);
  CHECK(r.host == "10.1.2.3");
  // A host in the message wins; no usable peer leaves it empty.
  CHECK(ParseSyslog("<14>1 - web1 app - - - m", {.peer = "[::1]:5"}).host == "web1");
  CHECK(ParseSyslog("<14>myapp: started").host.empty());
  CHECK(PeerIp("unknown").empty());
  CHECK(PeerIp("/run/hourglass.sock").empty());
  CHECK(PeerIp("[::1]").empty());
  CHECK(PeerIp("::1").empty());
}

}  // namespace
}  // namespace hourglass::ingest
