// CommandLine: parses `hourglass [CMD...] [--config FILE] [--set K=V]... ARGS`
// into a subcommand path, the shared config flags and the command's own
// options. Pure; errors are one line for the user (exit 2).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace hourglass::server {

struct CommandSpec {
  std::string name;                          // "serve", "config check"
  std::string summary;                       // one line for `hourglass --help`
  std::string usage;                         // arguments after the name, for `CMD --help`
  size_t positional = 0;                     // exact number of positional arguments
  std::vector<std::string> value_flags;      // flags taking a value, e.g. "-o"
  std::vector<std::string> bool_flags = {};  // flags without a value, e.g. "--put"
  std::string details = {};                  // more help text for `CMD --help`
  bool positional_optional = false;          // 0 positional arguments also accepted
};

struct CommandLine {
  const CommandSpec* command = nullptr;  // null: top-level help
  bool help = false;
  std::string config_file;
  std::vector<std::string> overrides;  // --set values, in order
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;  // value flags; a bool flag maps to "1"
};

const std::vector<CommandSpec>& Commands();
std::string TopLevelHelp();
std::string CommandHelp(const CommandSpec& command);

common::Result<CommandLine> ParseCommandLine(const std::vector<std::string>& args);

// The file every command reads when no --config and no HOURGLASS_CONFIG names one.
inline constexpr const char* kDefaultConfigPath = "/etc/hourglass/hourglass.toml";

// Which config file a command reads, and why: `named` (--config, or the
// FILE of `config check`), else `env_value` ($HOURGLASS_CONFIG, ignored when
// empty), else `default_path` when it exists, else none (embedded defaults).
struct ConfigSource {
  std::string file;    // "" for the embedded defaults
  std::string origin;  // "--config", "HOURGLASS_CONFIG", "default", ""
  // "config FILE (from ORIGIN)" or "no config file (embedded defaults)".
  std::string Describe() const;
};

// An error (exit 2) when a file named by `named` or `env_value` does not
// exist; the default path is optional.
common::Result<ConfigSource> ResolveConfigFile(const std::string& named, const char* env_value,
                                               const std::string& default_path);

}  // namespace hourglass::server
