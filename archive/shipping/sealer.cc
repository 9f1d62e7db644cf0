#include "archive/shipping/sealer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include <spdlog/spdlog.h>

#include "archive/shipping/sha256_stream.h"
#include "common/atomic_file.h"
#include "common/unique_fd.h"

namespace hourglass::archive {
namespace {

constexpr size_t kReadChunk = 1 << 20;
constexpr std::string_view kTempPrefix = ".sealing-";

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

// Compresses `in` into `out`, filling the sizes, checksums and line count.
common::Status Compress(int in, int out, Compression compression, SealedManifest& m) {
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
    const ssize_t n = ::read(in, buffer.data(), buffer.size());
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

}  // namespace

std::string SealedFileName(const AuditFileInfo& file, Compression compression) {
  return file.name + std::string(CompressionSuffix(compression));
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
  return std::unique_ptr<Sealer>(new Sealer(options, clock, stats));
}

Sealer::Sealer(const SealerOptions& options, const common::Clock& clock,
               common::StatsRegistry& stats)
    : options_(options),
      clock_(clock),
      sealed_(stats.GetCounter("archive.sealed_files", "audit files sealed (compressed)")),
      failures_(stats.GetCounter("archive.seal_failures", "audit files that failed to seal")),
      raw_bytes_(stats.GetCounter("archive.sealed_raw_bytes", "audit bytes read by sealing")),
      sealed_bytes_(
          stats.GetCounter("archive.sealed_bytes", "bytes of sealed (compressed) files")) {}

bool Sealer::Due(const AuditFileInfo& file, bool force) const {
  if (!file.complete) return false;
  const std::string manifest = options_.sealed_dir + "/" +
                               SealedFileName(file, options_.compression) +
                               std::string(kManifestSuffix);
  if (std::filesystem::exists(manifest)) return false;
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
    if (!Due(file, force)) continue;
    auto manifest = SealFile(file);
    if (manifest) {
      ++sealed;
      continue;
    }
    failures_.Add();
    if (first_error.ok()) first_error = manifest.status();
  }
  if (!first_error.ok()) return first_error;
  return sealed;
}

common::Result<SealedManifest> Sealer::SealFile(const AuditFileInfo& file) {
  const std::string source = options_.audit_dir + "/" + file.name;
  const std::string name = SealedFileName(file, options_.compression);
  const std::string temp = options_.sealed_dir + "/" + std::string(kTempPrefix) + name;
  const std::string final_path = options_.sealed_dir + "/" + name;
  common::UniqueFd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return Errno("cannot open", source);
  auto out = common::AtomicFile::Create(final_path, temp);
  if (!out) return out.status();
  SealedManifest m{.file = name,
                   .source = file.name,
                   .hour = file.hour,
                   .segment = file.segment,
                   .compression = std::string(CompressionName(options_.compression))};
  common::Status status = Compress(in.get(), out->fd(), options_.compression, m);
  if (status) status = out->Commit();
  if (!status) return common::Status::Error("sealing " + file.name + ": " + status.message());
  m.sealed_micros = clock_.NowMicros();
  status = WriteFileAtomically(options_.sealed_dir, name + std::string(kManifestSuffix),
                               ManifestJson(m));
  if (!status) return status;
  sealed_.Add();
  raw_bytes_.Add(m.raw_bytes);
  sealed_bytes_.Add(m.bytes);
  spdlog::info("archive sealed file={} lines={} bytes={} sealed_bytes={} compression={}", file.name,
               m.lines, m.raw_bytes, m.bytes, m.compression);
  return m;
}

}  // namespace hourglass::archive
