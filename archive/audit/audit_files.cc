#include "archive/audit/audit_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "archive/audit/audit_format.h"
#include "common/atomic_file.h"
#include "common/json_escape.h"
#include "common/utc_time.h"

namespace hourglass::archive {
namespace {

common::Status Errno(std::string_view what, const std::string& path) {
  return common::Status::Error(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

bool ParseDigits(std::string_view s, int& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

std::string AuditFileName(std::string_view prefix, int64_t hour, int segment) {
  if (segment <= 1) return fmt::format("{}-{}.log", prefix, HourStamp(hour));
  return fmt::format("{}-{}-{}.log", prefix, HourStamp(hour), segment);
}

std::optional<AuditFileInfo> ParseAuditFileName(std::string_view prefix, std::string_view name) {
  if (name.size() < prefix.size() + 1 + 14 + 4 || name.substr(0, prefix.size()) != prefix ||
      name[prefix.size()] != '-' || name.substr(name.size() - 4) != ".log") {
    return std::nullopt;
  }
  const std::string_view rest = name.substr(prefix.size() + 1, name.size() - prefix.size() - 5);
  AuditFileInfo info;
  info.name = std::string(name);
  const auto hour = common::ParseHourStamp(rest.substr(0, 14));
  if (!hour) return std::nullopt;
  info.hour = *hour;
  if (rest.size() > 14) {
    if (rest[14] != '-' || !ParseDigits(rest.substr(15), info.segment) || info.segment < 2 ||
        AuditFileName(prefix, info.hour, info.segment) != name) {
      return std::nullopt;
    }
  }
  return info;
}

common::Result<std::vector<AuditFileInfo>> ListAuditFiles(const std::string& dir,
                                                          std::string_view prefix) {
  std::error_code ec;
  std::vector<AuditFileInfo> files;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    auto info = ParseAuditFileName(prefix, it->path().filename().string());
    if (!info) continue;
    info->complete = std::filesystem::exists(dir + "/" + info->name + std::string(kCompleteSuffix));
    files.push_back(std::move(*info));
  }
  if (ec) return common::Status::Error("cannot list " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
    return std::pair(a.hour, a.segment) < std::pair(b.hour, b.segment);
  });
  return files;
}

common::Status FsyncDir(const std::string& dir) { return common::FsyncDir(dir); }

common::Status WriteCompleteMarker(const std::string& dir, const AuditFileInfo& file,
                                   uint64_t bytes, uint64_t lines, int64_t now_micros) {
  const std::string path = dir + "/" + file.name + std::string(kCompleteSuffix);
  const std::string body = fmt::format(
      "{{\"file\":{},\"hour\":{},\"segment\":{},\"bytes\":{},\"lines\":{},"
      "\"completed\":{}}}\n",
      common::JsonString(file.name), common::JsonString(HourStamp(file.hour)), file.segment, bytes,
      lines, common::JsonString(Rfc3339Micros(now_micros)));
  return common::WriteFileAtomically(path, body);
}

common::Result<AppendFile> AppendFile::Open(const std::string& path) {
  AppendFile file;
  file.fd_ = common::UniqueFd(::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  if (!file.fd_.valid()) return Errno("cannot open", path);
  // Count the whole lines and find where the last one ends.
  char buffer[1 << 16];
  uint64_t offset = 0;
  for (;;) {
    const ssize_t n = ::pread(file.fd_.get(), buffer, sizeof(buffer), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("cannot read", path);
    if (n == 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      if (buffer[i] == '\n') ++file.lines_, file.size_ = offset + i + 1;
    }
    offset += static_cast<uint64_t>(n);
  }
  file.torn_bytes_ = offset - file.size_;
  if (file.torn_bytes_ > 0) {
    if (::ftruncate(file.fd_.get(), static_cast<off_t>(file.size_)) != 0) {
      return Errno("cannot truncate torn line of", path);
    }
    if (::fsync(file.fd_.get()) != 0) return Errno("cannot fsync", path);
  }
  return file;
}

common::Status AppendFile::CutBack() {
  if (::ftruncate(fd_.get(), static_cast<off_t>(size_)) != 0) {
    needs_cut_ = true;
    return common::Status::Error(fmt::format("cannot cut back: {}", std::strerror(errno)));
  }
  needs_cut_ = false;
  return common::Status::Ok();
}

common::Status AppendFile::Append(std::string_view data, uint64_t lines) {
  if (needs_cut_) {
    if (auto status = CutBack(); !status.ok()) return status;
  }
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd_.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : ENOSPC;
      if (done > 0) (void)CutBack();
      return common::Status::Error(fmt::format("write failed: {}", std::strerror(error)));
    }
    done += static_cast<size_t>(n);
    dirty_ = true;
  }
  size_ += data.size();
  lines_ += lines;
  return common::Status::Ok();
}

bool IsDiskFull(const common::Status& status) {
  const std::string& m = status.message();
  return m.find(std::strerror(ENOSPC)) != std::string::npos ||
         m.find(std::strerror(EDQUOT)) != std::string::npos;
}

common::Status AppendFile::Sync() {
  if (::fsync(fd_.get()) != 0) {
    return common::Status::Error(fmt::format("fsync failed: {}", std::strerror(errno)));
  }
  dirty_ = false;
  return common::Status::Ok();
}

}  // namespace hourglass::archive
