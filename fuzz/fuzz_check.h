// FUZZ_CHECK: an invariant a fuzz target asserts about the code under test
// (beyond "no crash"). Unlike assert() it stays on in release builds, and a
// failure aborts so that libFuzzer saves the input. Fuzz targets only.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)
