// RocksDB's own info log, sent to spdlog instead of a LOG file in the store
// directory: a full data disk cannot hide RocksDB's errors, and its messages
// sit next to Hourglass's. Levels map down one step (RocksDB's INFO, which
// reports every flush and compaction, becomes debug). Thread-safe: RocksDB
// calls it from its own threads; spdlog's default logger serializes.
#pragma once

#include <rocksdb/env.h>

#include <memory>

namespace hourglass::store {

std::shared_ptr<rocksdb::Logger> NewSpdlogRocksDbLogger();

}  // namespace hourglass::store
