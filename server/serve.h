// RunServe: `hourglass serve`. Builds every component from the config,
// wires them, and runs until SIGTERM/SIGINT; then stops intake, flushes the
// open window and exits. Called once, from main().
#pragma once

#include "config/config.h"

namespace hourglass::server {

// Returns the process exit code: 0 after a clean stop, 1 when start-up fails
// (one clear line on stderr).
int RunServe(const config::Config& config);

}  // namespace hourglass::server
