#include "server/command_line.h"

#include <algorithm>
#include <filesystem>

namespace hourglass::server {

namespace {
constexpr const char* kTimeHelp =
    "HOUR is 2026-11-21T05 or 20261121T0500Z (UTC). T is an HOUR, 2026-11-21T05:00:00Z,\n"
    "epoch seconds, now, or relative: -3h, -30min, -2d. The archive is the one the\n"
    "server uses (archive.target, default file://DATA_DIR/archive); checksums are\n"
    "verified and a mismatch exits 1.\n";
}  // namespace

const std::vector<CommandSpec>& Commands() {
  static const std::vector<CommandSpec> kCommands = {
      {"serve", "run the server (embedded defaults when no config is given)", "", 0, {}},
      {"config check",
       "validate a config file: FILE:LINE: key: reason per problem",
       "[FILE]",
       1,
       {},
       {},
       "Without FILE: the file serve would read (--config, $HOURGLASS_CONFIG, or\n"
       "/etc/hourglass/hourglass.toml if it exists). Prints which one.\n",
       true},
      {"config defaults", "print the full default config, commented", "", 0, {}},
      {"archive ls",
       "list archived hours: key, size, lines, sha256",
       "[--from T] [--until T]",
       0,
       {"--from", "--until"},
       {},
       kTimeHelp},
      {"archive get",
       "fetch one hour (every segment, in order), decompressed and verified",
       "HOUR [-o FILE]",
       1,
       {"-o"},
       {},
       kTimeHelp},
      {"archive cat",
       "print the archived lines of a time range, decompressed and verified",
       "--from T --until T [--grep RE]",
       0,
       {"--from", "--until", "--grep"},
       {},
       kTimeHelp},
      {"archive presign",
       "print a presigned GET URL per archived object of an hour (--put: one PUT URL for a past "
       "hour with nothing archived)",
       "HOUR [--expires 1h] [--put]",
       1,
       {"--expires"},
       {"--put"},
       kTimeHelp},
      {"version", "print the version and build information", "", 0, {}},
  };
  return kCommands;
}

std::string TopLevelHelp() {
  std::string out =
      "usage: hourglass COMMAND [--config FILE] [--set KEY=VALUE]... [ARGS]\n\n"
      "Metrics (statsd in, Graphite out) and audit logs (syslog in, S3 out) in one server.\n\n"
      "commands:\n";
  for (const auto& command : Commands()) {
    std::string name = command.name;
    name.resize(std::max<size_t>(name.size() + 2, 18), ' ');
    out += "  " + name + command.summary + "\n";
  }
  out +=
      "\nEvery command takes --config FILE and --set KEY=VALUE (dotted keys, e.g.\n"
      "--set statsd.listen=127.0.0.1:9125). Without --config: the file named by\n"
      "$HOURGLASS_CONFIG, else /etc/hourglass/hourglass.toml if it exists; --set\n"
      "applies on top. `hourglass COMMAND --help` for more.\n";
  return out;
}

std::string CommandHelp(const CommandSpec& command) {
  std::string out = "usage: hourglass " + command.name + " [--config FILE] [--set KEY=VALUE]...";
  if (!command.usage.empty()) out += " " + command.usage;
  out += "\n\n" + command.summary + "\n";
  if (!command.details.empty()) out += "\n" + command.details;
  return out;
}

namespace {

// Finds the longest command name that prefixes the arguments.
const CommandSpec* MatchCommand(const std::vector<std::string>& args, size_t& consumed) {
  const CommandSpec* best = nullptr;
  for (const auto& command : Commands()) {
    std::vector<std::string> words;
    size_t start = 0;
    while (start <= command.name.size()) {
      const size_t space = command.name.find(' ', start);
      const size_t end = space == std::string::npos ? command.name.size() : space;
      words.push_back(command.name.substr(start, end - start));
      start = end + 1;
    }
    if (words.size() <= args.size() && std::equal(words.begin(), words.end(), args.begin()) &&
        (best == nullptr || words.size() > consumed)) {
      best = &command;
      consumed = words.size();
    }
  }
  return best;
}

}  // namespace

common::Result<CommandLine> ParseCommandLine(const std::vector<std::string>& args) {
  CommandLine line;
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    line.help = true;
    return line;
  }
  size_t consumed = 0;
  line.command = MatchCommand(args, consumed);
  if (line.command == nullptr) {
    return common::Status::Error("unknown command '" + args[0] + "' (see hourglass --help)");
  }
  const auto& spec = *line.command;
  for (size_t i = consumed; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const bool takes_value =
        arg == "--config" || arg == "--set" ||
        std::find(spec.value_flags.begin(), spec.value_flags.end(), arg) != spec.value_flags.end();
    if (arg == "--help" || arg == "-h") {
      line.help = true;
    } else if (std::find(spec.bool_flags.begin(), spec.bool_flags.end(), arg) !=
               spec.bool_flags.end()) {
      line.flags[arg] = "1";
    } else if (takes_value) {
      if (i + 1 >= args.size()) return common::Status::Error(arg + " needs a value");
      const std::string& value = args[++i];
      if (arg == "--config") {
        line.config_file = value;
      } else if (arg == "--set") {
        line.overrides.push_back(value);
      } else {
        line.flags[arg] = value;
      }
    } else if (arg.size() > 1 && arg[0] == '-') {
      return common::Status::Error("unknown flag " + arg + " for hourglass " + spec.name +
                                   " (see hourglass " + spec.name + " --help)");
    } else {
      line.positional.push_back(arg);
    }
  }
  const bool count_ok = line.positional.size() == spec.positional ||
                        (spec.positional_optional && line.positional.empty());
  if (!line.help && !count_ok) {
    return common::Status::Error(
        "hourglass " + spec.name + " takes " +
        (spec.positional == 0 ? std::string("no arguments") : "argument " + spec.usage) +
        " (see hourglass " + spec.name + " --help)");
  }
  return line;
}

std::string ConfigSource::Describe() const {
  if (file.empty()) return "no config file (embedded defaults)";
  return "config " + file + " (from " + origin + ")";
}

common::Result<ConfigSource> ResolveConfigFile(const std::string& named, const char* env_value,
                                               const std::string& default_path) {
  ConfigSource source;
  if (!named.empty()) {
    source = {named, "--config"};
  } else if (env_value != nullptr && env_value[0] != '\0') {
    source = {env_value, "HOURGLASS_CONFIG"};
  } else {
    std::error_code ec;
    if (std::filesystem::exists(default_path, ec)) return ConfigSource{default_path, "default"};
    return ConfigSource{};
  }
  std::error_code ec;
  if (!std::filesystem::exists(source.file, ec)) {
    return common::Status::Error("config file " + source.file + " (from " + source.origin +
                                 ") does not exist");
  }
  return source;
}

}  // namespace hourglass::server
