// Reads everything the peer end of a non-blocking socket pair holds now: what a test's writes sent.
#pragma once

#include <sys/socket.h>

#include <string>

namespace check {

inline std::string drain(int fd) {
  std::string got;
  char buf[65536];
  for (;;) {
    const long n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

} // namespace check
