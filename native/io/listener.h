// The listening socket: opened here with the options every accepted socket inherits, and accepted from
// by the server. Errors are libuv codes so the binding reports them with uv_strerror.
#pragma once

#include <uv.h>

#include "io/socket_io.h"

namespace uvhttp {

// A libuv error code (negative) for the last socket error, so callers report it with uv_strerror.
inline int uv_error_from_socket() { return uv_translate_sys_error(last_socket_error()); }

// Opens a non-blocking listening socket. Returns 0 or a libuv error code.
inline int open_listener(const sockaddr *addr, int backlog, socket_t *out) {
  const int family = addr->sa_family;
  socket_t s = socket(family, SOCK_STREAM, 0);
  if (s == kInvalidSocket) return uv_error_from_socket();
  int one = 1, zero = 0;
#ifndef _WIN32
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  fcntl(s, F_SETFD, FD_CLOEXEC);
#endif
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

} // namespace uvhttp
