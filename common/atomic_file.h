// AtomicFile: writes a file so that after a crash it is either absent (or its
// old version) or complete: bytes go to a temp file in the same directory,
// which is fsynced, renamed over the target, and the directory fsynced.
// One writer per object; not thread-safe. WriteFileAtomically is the one-shot
// form for small files; AtomicFile streams (fd() for code that writes itself).
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"
#include "common/unique_fd.h"

namespace hourglass::common {

class AtomicFile {
 public:
  // Creates (truncates) the temp file `temp_path`, by default `path` + ".tmp";
  // it must be in the directory of `path`. Mode 0644, O_CLOEXEC.
  static Result<AtomicFile> Create(std::string path, std::string temp_path = "");

  AtomicFile(AtomicFile&& other) noexcept
      : path_(std::move(other.path_)),
        temp_(std::exchange(other.temp_, {})),
        fd_(std::move(other.fd_)),
        done_(other.done_) {}
  AtomicFile& operator=(AtomicFile&&) = delete;
  // Removes the temp file unless Commit() succeeded.
  ~AtomicFile();

  // The temp file, open for writing, for callers that write to it directly.
  int fd() const { return fd_.get(); }
  const std::string& temp_path() const { return temp_; }

  // Writes all of `bytes` (retrying short writes and EINTR).
  Status Write(std::string_view bytes);
  // fsync, close, rename over the target, fsync the directory. On failure the
  // temp file is removed (the target keeps its old content, unless only the
  // directory fsync failed).
  Status Commit();

 private:
  AtomicFile(std::string path, std::string temp, UniqueFd fd)
      : path_(std::move(path)), temp_(std::move(temp)), fd_(std::move(fd)) {}
  std::string path_;
  std::string temp_;
  UniqueFd fd_;
  bool done_ = false;
};

// Writes `bytes` to `path` atomically (temp file `path` + ".tmp").
Status WriteFileAtomically(const std::string& path, std::string_view bytes);

// fsyncs the directory `dir` so that renames and creations in it are durable.
Status FsyncDir(const std::string& dir);

}  // namespace hourglass::common
