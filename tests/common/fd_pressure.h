// FdPressure: while alive, this process can open no new file descriptor
// (the soft RLIMIT_NOFILE is lowered to the lowest free descriptor), so
// accept() fails with EMFILE. Open the client sockets a test needs before
// creating it (connect() needs no new descriptor). Tests only; one at a time.
#pragma once

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

namespace hourglass::testing {

class FdPressure {
 public:
  FdPressure() {
    getrlimit(RLIMIT_NOFILE, &saved_);
    const int lowest_free = ::open("/dev/null", O_RDONLY);
    ::close(lowest_free);
    const rlimit low{static_cast<rlim_t>(lowest_free), saved_.rlim_max};
    setrlimit(RLIMIT_NOFILE, &low);
  }
  ~FdPressure() { Release(); }
  FdPressure(const FdPressure&) = delete;
  FdPressure& operator=(const FdPressure&) = delete;

  void Release() {
    if (released_) return;
    setrlimit(RLIMIT_NOFILE, &saved_);
    released_ = true;
  }

 private:
  rlimit saved_{};
  bool released_ = false;
};

}  // namespace hourglass::testing
