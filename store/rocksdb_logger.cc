#include "store/rocksdb_logger.h"

#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>
#include <string_view>

namespace hourglass::store {
namespace {

constexpr size_t kMaxLine = 4096;  // longer messages are cut (RocksDB's own limit is similar)

spdlog::level::level_enum LevelOf(rocksdb::InfoLogLevel level) {
  switch (level) {
    case rocksdb::InfoLogLevel::DEBUG_LEVEL:
      return spdlog::level::trace;
    case rocksdb::InfoLogLevel::INFO_LEVEL:
    case rocksdb::InfoLogLevel::HEADER_LEVEL:
      return spdlog::level::debug;
    case rocksdb::InfoLogLevel::WARN_LEVEL:
      return spdlog::level::warn;
    default:
      return spdlog::level::err;
  }
}

class SpdlogRocksDbLogger : public rocksdb::Logger {
 public:
  SpdlogRocksDbLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL) {}

  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }

  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    const auto spd_level = LevelOf(level);
    if (!spdlog::should_log(spd_level)) return;
    char line[kMaxLine];
    va_list copy;
    va_copy(copy, ap);
    int n = std::vsnprintf(line, sizeof(line), format, copy);
    va_end(copy);
    if (n < 0) return;
    std::string_view text(line, std::min<size_t>(size_t(n), sizeof(line) - 1));
    while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    spdlog::log(spd_level, "rocksdb: {}", text);
  }
};

}  // namespace

std::shared_ptr<rocksdb::Logger> NewSpdlogRocksDbLogger() {
  return std::make_shared<SpdlogRocksDbLogger>();
}

}  // namespace hourglass::store
