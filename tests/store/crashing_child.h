// InCrashingChild: runs a piece of a test in a forked child that ends with
// _exit, as a killed server would (no destructors, no Close()); the parent
// then checks what survived. The child's exit status must be 0.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

namespace hourglass::store::testing {

template <typename Fn>
void InCrashingChild(Fn fn) {
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    fn();
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
}

}  // namespace hourglass::store::testing
