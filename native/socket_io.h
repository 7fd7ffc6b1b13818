// The few socket calls the server makes itself, on POSIX and Windows.
//
// Why not libuv's streams: a uv_tcp_t read goes through read(2)/write(2) (VFS file-position locking),
// an alloc callback and a read callback per event. The server only needs readiness from libuv
// (uv_poll_t) and does recv/send itself, as uSockets does; on loopback benchmarks that is measurable.
#pragma once

#include <uv.h>

#include <cstddef>

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

namespace uvhttp {

#ifdef _WIN32
using socket_t = SOCKET;
constexpr socket_t kInvalidSocket = INVALID_SOCKET;
inline int last_socket_error() { return WSAGetLastError(); }
inline bool would_block(int err) { return err == WSAEWOULDBLOCK; }
inline bool interrupted(int err) { return err == WSAEINTR; }
inline void close_socket(socket_t s) { closesocket(s); }
inline void shutdown_send(socket_t s) { shutdown(s, SD_SEND); }
inline long sock_recv(socket_t s, char *buf, size_t len) { return recv(s, buf, static_cast<int>(len), 0); }
inline long sock_send(socket_t s, const char *buf, size_t len) {
  return send(s, buf, static_cast<int>(len), 0);
}
inline bool set_nonblocking(socket_t s) {
  u_long on = 1;
  return ioctlsocket(s, FIONBIO, &on) == 0;
}
inline socket_t accept_socket(socket_t listener) {
  socket_t s = accept(listener, nullptr, nullptr);
  if (s != INVALID_SOCKET && !set_nonblocking(s)) {
    closesocket(s);
    return INVALID_SOCKET;
  }
  return s;
}
#else
using socket_t = int;
constexpr socket_t kInvalidSocket = -1;
inline int last_socket_error() { return errno; }
inline bool would_block(int err) { return err == EAGAIN || err == EWOULDBLOCK; }
inline bool interrupted(int err) { return err == EINTR; }
inline void close_socket(socket_t s) { ::close(s); }
inline void shutdown_send(socket_t s) { ::shutdown(s, SHUT_WR); }
inline long sock_recv(socket_t s, char *buf, size_t len) { return ::recv(s, buf, len, 0); }
#ifdef MSG_NOSIGNAL
inline long sock_send(socket_t s, const char *buf, size_t len) { return ::send(s, buf, len, MSG_NOSIGNAL); }
#else
inline long sock_send(socket_t s, const char *buf, size_t len) { return ::send(s, buf, len, 0); }
#endif
inline bool set_nonblocking(socket_t s) {
  int flags = fcntl(s, F_GETFL, 0);
  return flags >= 0 && fcntl(s, F_SETFL, flags | O_NONBLOCK) == 0;
}
inline socket_t accept_socket(socket_t listener) {
#if defined(__linux__)
  return ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
  socket_t s = ::accept(listener, nullptr, nullptr);
  if (s >= 0) {
    fcntl(s, F_SETFD, FD_CLOEXEC);
    int one = 1;
#ifdef SO_NOSIGPIPE
    setsockopt(s, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof(one));
#endif
    (void)one;
    if (!set_nonblocking(s)) {
      ::close(s);
      return -1;
    }
  }
  return s;
#endif
}
#endif

inline void set_nodelay(socket_t s) {
  int one = 1;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char *>(&one), sizeof(one));
}

// Whether an accepted socket already has TCP_NODELAY from its listener (Linux), or needs its own.
constexpr bool nodelay_inherited() {
#ifdef __linux__
  return true;
#else
  return false;
#endif
}

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
