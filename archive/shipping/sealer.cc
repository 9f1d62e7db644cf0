// DESIGN: parts of the open hour (archive.ship_interval).
//
// Every pass the sealer stats the audit files it has not finished. Once the
// oldest bytes past an open file's shipped position were first seen
// ship_interval ago, it seals its whole lines from that position to the last
// LF as the next part, NAME.log.part-NNNN.gz (parts numbered from 1, names
// sort by position), after fdatasync of the audit file so the shipped bytes
// can never vanish from it. The part's manifest holds the byte range
// [from, to) of the audit file: written atomically after the sealed file, it
// is the commit point of both the part and the shipped position (the next
// part starts at the last manifest's `to`), so a crash re-seals the same part
// under the same name or nothing. The writer appends whole lines only and
// repairs a torn tail at open; a part never goes past the last LF, nor past
// the writer's WrittenSize (a write failing part-way, disk full, is cut back
// to it), so a line is never shipped half nor before it is written for good. When the file is
// complete: with no part yet it is sealed whole under its old name (as with ship_interval 0); else
// only the rest goes as the last part, or nothing if there is none.
//
// Positions live in memory (rebuilt from the manifests at Open); the sealer
// is the only writer of manifests, the uploader deletes them only with the
// audit file.
#include "archive/shipping/sealer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "archive/shipping/sha256_stream.h"
#include "common/atomic_file.h"
#include "common/unique_fd.h"

namespace hourglass::archive {
namespace {

constexpr size_t kReadChunk = 1 << 20;
constexpr std::string_view kTempPrefix = ".sealing-";
constexpr std::string_view kPartInfix = ".part-";
constexpr int64_t kMicros = 1'000'000;

common::Status Errno(std::string_view what, const std::string& path) {
  return common::Status::Error(std::string(what) + " " + path + ": " + std::strerror(errno));
}

common::Status WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return common::Status::Error(std::string("write failed: ") + std::strerror(errno));
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return common::Status::Ok();
}

// Compresses `in` (from its offset, at most `limit` bytes) into `out`,
// filling the sizes, checksums and line count.
common::Status Compress(int in, int out, Compression compression, uint64_t limit,
                        SealedManifest& m) {
  auto encoder = MakeEncoder(compression);
  if (!encoder) return encoder.status();
  Sha256Stream raw_sha, sealed_sha;
  const ChunkSink sink = [&](std::string_view bytes) {
    sealed_sha.Update(bytes);
    m.bytes += bytes.size();
    return WriteAll(out, bytes);
  };
  std::vector<char> buffer(kReadChunk);
  for (;;) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), limit - m.raw_bytes));
    if (want == 0) break;
    const ssize_t n = ::read(in, buffer.data(), want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return common::Status::Error(std::string("read failed: ") + std::strerror(errno));
    if (n == 0) break;
    const std::string_view chunk(buffer.data(), static_cast<size_t>(n));
    raw_sha.Update(chunk);
    m.raw_bytes += chunk.size();
    m.lines += static_cast<uint64_t>(std::count(chunk.begin(), chunk.end(), '\n'));
    if (auto status = (*encoder)->Write(chunk, sink); !status) return status;
  }
  if (auto status = (*encoder)->Finish(sink); !status) return status;
  m.sha256 = sealed_sha.FinishHex();
  m.raw_sha256 = raw_sha.FinishHex();
  return common::Status::Ok();
}

// The end of the last whole line of `fd` at or before `size`, not before `from`.
common::Result<uint64_t> LastLineEnd(int fd, uint64_t from, uint64_t size) {
  std::vector<char> buffer(64 << 10);
  uint64_t end = size;
  while (end > from) {
    const uint64_t start = end - std::min<uint64_t>(buffer.size(), end - from);
    const ssize_t n = ::pread(fd, buffer.data(), end - start, static_cast<off_t>(start));
    if (n < 0 && errno == EINTR) continue;
    if (n != static_cast<ssize_t>(end - start)) {
      return common::Status::Error(std::string("read failed: ") + std::strerror(errno));
    }
    for (uint64_t i = end - start; i > 0; --i) {
      if (buffer[i - 1] == '\n') return start + i;
    }
    end = start;
  }
  return from;
}

}  // namespace

std::string SealedFileName(const AuditFileInfo& file, Compression compression) {
  return file.name + std::string(CompressionSuffix(compression));
}

std::string PartFileName(const AuditFileInfo& file, int part, Compression compression) {
  return fmt::format("{}{}{:04d}{}", file.name, kPartInfix, part, CompressionSuffix(compression));
}

std::optional<SealedName> ParseSealedFileName(std::string_view audit_prefix,
                                              std::string_view name) {
  const std::string_view suffix = CompressionSuffix(CompressionOfName(name));
  name.remove_suffix(suffix.size());
  SealedName out;
  if (const size_t at = name.rfind(kPartInfix); at != std::string_view::npos) {
    const std::string_view digits = name.substr(at + kPartInfix.size());
    if (digits.size() < 4 || digits.size() > 9 ||
        digits.find_first_not_of("0123456789") != std::string_view::npos) {
      return std::nullopt;
    }
    out.part = std::stoi(std::string(digits));
    if (out.part < 1 || fmt::format("{:04d}", out.part) != digits) return std::nullopt;
    name = name.substr(0, at);
  }
  auto audit = ParseAuditFileName(audit_prefix, name);
  if (!audit) return std::nullopt;
  out.audit = std::move(*audit);
  return out;
}

common::Result<std::unique_ptr<Sealer>> Sealer::Open(const SealerOptions& options,
                                                     const common::Clock& clock,
                                                     common::StatsRegistry& stats) {
  std::error_code ec;
  std::filesystem::create_directories(options.sealed_dir, ec);
  if (ec) {
    return common::Status::Error("cannot create archive spool " + options.sealed_dir + ": " +
                                 ec.message());
  }
  for (std::filesystem::directory_iterator it(options.sealed_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with(kTempPrefix) || name.ends_with(".tmp")) {
      std::filesystem::remove(it->path(), ec);
    }
  }
  if (ec) return common::Status::Error("cannot clean " + options.sealed_dir + ": " + ec.message());
  std::unique_ptr<Sealer> sealer(new Sealer(options, clock, stats));
  sealer->LoadPositions();
  return sealer;
}

void Sealer::LoadPositions() {
  std::error_code ec;
  for (std::filesystem::directory_iterator it(options_.sealed_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (!it->path().filename().string().ends_with(kManifestSuffix)) continue;
    auto text = ReadSmallFile(it->path().string());
    auto m = text ? ParseManifest(*text) : common::Result<SealedManifest>(text.status());
    if (!m) continue;  // the uploader reports it
    Position& pos = positions_[m->source];
    if (m->part == 0) pos.whole = true;
    if (m->part > pos.part) {
      pos.part = m->part;
      pos.to = m->to;
    }
  }
}

uint64_t Sealer::ShippedTo(const std::string& audit_file) const {
  auto it = positions_.find(audit_file);
  return it == positions_.end() ? 0 : it->second.to;
}

int64_t Sealer::oldest_unsealed_micros() const {
  int64_t oldest = 0;
  for (const auto& [name, pos] : positions_) {
    if (pos.first_seen_micros != 0 && (oldest == 0 || pos.first_seen_micros < oldest)) {
      oldest = pos.first_seen_micros;
    }
  }
  return oldest;
}

Sealer::Sealer(const SealerOptions& options, const common::Clock& clock,
               common::StatsRegistry& stats)
    : options_(options),
      clock_(clock),
      sealed_(stats.GetCounter("archive.sealed_files", "audit files sealed (compressed)")),
      parts_(stats.GetCounter("archive.sealed_parts",
                              "parts of open hours sealed (archive.ship_interval)")),
      failures_(stats.GetCounter("archive.seal_failures", "audit files that failed to seal")),
      raw_bytes_(stats.GetCounter("archive.sealed_raw_bytes", "audit bytes read by sealing")),
      sealed_bytes_(
          stats.GetCounter("archive.sealed_bytes", "bytes of sealed (compressed) files")) {}

bool Sealer::Due(const AuditFileInfo& file, bool force) const {
  if (!file.complete) return false;
  const int64_t now = clock_.NowSeconds();
  const int64_t end = (file.hour + 1) * 3600;
  return force || now >= end + options_.grace_s || now < end;
}

common::Result<int> Sealer::SealDue(bool force) {
  auto files = ListAuditFiles(options_.audit_dir, options_.audit_prefix);
  if (!files) return files.status();
  int sealed = 0;
  common::Status first_error;
  for (const AuditFileInfo& file : *files) {
    bool done = false;
    if (auto status = SealOne(file, force, &done); !status) {
      failures_.Add();
      if (first_error.ok()) first_error = status;
    }
    sealed += done;
  }
  std::erase_if(positions_, [&](const auto& entry) {  // the uploader deleted the audit file
    return std::none_of(files->begin(), files->end(),
                        [&](const AuditFileInfo& f) { return f.name == entry.first; });
  });
  if (!first_error.ok()) return first_error;
  return sealed;
}

common::Status Sealer::SealOne(const AuditFileInfo& file, bool force, bool* sealed) {
  Position& pos = positions_[file.name];
  if (pos.whole || pos.finished) return common::Status::Ok();
  const int64_t now = clock_.NowMicros();
  struct stat st {};
  const std::string source = options_.audit_dir + "/" + file.name;
  if (::stat(source.c_str(), &st) != 0) return Errno("cannot stat", source);
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size < pos.to) {
    return common::Status::Error(fmt::format("{} is shorter ({} bytes) than what was shipped ({})",
                                             file.name, size, pos.to));
  }
  if (size > pos.to && pos.first_seen_micros == 0) pos.first_seen_micros = now;
  if (file.complete) {
    if (!Due(file, force)) return common::Status::Ok();
    if (pos.part == 0) {
      auto m = SealFile(file);
      *sealed = m.ok();
      return m.ok() ? common::Status::Ok() : m.status();
    }
    auto part = SealPart(file);  // the rest of the hour
    if (!part) return part.status();
    *sealed = part->has_value();
    if (pos.to == size) pos.finished = true;
    return common::Status::Ok();
  }
  if (options_.ship_interval_s <= 0 || pos.first_seen_micros == 0 ||
      now - pos.first_seen_micros < options_.ship_interval_s * kMicros) {
    return common::Status::Ok();
  }
  auto part = SealPart(file);
  if (!part) return part.status();
  *sealed = part->has_value();
  return common::Status::Ok();
}

common::Result<SealedManifest> Sealer::SealFile(const AuditFileInfo& file) {
  return Seal(file, SealedFileName(file, options_.compression), 0, 0, std::nullopt);
}

common::Result<std::optional<SealedManifest>> Sealer::SealPart(const AuditFileInfo& file) {
  const Position& pos = positions_[file.name];
  const std::string source = options_.audit_dir + "/" + file.name;
  common::UniqueFd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return Errno("cannot open", source);
  // The shipped bytes must outlive a power cut in the audit file too.
  struct stat st {};
  if (::fdatasync(in.get()) != 0 || ::fstat(in.get(), &st) != 0) {
    return Errno("cannot sync", source);
  }
  auto size = static_cast<uint64_t>(st.st_size);
  if (options_.written_size) {  // a write failing part-way is cut back, never below this
    if (auto written = options_.written_size(file.name)) size = std::min(size, *written);
  }
  auto end = LastLineEnd(in.get(), pos.to, size);
  if (!end) return common::Status::Error(source + ": " + end.status().message());
  if (*end <= pos.to) return std::optional<SealedManifest>();
  auto m = Seal(file, PartFileName(file, pos.part + 1, options_.compression), pos.part + 1, pos.to,
                *end);
  if (!m) return m.status();
  // Bytes already past the part (a line being written) were seen by now.
  if (static_cast<uint64_t>(st.st_size) > m->to) {
    positions_[file.name].first_seen_micros = clock_.NowMicros();
  }
  return std::optional<SealedManifest>(std::move(*m));
}

common::Result<SealedManifest> Sealer::Seal(const AuditFileInfo& file, const std::string& name,
                                            int part, uint64_t from, std::optional<uint64_t> to) {
  const std::string source = options_.audit_dir + "/" + file.name;
  const std::string temp = options_.sealed_dir + "/" + std::string(kTempPrefix) + name;
  const std::string final_path = options_.sealed_dir + "/" + name;
  common::UniqueFd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return Errno("cannot open", source);
  const uint64_t limit = to ? *to - from : UINT64_MAX;
  if (from > 0 && ::lseek(in.get(), static_cast<off_t>(from), SEEK_SET) < 0) {
    return Errno("cannot seek", source);
  }
  auto out = common::AtomicFile::Create(final_path, temp);
  if (!out) return out.status();
  Position& pos = positions_[file.name];
  SealedManifest m{.file = name,
                   .source = file.name,
                   .hour = file.hour,
                   .segment = file.segment,
                   .part = part,
                   .from = from,
                   .first_seen_micros = pos.first_seen_micros != 0 ? pos.first_seen_micros
                                                                   : file.hour * 3600 * kMicros,
                   .compression = std::string(CompressionName(options_.compression))};
  common::Status status = Compress(in.get(), out->fd(), options_.compression, limit, m);
  if (status) status = out->Commit();
  if (status && to && m.raw_bytes != limit) {
    status = common::Status::Error("the file ended before the range was read");
  }
  if (!status) return common::Status::Error("sealing " + file.name + ": " + status.message());
  m.to = from + m.raw_bytes;
  m.sealed_micros = clock_.NowMicros();
  status = WriteFileAtomically(options_.sealed_dir, name + std::string(kManifestSuffix),
                               ManifestJson(m));
  if (!status) return status;
  // The manifest is the commit point: only now does the position move.
  if (part == 0) pos.whole = true;
  pos.part = std::max(pos.part, part);
  pos.to = m.to;
  pos.first_seen_micros = 0;
  (part == 0 ? sealed_ : parts_).Add();
  raw_bytes_.Add(m.raw_bytes);
  sealed_bytes_.Add(m.bytes);
  spdlog::info(
      "archive sealed file={} part={} range=[{},{}) lines={} sealed_bytes={} compression={}",
      file.name, part, m.from, m.to, m.lines, m.bytes, m.compression);
  return m;
}

}  // namespace hourglass::archive
