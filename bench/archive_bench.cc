// archive_bench: seals (compresses, checksums) one synthetic audit hour and
// uploads it, printing throughput, CPU and peak RSS. Memory must stay
// bounded whatever the size: peak RSS is printed next to the file size.
//   archive_bench [--size-mib N] [--compression gzip|zstd|none] [--dir DIR]
// Upload target from the environment: ARCHIVE_TARGET ("s3://BUCKET/PREFIX",
// default a local directory under DIR), ARCHIVE_ENDPOINT, AWS_* credentials.
// Prints one line per phase: phase=... seconds=... mib_per_s=... cpu_s=...
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "archive/audit/audit_files.h"
#include "archive/shipping/archive_target.h"
#include "archive/shipping/uploader.h"

namespace archive = hourglass::archive;
namespace common = hourglass::common;

namespace {

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

long PeakRssKib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// JSON audit lines like the writer's, with varying fields (compresses about
// as real logs do), written in 1 MiB pieces.
void WriteHour(const std::string& path, uint64_t bytes) {
  std::ofstream out(path, std::ios::binary);
  std::mt19937_64 rng(42);
  std::string chunk;
  uint64_t written = 0;
  while (written < bytes) {
    chunk.clear();
    while (chunk.size() < (1 << 20)) {
      const uint64_t r = rng();
      chunk += "{\"received\":\"2026-11-21T05:" + std::to_string(r % 60) + ":" +
               std::to_string((r >> 8) % 60) + "." + std::to_string(r % 1000000) +
               "Z\",\"peer\":\"10.0.0." + std::to_string((r >> 16) % 255) +
               ":51234\",\"facility\":\"auth\",\"severity\":\"info\",\"host\":\"web-" +
               std::to_string((r >> 24) % 40) + "\",\"app\":\"sshd\",\"procid\":\"" +
               std::to_string((r >> 32) % 65536) +
               "\",\"message\":\"Accepted publickey for deploy from 10.1.2." +
               std::to_string((r >> 40) % 255) + " port " + std::to_string((r >> 48) % 65536) +
               " ssh2: ED25519 SHA256:" + std::to_string(r) + "\"}\n";
    }
    out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    written += chunk.size();
  }
}

const char* Arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

void Phase(const char* name, double seconds, uint64_t bytes, double cpu) {
  std::printf("phase=%s seconds=%.2f mib=%.0f mib_per_s=%.1f cpu_s=%.2f peak_rss_mib=%.1f\n", name,
              seconds, bytes / 1048576.0, bytes / 1048576.0 / seconds, cpu, PeakRssKib() / 1024.0);
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t size = std::strtoull(Arg(argc, argv, "--size-mib", "1024"), nullptr, 10) << 20;
  const std::string dir = Arg(argc, argv, "--dir", "/tmp/hourglass-archive-bench");
  auto compression = archive::ParseCompression(Arg(argc, argv, "--compression", "gzip"));
  if (!compression) return std::fprintf(stderr, "%s\n", compression.status().message().c_str()), 2;
  std::filesystem::remove_all(dir);
  archive::ArchiveSettings settings{.data_dir = dir, .compression = *compression, .host = "bench"};
  if (const char* t = std::getenv("ARCHIVE_TARGET")) settings.target = t;
  if (const char* e = std::getenv("ARCHIVE_ENDPOINT")) settings.endpoint = e;
  std::filesystem::create_directories(settings.audit_dir());
  const archive::AuditFileInfo info{"audit-20261121T0500Z.log", 1795237200 / 3600, 1, true};
  WriteHour(settings.audit_dir() + "/" + info.name, size);
  (void)archive::WriteCompleteMarker(settings.audit_dir(), info, size, 0, 0);
  std::printf("file_mib=%.0f compression=%s rss_after_generate_mib=%.1f\n", size / 1048576.0,
              std::string(archive::CompressionName(*compression)).c_str(), PeakRssKib() / 1024.0);

  common::SystemClock clock;
  common::StatsRegistry stats;
  auto sealer = archive::Sealer::Open({.audit_dir = settings.audit_dir(),
                                       .sealed_dir = settings.sealed_dir(),
                                       .compression = *compression},
                                      clock, stats);
  if (!sealer) return std::fprintf(stderr, "%s\n", sealer.status().message().c_str()), 1;
  double cpu = CpuSeconds();
  auto start = std::chrono::steady_clock::now();
  auto manifest = (*sealer)->SealFile(info);
  if (!manifest) return std::fprintf(stderr, "%s\n", manifest.status().message().c_str()), 1;
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  Phase("seal", took.count(), size, CpuSeconds() - cpu);
  std::printf("sealed_mib=%.1f ratio=%.1f lines=%llu\n", manifest->bytes / 1048576.0,
              static_cast<double>(size) / manifest->bytes,
              static_cast<unsigned long long>(manifest->lines));

  auto opened = archive::OpenArchiveStore(settings);
  if (!opened) return std::fprintf(stderr, "%s\n", opened.status().message().c_str()), 1;
  auto uploader = archive::Uploader::Create(
      {.key_template = *archive::KeyTemplate::Parse(settings.key_template),
       .prefix = opened->prefix,
       .host = "bench"},
      std::move(*sealer), std::move(opened->store), clock, stats);
  cpu = CpuSeconds();
  start = std::chrono::steady_clock::now();
  uploader->Pass();
  took = std::chrono::steady_clock::now() - start;
  Phase("upload", took.count(), manifest->bytes, CpuSeconds() - cpu);
  std::printf("pending_after_upload=%zu\n", uploader->pending());
  std::filesystem::remove_all(dir);
  return uploader->pending() == 0 ? 0 : 1;
}
