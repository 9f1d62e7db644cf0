// main(): parses the command line and runs one subcommand. Exit codes:
// 0 success, 1 runtime failure (start-up, I/O), 2 usage or config errors.
#include <fmt/format.h>
#include <rocksdb/version.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/version.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "config/config.h"
#include "server/archive_command.h"
#include "server/command_line.h"
#include "server/serve.h"
#include "server/settings.h"
#include "server/version.h"
#include "store/series_store.h"

namespace hourglass::server {
namespace {

constexpr int kUsageError = 2;

// Logs go to stderr (stdout is for command output), one line per event.
void SetUpLogging(const std::string& level) {
  spdlog::set_default_logger(spdlog::stderr_logger_mt("hourglass"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %l %v", spdlog::pattern_time_type::utc);
  spdlog::set_level(spdlog::level::from_str(level));
}

// Loads the config named on the command line and adds the checks that need
// other components (retentions, patterns); prints every problem.
std::optional<config::Config> LoadOrReport(const std::string& file,
                                           const std::vector<std::string>& overrides) {
  config::LoadResult result = config::LoadConfig(file, overrides);
  if (result.ok()) {
    for (const SettingsProblem& p : SettingsFrom(result.config).problems) {
      result.AddProblem(p.key, p.reason);
    }
  } else {  // the store checks still run, to show every problem at once
    store::StoreOptions unused;
    if (auto p = StoreOptionsFrom(result.config.store, "", &unused)) {
      result.AddProblem(p->key, p->reason);
    }
  }
  for (const auto& problem : result.problems) std::fprintf(stderr, "%s\n", problem.c_str());
  if (!result.ok()) return std::nullopt;
  return result.config;
}

int Version() {
  std::printf("hourglass %s (commit %s, built %s with g++ %s; RocksDB %d.%d.%d, Boost %d.%d)\n",
              kVersion, kGitCommit, kBuildType, __VERSION__, ROCKSDB_MAJOR, ROCKSDB_MINOR,
              ROCKSDB_PATCH, BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000);
  return 0;
}

int Run(const CommandLine& line) {
  const std::string& name = line.command->name;
  if (name == "version") return Version();
  if (name == "config defaults") {
    std::fwrite(config::DefaultConfigText().data(), 1, config::DefaultConfigText().size(), stdout);
    return 0;
  }
  // --config, else $HOURGLASS_CONFIG, else /etc/hourglass/hourglass.toml if
  // it exists; `config check FILE` names its file like --config.
  const bool check = name == "config check";
  const std::string& named =
      check && !line.positional.empty() ? line.positional[0] : line.config_file;
  auto source = ResolveConfigFile(named, std::getenv("HOURGLASS_CONFIG"), kDefaultConfigPath);
  if (!source) {
    std::fprintf(stderr, "hourglass: %s\n", source.status().message().c_str());
    return kUsageError;
  }
  auto config = LoadOrReport(source->file, line.overrides);
  if (check) {
    if (!config) return kUsageError;
    std::printf("%s: ok\n", source->Describe().c_str());
    return 0;
  }
  if (!config) return kUsageError;
  if (name.starts_with("archive ")) {
    SetUpLogging("warn");
    return RunArchiveCommand(line, *config, source->Describe());
  }
  // serve
  SetUpLogging(config->log_level);
  spdlog::info("settings: {}{}", source->Describe(),
               line.overrides.empty() ? "" : fmt::format(", {} --set", line.overrides.size()));
  return RunServe(*config);
}

}  // namespace
}  // namespace hourglass::server

int main(int argc, char** argv) {
  using namespace hourglass::server;
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto line = ParseCommandLine(args);
  if (!line) {
    std::fprintf(stderr, "hourglass: %s\n", line.status().message().c_str());
    return kUsageError;
  }
  if (line->help) {
    const std::string text = line->command ? CommandHelp(*line->command) : TopLevelHelp();
    std::fputs(text.c_str(), stdout);
    return 0;
  }
  return Run(*line);
}
