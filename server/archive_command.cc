#include "server/archive_command.h"

#include <cstdio>
#include <ctime>

#include "common/atomic_file.h"
#include "server/archive_service.h"
#include "server/settings.h"

namespace hourglass::server {
namespace {

constexpr int kFailure = 1;
constexpr int kUsage = 2;

int Error(const std::string& message, int code = kFailure) {
  std::fprintf(stderr, "hourglass: %s\n", message.c_str());
  return code;
}

common::Status WriteOut(std::FILE* out, std::string_view bytes) {
  if (std::fwrite(bytes.data(), 1, bytes.size(), out) != bytes.size()) {
    return common::Status::Error("cannot write the output");
  }
  return common::Status::Ok();
}

const archive::ChunkSink kStdout = [](std::string_view b) { return WriteOut(stdout, b); };

std::optional<std::string_view> Flag(const CommandLine& line, const std::string& name) {
  auto it = line.flags.find(name);
  if (it == line.flags.end()) return std::nullopt;
  return it->second;
}

// The --from/--until range, or the usage error's exit code in `code`.
std::optional<TimeRange> Range(const CommandLine& line, int64_t now, int* code) {
  const ParsedRange parsed = ParseRange(Flag(line, "--from"), Flag(line, "--until"), now);
  if (parsed.problem) {
    *code = Error("--" + parsed.problem->bound + ": " + parsed.problem->reason, kUsage);
    return std::nullopt;
  }
  return parsed.range;
}

int Streamed(std::optional<StreamError> error) { return error ? Error(error->message) : 0; }

// "...log.part-0001.gz" -> "...log.part-*.gz".
std::string PartsGlob(const std::string& key) {
  const size_t at = key.rfind(".part-");
  if (at == std::string::npos) return key;
  const size_t end = key.find_first_not_of("0123456789", at + 6);
  return key.substr(0, at + 6) + "*" + (end == std::string::npos ? "" : key.substr(end));
}

int Ls(ArchiveService& service, const CommandLine& line, int64_t now) {
  int code = 0;
  auto range = Range(line, now, &code);
  if (!range) return code;
  auto segments = service.List(*range);
  if (!segments) return Error(segments.error().message);
  const auto& all = *segments;
  for (size_t i = 0; i < all.size();) {
    const auto& s = all[i];
    if (s.part == 0) {
      std::printf("%s %llu %llu %s\n", s.key.c_str(), static_cast<unsigned long long>(s.size),
                  static_cast<unsigned long long>(s.lines),
                  s.sha256.empty() ? "-" : s.sha256.c_str());
      ++i;
      continue;
    }
    // The parts of one hour's segment: one row, its keys as a glob.
    uint64_t size = 0, lines = 0;
    size_t j = i;
    for (; j < all.size() && all[j].part > 0 && all[j].hour == s.hour && all[j].host == s.host &&
           all[j].segment == s.segment;
         ++j) {
      size += all[j].size;
      lines += all[j].lines;
    }
    std::printf("%s %llu %llu parts=%zu\n", PartsGlob(s.key).c_str(),
                static_cast<unsigned long long>(size), static_cast<unsigned long long>(lines),
                j - i);
    i = j;
  }
  return 0;
}

int Get(ArchiveService& service, const CommandLine& line) {
  auto hour = service.Hour(line.positional[0]);
  if (!hour) return Error(hour.status().message(), kUsage);
  if (hour->segments.empty()) return Error(service.NoHour(line.positional[0]));
  auto file = Flag(line, "-o");
  if (!file || *file == "-") return Streamed(service.Stream(hour->segments, nullptr, kStdout));
  // A file: complete and verified, or absent.
  const std::string path(*file);
  auto out = common::AtomicFile::Create(path, path + ".part");
  if (!out) return Error(out.status().message());
  auto error =
      service.Stream(hour->segments, nullptr, [&](std::string_view b) { return out->Write(b); });
  if (error) return Error(error->message);  // ~AtomicFile removes the temp file
  if (auto committed = out->Commit(); !committed) return Error(committed.message());
  return 0;
}

int Cat(ArchiveService& service, const CommandLine& line, int64_t now) {
  if (!Flag(line, "--from") || !Flag(line, "--until")) {
    return Error("archive cat needs --from T and --until T", kUsage);
  }
  int code = 0;
  auto range = Range(line, now, &code);
  if (!range) return code;
  std::unique_ptr<archive::LineFilter> filter;
  if (auto grep = Flag(line, "--grep")) {
    auto created = archive::LineFilter::Create(std::string(*grep));
    if (!created) return Error(created.status().message(), kUsage);
    filter = std::move(*created);
  }
  auto segments = service.List(*range);
  if (!segments) return Error(segments.error().message);
  return Streamed(service.Stream(*segments, filter.get(), kStdout));
}

int Presign(ArchiveService& service, const CommandLine& line, int64_t now) {
  int64_t expires = 3600;
  if (auto text = Flag(line, "--expires")) {
    expires = config::ParseDurationSeconds(*text);
    if (expires < 1 || expires > 7 * 86400) {
      return Error("--expires must be a duration from 1s to 7d, such as 1h", kUsage);
    }
  }
  auto hour = service.Hour(line.positional[0]);
  if (!hour) return Error(hour.status().message(), kUsage);
  const auto urls = service.Presign(*hour, line.flags.count("--put") > 0, expires, now);
  if (urls.empty()) return Error(service.NoHour(line.positional[0]));
  for (const auto& url : urls) std::printf("%s\n", url.c_str());
  return 0;
}

}  // namespace

int RunArchiveCommand(const CommandLine& line, const config::Config& config,
                      const std::string& settings_from) {
  archive::ArchiveSettings settings;
  if (auto problem = ArchiveSettingsFrom(config, &settings)) return Error(Describe(*problem));
  auto service = ArchiveService::Open(settings);
  if (!service) {  // e.g. a local archive that does not exist: never created here
    return Error(service.status().message() + " (settings: " + settings_from +
                 "; give the server's config with --config FILE or HOURGLASS_CONFIG=FILE, or "
                 "its archive.target/data_dir with --set)");
  }
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  const std::string& name = line.command->name;
  if (name == "archive ls") return Ls(*service, line, now);
  if (name == "archive get") return Get(*service, line);
  if (name == "archive cat") return Cat(*service, line, now);
  return Presign(*service, line, now);
}

}  // namespace hourglass::server
