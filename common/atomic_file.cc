#include "common/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace hourglass::common {
namespace {

Status Errno(std::string_view what, const std::string& path, int err) {
  return Status::Error(std::string(what) + " " + path + ": " + std::strerror(err));
}

std::string DirOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

Result<AtomicFile> AtomicFile::Create(std::string path, std::string temp_path) {
  if (temp_path.empty()) temp_path = path + ".tmp";
  UniqueFd fd(::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return Errno("cannot create", temp_path, errno);
  return AtomicFile(std::move(path), std::move(temp_path), std::move(fd));
}

AtomicFile::~AtomicFile() {
  if (!done_ && !temp_.empty()) ::unlink(temp_.c_str());
}

Status AtomicFile::Write(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_.get(), bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("cannot write", temp_, errno);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status AtomicFile::Commit() {
  if (::fsync(fd_.get()) != 0) return Errno("cannot fsync", temp_, errno);
  fd_.Reset();
  if (::rename(temp_.c_str(), path_.c_str()) != 0) return Errno("cannot rename", temp_, errno);
  done_ = true;
  return FsyncDir(DirOf(path_));
}

Status WriteFileAtomically(const std::string& path, std::string_view bytes) {
  auto file = AtomicFile::Create(path);
  if (!file) return file.status();
  if (Status s = file->Write(bytes); !s) return s;
  return file->Commit();
}

Status FsyncDir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return Errno("cannot open directory", dir, errno);
  if (::fsync(fd.get()) != 0) return Errno("cannot fsync directory", dir, errno);
  return Status::Ok();
}

}  // namespace hourglass::common
