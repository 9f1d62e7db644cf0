// SyslogFixture: what the syslog server tests (plain and TLS) share: a temp
// dir (removed at the end), a manual clock at 2026-11-21T05:00:00Z, an
// AuditWriter and a SyslogServer started on them, and the audit file's lines.
// Tests only.
#pragma once

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "archive/audit/audit_writer.h"
#include "common/clock.h"
#include "ingest/syslog/syslog_server.h"
#include "tests/ingest/tcp_client.h"

namespace hourglass::testing {

inline constexpr int64_t k0500 = 1795237200LL * 1'000'000;  // 2026-11-21T05:00:00Z

// A new temp dir /tmp/PREFIX-XXXXXX.
inline std::string TempDir(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  return mkdtemp(pattern.data());
}

struct SyslogFixture : TcpClientFixture {
  std::string dir;
  common::ManualClock clock{k0500 + 1};
  std::unique_ptr<archive::AuditWriter> writer;
  std::unique_ptr<ingest::SyslogServer> server;

  explicit SyslogFixture(const std::string& prefix) : dir(TempDir(prefix)) {}
  ~SyslogFixture() {
    if (server) server->Stop();
    if (writer) (void)writer->Close();
    std::filesystem::remove_all(dir);
  }

  // Opens the writer on `audit` (its dir made if missing), then starts the server.
  void Start(const archive::AuditOptions& audit, const ingest::SyslogServerOptions& options) {
    std::filesystem::create_directories(audit.dir);
    auto w = archive::AuditWriter::Open(audit, clock, stats);
    REQUIRE(w.ok());
    writer = std::move(*w);
    auto s = ingest::SyslogServer::Start(options, *writer, stats, clock);
    REQUIRE(s.ok());
    server = std::move(*s);
  }

  // The lines of the audit file at `path`, once the writer has synced.
  std::vector<std::string> ReadLines(const std::string& path) {
    REQUIRE(writer->Sync().ok());
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
};

}  // namespace hourglass::testing
