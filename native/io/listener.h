// The listening socket: opened here with the options every accepted socket inherits, and accepted from
// by the server. Errors are libuv codes so the binding reports them with uv_strerror.
#pragma once

#include <uv.h>

#include <cstring>
#include <string>

#include "io/socket_io.h"

#ifndef _WIN32
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#endif

namespace uvhttp {

// A libuv error code (negative) for the last socket error, so callers report it with uv_strerror.
inline int uv_error_from_socket() { return uv_translate_sys_error(last_socket_error()); }

// Opens a non-blocking listening socket. Returns 0 or a libuv error code. reuse_port: several
// processes or threads may bind the same address and the kernel spreads connections over them
// (SO_REUSEPORT; UV_ENOTSUP where the system has none).
inline int open_listener(const sockaddr *addr, int backlog, bool reuse_port, socket_t *out) {
  const int family = addr->sa_family;
  socket_t s = socket(family, SOCK_STREAM, 0);
  if (s == kInvalidSocket) return uv_error_from_socket();
  int one = 1, zero = 0;
#ifndef _WIN32
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  fcntl(s, F_SETFD, FD_CLOEXEC);
#endif
  if (reuse_port) {
#ifdef SO_REUSEPORT
    if (setsockopt(s, SOL_SOCKET, SO_REUSEPORT, reinterpret_cast<const char *>(&one), sizeof(one)) != 0) {
      int err = uv_error_from_socket();
      close_socket(s);
      return err;
    }
#else
    close_socket(s);
    return UV_ENOTSUP;
#endif
  }
  (void)one;
  if (family == AF_INET6)
    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, reinterpret_cast<const char *>(&zero), sizeof(zero));
#ifdef __linux__
  // Linux clones accepted sockets from the listener, options included: one setsockopt here saves
  // one per connection (see nodelay_inherited()).
  set_nodelay(s);
#endif
  const socklen_t len = family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (!set_nonblocking(s) || bind(s, addr, len) != 0 || ::listen(s, backlog) != 0) {
    int err = uv_error_from_socket();
    close_socket(s);
    return err;
  }
  *out = s;
  return 0;
}

#ifndef _WIN32
// Opens a listening Unix domain socket at path, with the given file mode (0: leave the umask's). A
// socket file left by a process that is gone (nothing accepts on it) is replaced; one in use is
// UV_EADDRINUSE; any other file there is refused too.
inline int open_unix_listener(const std::string &path, int backlog, unsigned mode, socket_t *out) {
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) return UV_ENAMETOOLONG;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  struct stat st{};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return UV_EADDRINUSE;
    socket_t probe = socket(AF_UNIX, SOCK_STREAM, 0);
    if (probe == kInvalidSocket) return uv_error_from_socket();
    const bool live = ::connect(probe, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) == 0;
    close_socket(probe);
    if (live) return UV_EADDRINUSE;
    ::unlink(path.c_str());
  }
  socket_t s = socket(AF_UNIX, SOCK_STREAM, 0);
  if (s == kInvalidSocket) return uv_error_from_socket();
  fcntl(s, F_SETFD, FD_CLOEXEC);
  if (!set_nonblocking(s) || bind(s, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) != 0 ||
      (mode != 0 && ::chmod(path.c_str(), mode) != 0) || ::listen(s, backlog) != 0) {
    int err = uv_error_from_socket();
    close_socket(s);
    return err;
  }
  *out = s;
  return 0;
}

// Takes over a socket someone else bound and made listen (a parent process, systemd): it must be a
// listening stream socket. Made non-blocking and close-on-exec.
inline int adopt_listener(int fd) {
  int type = 0, accepting = 0;
  socklen_t len = sizeof(type);
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) return uv_error_from_socket();
  if (type != SOCK_STREAM) return UV_EINVAL;
#ifdef SO_ACCEPTCONN
  len = sizeof(accepting);
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) != 0) return uv_error_from_socket();
  if (!accepting) return UV_EINVAL;
#endif
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  return set_nonblocking(fd) ? 0 : uv_error_from_socket();
}
#endif

} // namespace uvhttp
