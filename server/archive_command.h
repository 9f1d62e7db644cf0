// `hourglass archive ls|get|cat|presign`: the command-line front end of
// ArchiveService (server/archive_service.h) over the configured archive
// (local or S3). Runs on the main thread; output on stdout, one-line errors
// on stderr.
#pragma once

#include "config/config.h"
#include "server/command_line.h"

namespace hourglass::server {

// Runs one `archive ...` command: 0 done, 1 failure (store, checksum, an
// archive location that does not exist: never created), 2 usage.
// `settings_from` names where the config came from, for error messages.
int RunArchiveCommand(const CommandLine& line, const config::Config& config,
                      const std::string& settings_from = "");

}  // namespace hourglass::server
