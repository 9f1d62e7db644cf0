#include "server/archive_command.h"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>

#include <fmt/format.h>

#include "archive/audit/audit_files.h"
#include "archive/shipping/archive_reader.h"
#include "archive/shipping/hour_time.h"
#include "archive/shipping/line_filter.h"
#include "common/atomic_file.h"

namespace hourglass::server {
namespace {

constexpr int kFailure = 1;
constexpr int kUsage = 2;

int Error(const std::string& message, int code = kFailure) {
  std::fprintf(stderr, "hourglass: %s\n", message.c_str());
  return code;
}

// Everything a command needs: the settings, the open store and a reader of
// this host's hours.
struct Session {
  archive::ArchiveSettings settings;
  archive::OpenedStore opened;
  std::unique_ptr<archive::ArchiveReader> reader;
};

common::Result<Session> OpenSession(const config::Config& config) {
  auto settings = ArchiveSettingsFrom(config);
  if (!settings) return settings.status();
  auto opened = archive::OpenArchiveStore(*settings);
  if (!opened) return opened.status();
  auto key_template = archive::KeyTemplate::Parse(settings->key_template);
  Session session{std::move(*settings), std::move(*opened), nullptr};
  session.reader = std::make_unique<archive::ArchiveReader>(
      *session.opened.store,
      archive::ReaderOptions{*key_template, session.opened.prefix, session.settings.host,
                             session.settings.audit_prefix});
  return session;
}

common::Status WriteOut(std::FILE* out, std::string_view bytes) {
  if (std::fwrite(bytes.data(), 1, bytes.size(), out) != bytes.size()) {
    return common::Status::Error("cannot write the output");
  }
  return common::Status::Ok();
}

// Streams every segment through `sink` in order; returns the exit code.
int ReadSegments(Session& session, const std::vector<archive::ArchivedSegment>& segments,
                 const archive::ChunkSink& sink) {
  for (const auto& segment : segments) {
    auto done = session.reader->Read(segment, sink);
    if (!done) return Error(done.error().message);
  }
  return 0;
}

common::Result<std::vector<archive::ArchivedSegment>> HourSegments(Session& session,
                                                                   const std::string& text) {
  auto hour = archive::ParseHour(text);
  if (!hour) return hour.status();
  auto segments = session.reader->List(*hour * 3600, *hour * 3600 + 3600);
  if (!segments) return segments.status();
  return std::move(*segments);
}

int Ls(Session& session, const CommandLine& line, int64_t now) {
  int64_t from = 0, until = now + 3600;
  if (auto it = line.flags.find("--from"); it != line.flags.end()) {
    auto t = archive::ParseTime(it->second, now);
    if (!t) return Error("--from: " + t.status().message(), kUsage);
    from = *t;
  }
  if (auto it = line.flags.find("--until"); it != line.flags.end()) {
    auto t = archive::ParseTime(it->second, now);
    if (!t) return Error("--until: " + t.status().message(), kUsage);
    until = *t;
  }
  auto segments = session.reader->List(from, until);
  if (!segments) return Error(segments.error().message);
  for (const auto& s : *segments) {
    std::printf("%s %llu %llu %s\n", s.key.c_str(), static_cast<unsigned long long>(s.size),
                static_cast<unsigned long long>(s.lines),
                s.sha256.empty() ? "-" : s.sha256.c_str());
  }
  return 0;
}

std::string NoHour(const Session& session, const std::string& hour) {
  return fmt::format("no archived segment of hour {} for host {} in {}", hour,
                     session.settings.host, session.opened.store->Describe());
}

int Get(Session& session, const CommandLine& line) {
  auto segments = HourSegments(session, line.positional[0]);
  if (!segments) return Error(segments.status().message(), kUsage);
  if (segments->empty()) return Error(NoHour(session, line.positional[0]));
  auto it = line.flags.find("-o");
  if (it == line.flags.end() || it->second == "-") {
    return ReadSegments(session, *segments, [](std::string_view b) { return WriteOut(stdout, b); });
  }
  // A file: complete and verified, or absent.
  auto out = common::AtomicFile::Create(it->second, it->second + ".part");
  if (!out) return Error(out.status().message());
  int code = ReadSegments(session, *segments, [&](std::string_view b) { return out->Write(b); });
  if (code != 0) return code;  // ~AtomicFile removes the temp file
  if (auto committed = out->Commit(); !committed) return Error(committed.message());
  return 0;
}

int Cat(Session& session, const CommandLine& line, int64_t now) {
  auto from_it = line.flags.find("--from"), until_it = line.flags.find("--until");
  if (from_it == line.flags.end() || until_it == line.flags.end()) {
    return Error("archive cat needs --from T and --until T", kUsage);
  }
  auto from = archive::ParseTime(from_it->second, now);
  if (!from) return Error("--from: " + from.status().message(), kUsage);
  auto until = archive::ParseTime(until_it->second, now);
  if (!until) return Error("--until: " + until.status().message(), kUsage);
  std::unique_ptr<archive::LineFilter> filter;
  if (auto grep = line.flags.find("--grep"); grep != line.flags.end()) {
    auto created = archive::LineFilter::Create(grep->second);
    if (!created) return Error(created.status().message(), kUsage);
    filter = std::move(*created);
  }
  auto segments = session.reader->List(*from, *until);
  if (!segments) return Error(segments.error().message);
  const archive::ChunkSink out = [](std::string_view b) { return WriteOut(stdout, b); };
  if (!filter) return ReadSegments(session, *segments, out);
  int code =
      ReadSegments(session, *segments, [&](std::string_view b) { return filter->Write(b, out); });
  if (auto status = filter->Finish(out); !status && code == 0) code = Error(status.message());
  return code;
}

int Presign(Session& session, const CommandLine& line, int64_t now) {
  int64_t expires = 3600;
  if (auto it = line.flags.find("--expires"); it != line.flags.end()) {
    expires = config::ParseDurationSeconds(it->second);
    if (expires < 1 || expires > 7 * 86400) {
      return Error("--expires must be a duration from 1s to 7d, such as 1h", kUsage);
    }
  }
  const bool put = line.flags.count("--put") > 0;
  auto segments = HourSegments(session, line.positional[0]);
  if (!segments) return Error(segments.status().message(), kUsage);
  std::vector<std::string> keys;
  for (const auto& segment : *segments) keys.push_back(segment.key);
  if (keys.empty() && put) {  // nothing there yet: the key segment 1 of this host would use
    const int64_t hour = *archive::ParseHour(line.positional[0]);
    const std::string file = archive::AuditFileName(session.settings.audit_prefix, hour, 1) +
                             std::string(archive::CompressionSuffix(session.settings.compression));
    keys.push_back(archive::KeyTemplate::Parse(session.settings.key_template)
                       ->Render(session.opened.prefix, hour, session.settings.host, file));
  }
  if (keys.empty()) return Error(NoHour(session, line.positional[0]));
  const auto method = put ? archive::PresignMethod::kPut : archive::PresignMethod::kGet;
  for (const auto& key : keys) {
    std::printf("%s\n", session.opened.store->Presign(key, method, expires, now).c_str());
  }
  return 0;
}

}  // namespace

common::Result<archive::ArchiveSettings> ArchiveSettingsFrom(const config::Config& config) {
  const config::ArchiveConfig& a = config.archive;
  archive::ArchiveSettings s;
  s.data_dir = config.data_dir;
  s.audit_prefix = config.audit.prefix;
  s.target = a.target;
  s.endpoint = a.endpoint;
  s.region = a.region;
  s.addressing = a.addressing == "path"      ? archive::S3Addressing::kPath
                 : a.addressing == "virtual" ? archive::S3Addressing::kVirtualHosted
                                             : archive::S3Addressing::kAuto;
  auto compression = archive::ParseCompression(a.compression);
  if (!compression) return compression.status();
  s.compression = *compression;
  if (auto t = archive::KeyTemplate::Parse(a.key_template); !t) return t.status();
  s.key_template = a.key_template;
  s.host = a.host;
  s.grace_s = a.grace_s;
  s.keep_local_s = a.keep_local_s;
  s.multipart_threshold = a.multipart_threshold_bytes;
  s.secrets_file = a.secrets_file;
  s.storage_class = a.storage_class;
  s.sse = a.sse;
  s.retry_max_s = a.retry_max_s;
  return s;
}

int RunArchiveCommand(const CommandLine& line, const config::Config& config) {
  auto session = OpenSession(config);
  if (!session) return Error(session.status().message());
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  const std::string& name = line.command->name;
  if (name == "archive ls") return Ls(*session, line, now);
  if (name == "archive get") return Get(*session, line);
  if (name == "archive cat") return Cat(*session, line, now);
  return Presign(*session, line, now);
}

}  // namespace hourglass::server
