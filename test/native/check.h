// The few lines every C++ unit test program shares: count checks, report failures, print the summary
// line the vitest wrapper reads ("<name>: N passed, M failed").
#pragma once

#include <cstdio>
#include <string>

namespace check {

inline int passed = 0;
inline int failed = 0;

inline bool that(bool ok, const std::string &what) {
  if (ok) {
    ++passed;
  } else {
    ++failed;
    std::fprintf(stderr, "FAIL: %s\n", what.c_str());
  }
  return ok;
}

inline int summary(const char *name) {
  std::printf("%s: %d passed, %d failed\n", name, passed, failed);
  return failed == 0 ? 0 : 1;
}

} // namespace check
