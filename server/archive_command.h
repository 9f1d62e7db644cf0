// `hourglass archive ls|get|cat|presign`: retrieval from the configured
// archive (local or S3) on the command line, plus the translation of the
// [archive] config into archive::ArchiveSettings that `serve` shares. Runs on
// the main thread; output on stdout, one-line errors on stderr.
#pragma once

#include "archive/shipping/archive_target.h"
#include "common/status.h"
#include "config/config.h"
#include "server/command_line.h"

namespace hourglass::server {

// The archive settings of a loaded config (checks the key template).
common::Result<archive::ArchiveSettings> ArchiveSettingsFrom(const config::Config& config);

// Runs one `archive ...` command: 0 done, 1 failure (store, checksum), 2 usage.
int RunArchiveCommand(const CommandLine& line, const config::Config& config);

}  // namespace hourglass::server
