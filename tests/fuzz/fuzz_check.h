// SPDX-License-Identifier: MIT
// fuzz_check.h - the invariant check shared by the fuzz targets
//
// CHECK(cond) aborts with the file, line and condition when cond is false,
// so libFuzzer records the input as a crash. Unlike assert() it stays on
// in every build.
#ifndef RCPTDB_TESTS_FUZZ_CHECK_H
#define RCPTDB_TESTS_FUZZ_CHECK_H

#include <cstdio>
#include <cstdlib>

#define CHECK(cond)                                                                     \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

#endif
