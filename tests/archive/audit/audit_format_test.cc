#include "archive/audit/audit_format.h"

#include <catch2/catch.hpp>

namespace hourglass::archive {
namespace {

// 2026-11-21T05:06:07.000089Z
constexpr int64_t kReceived = 1795237567'000089LL;

AuditRecord Example() {
  AuditRecord r;
  r.received_micros = kReceived;
  r.peer = "127.0.0.1:41000";
  r.raw = "<165>1 ...";
  r.format = SyslogFormat::kRfc5424;
  r.facility = 20;
  r.severity = 5;
  r.timestamp = "2003-10-11T22:14:15.003Z";
  r.host = "mymachine.example.com";
  r.app = "evntslog";
  r.msgid = "ID47";
  r.structured_data = {{"exampleSDID@32473", {{"iut", "3"}, {"eventSource", "Application"}}},
                       {"x@1", {{"q", R"(say \"hi\" \\ \] \n)"}, {"q", "second"}}}};
  r.message = "An application event log entry...";
  r.bom = true;
  return r;
}

TEST_CASE("hours and times are UTC") {
  CHECK(HourOf(kReceived) == 1795237567 / 3600);
  CHECK(HourStamp(HourOf(kReceived)) == "20261121T0500Z");
  CHECK(Rfc3339Micros(kReceived) == "2026-11-21T05:06:07.000089Z");
  CHECK(HourOf(-1) == -1);
}

TEST_CASE("json line: every field, SD unescaped, repeated names as an array") {
  std::string line;
  AppendAuditLine(AuditFormat::kJson, Example(), line);
  CHECK(line ==
        R"({"received":"2026-11-21T05:06:07.000089Z","peer":"127.0.0.1:41000","format":"rfc5424",)"
        R"("facility":"local4","severity":"notice","timestamp":"2003-10-11T22:14:15.003Z",)"
        R"("host":"mymachine.example.com","app":"evntslog","procid":null,"msgid":"ID47",)"
        R"("structured_data":{"exampleSDID@32473":{"iut":"3","eventSource":"Application"},)"
        R"("x@1":{"q":["say \"hi\" \\ ] \\n","second"]}},)"
        R"("message":"An application event log entry...","bom":true})");
}

TEST_CASE("json shows an RFC 3164 time as RFC 3339 UTC; raw keeps the frame as sent") {
  AuditRecord r = Example();
  r.raw = "<14>Nov  6 21:50:17 web1 app: m";
  r.format = SyslogFormat::kRfc3164;
  r.timestamp = "Nov  6 21:50:17";
  r.timestamp_utc = common::CivilTime{2026, 11, 6, 21, 50, 17};
  r.host = "web1";
  std::string line;
  AppendAuditLine(AuditFormat::kJson, r, line);
  CHECK(line.find(R"("timestamp":"2026-11-06T21:50:17Z","host":"web1")") != std::string::npos);
  CHECK(line.find("Nov  6") == std::string::npos);
  line.clear();
  AppendAuditLine(AuditFormat::kRaw, r, line);
  CHECK(line == "<14>Nov  6 21:50:17 web1 app: m");

  // No real date (Feb 30): the time as sent.
  r.timestamp = "Feb 30 21:50:17";
  r.timestamp_utc.reset();
  line.clear();
  AppendAuditLine(AuditFormat::kJson, r, line);
  CHECK(line.find(R"("timestamp":"Feb 30 21:50:17")") != std::string::npos);
}

TEST_CASE("json escapes control characters and replaces invalid UTF-8") {
  AuditRecord r;
  r.received_micros = 0;
  r.message = "tab\there\nnul\x01 caf\xC3\xA9 bad\xFF end\x7F";
  std::string line;
  AppendAuditLine(AuditFormat::kJson, r, line);
  CHECK(line.find(R"("message":"tab\there\nnul\u0001 café bad� end\u007f")") != std::string::npos);
  CHECK(line.find(R"("format":"unparsed","facility":null,"severity":null)") != std::string::npos);
  CHECK(line.find('\n') == std::string::npos);
}

TEST_CASE("json marks truncated messages") {
  AuditRecord r = Example();
  r.truncated = true;
  std::string line;
  AppendAuditLine(AuditFormat::kJson, r, line);
  CHECK(line.ends_with(R"(,"truncated":true})"));
}

TEST_CASE("raw line: the frame as received, control characters escaped like rsyslog") {
  AuditRecord r;
  r.raw = "<13>a\nb\tc\r\x01\x7F ok \xC3\xA9";
  std::string line;
  AppendAuditLine(AuditFormat::kRaw, r, line);
  CHECK(line == "<13>a#012b#011c#015#001#177 ok \xC3\xA9");
}

TEST_CASE("format names") {
  CHECK(ParseAuditFormat("json").value() == AuditFormat::kJson);
  CHECK(ParseAuditFormat("raw").value() == AuditFormat::kRaw);
  CHECK_FALSE(ParseAuditFormat("xml").ok());
  CHECK(FacilityName(0) == "kern");
  CHECK(FacilityName(23) == "local7");
  CHECK(FacilityName(24).empty());
  CHECK(SeverityName(7) == "debug");
}

}  // namespace
}  // namespace hourglass::archive
