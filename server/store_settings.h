// The translation of the [store] config into store::StoreOptions, shared by
// `serve` and `config check`: retentions, schemas and aggregation rules are
// parsed and checked here so a bad pattern is reported before anything runs.
#pragma once

#include <string>

#include "common/status.h"
#include "config/config.h"
#include "store/series_store.h"

namespace hourglass::server {

// Store options for the store at `path`. An error message starts with the
// config key to fix ("store.schemas: ...").
common::Result<store::StoreOptions> StoreOptionsFrom(const config::StoreConfig& config,
                                                     std::string path);

}  // namespace hourglass::server
