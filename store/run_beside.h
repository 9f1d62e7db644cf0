// RunBeside: runs two pieces of work at once, one on a short-lived thread and
// one on the caller's, and returns when both are done. The store's write path
// uses it for large batches (a statsd flush of millions of points) so they
// take two cores. If no thread can be started, both run on the caller's.
#pragma once

#include <cstddef>
#include <system_error>
#include <thread>

namespace hourglass::store {

// A batch of at least this many points is worth a second thread (starting
// one costs tens of microseconds; a point costs ~0.2-0.4 us).
inline constexpr size_t kParallelPoints = 65'536;

// `beside` may run on another thread: it must not touch what `here` touches.
template <typename Beside, typename Here>
void RunBeside(Beside&& beside, Here&& here) {
  std::thread thread;
  try {
    thread = std::thread(beside);
  } catch (const std::system_error&) {
    beside();  // no thread: one after the other
  }
  here();
  if (thread.joinable()) thread.join();
}

}  // namespace hourglass::store
