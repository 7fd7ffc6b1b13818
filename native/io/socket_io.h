// The few socket calls the server makes itself, on POSIX and Windows.
//
// Why not libuv's streams: a uv_tcp_t read goes through read(2)/write(2) (VFS file-position locking),
// an alloc callback and a read callback per event. The server only needs readiness from libuv
// (uv_poll_t) and does recv/send itself, as uSockets does; on loopback benchmarks that is measurable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <cerrno>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#endif

namespace uvhttp {

// The most buffers one vectored send takes (POSIX guarantees IOV_MAX >= 16).
constexpr int kMaxIoSlices = 16;

#ifdef _WIN32
using socket_t = SOCKET;
constexpr socket_t kInvalidSocket = INVALID_SOCKET;
inline int last_socket_error() { return WSAGetLastError(); }
inline bool would_block(int err) { return err == WSAEWOULDBLOCK; }
inline bool interrupted(int err) { return err == WSAEINTR; }
inline void close_socket(socket_t s) { closesocket(s); }
inline void shutdown_send(socket_t s) { shutdown(s, SD_SEND); }
inline long sock_recv(socket_t s, char *buf, size_t len) { return recv(s, buf, static_cast<int>(len), 0); }
inline long sock_send(socket_t s, const char *buf, size_t len, bool = false) {
  return send(s, buf, static_cast<int>(len), 0);
}
struct IoSlice {
  const char *data;
  size_t len;
};
// Winsock's WSASend would take all slices; one send per call is correct, if slower, until a Windows
// build is benchmarked.
inline long sock_sendv(socket_t s, const IoSlice *slices, int count, bool = false) {
  return count > 0 ? sock_send(s, slices[0].data, slices[0].len) : 0;
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
// A connected pair of sockets that never touch the network (app.inject). Not on Windows yet.
inline bool socket_pair(socket_t out[2]) {
  (void)out;
  return false;
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
constexpr int kSendFlags = MSG_NOSIGNAL; // a peer that is gone is an error to handle, not a signal
#else
constexpr int kSendFlags = 0;            // SO_NOSIGPIPE is set on each accepted socket instead
#endif
// before_close: these are the connection's last bytes and the close (or shutdown) follows at once.
// MSG_MORE then keeps the tail segment back for the moment until the close, whose FIN the kernel
// puts on that segment: the answer and the FIN leave as one packet instead of two, which for a
// connection per request is about a tenth of the server's CPU time. Never for bytes that something
// else may follow later (another owed response): MSG_MORE would hold them until then.
#ifdef MSG_MORE
constexpr int kBeforeCloseFlags = MSG_MORE;
#else
constexpr int kBeforeCloseFlags = 0;
#endif
inline long sock_send(socket_t s, const char *buf, size_t len, bool before_close = false) {
  return ::send(s, buf, len, kSendFlags | (before_close ? kBeforeCloseFlags : 0));
}
struct IoSlice {
  const char *data;
  size_t len;
};
// Several buffers in one system call. sendmsg, not writev: writev cannot suppress SIGPIPE.
inline long sock_sendv(socket_t s, const IoSlice *slices, int count, bool before_close = false) {
  if (count == 1) return sock_send(s, slices[0].data, slices[0].len, before_close);
  iovec iov[kMaxIoSlices];
  if (count > kMaxIoSlices) count = kMaxIoSlices;
  for (int i = 0; i < count; ++i) {
    iov[i].iov_base = const_cast<char *>(slices[i].data);
    iov[i].iov_len = slices[i].len;
  }
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = static_cast<decltype(msg.msg_iovlen)>(count);
  return ::sendmsg(s, &msg, kSendFlags | (before_close ? kBeforeCloseFlags : 0));
}
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
// A connected pair of sockets that never touch the network (app.inject): out[0] non-blocking for
// the server, out[1] left blocking for its user; both close-on-exec.
inline bool socket_pair(socket_t out[2]) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return false;
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  if (!set_nonblocking(fds[0])) {
    ::close(fds[0]);
    ::close(fds[1]);
    return false;
  }
  out[0] = fds[0];
  out[1] = fds[1];
  return true;
}
#endif

// What a failed accept means for the listener.
enum class AcceptFailure : uint8_t {
  Retry,     // that connection failed (aborted by the peer, a network error): accept the next one
  Exhausted, // out of descriptors or memory: stop accepting for a moment, the listener stays readable
};
inline AcceptFailure classify_accept_error(int err) {
#ifdef _WIN32
  return err == WSAEMFILE || err == WSAENOBUFS ? AcceptFailure::Exhausted : AcceptFailure::Retry;
#else
  switch (err) {
  case EMFILE:
  case ENFILE:
  case ENOBUFS:
  case ENOMEM:
    return AcceptFailure::Exhausted;
  default:
    // ECONNABORTED, EPROTO, EPERM (a firewall), and on Linux the pending network errors of the new
    // socket (ENETDOWN, EHOSTUNREACH, ...) that accept(2) says to treat like EAGAIN and retry.
    return AcceptFailure::Retry;
  }
#endif
}

inline void set_nodelay(socket_t s) {
  int one = 1;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char *>(&one), sizeof(one));
}

// The address and port of a connected socket's peer ("203.0.113.7", "2001:db8::1"); false when it has
// none (the connection was reset, or the socket is not IP).
inline bool peer_address(socket_t s, std::string *address, int *port) {
  sockaddr_storage peer{};
  socklen_t len = sizeof(peer);
  if (getpeername(s, reinterpret_cast<sockaddr *>(&peer), &len) != 0) return false;
  char text[INET6_ADDRSTRLEN] = {0};
  if (peer.ss_family == AF_INET) {
    const auto *a = reinterpret_cast<const sockaddr_in *>(&peer);
    if (!inet_ntop(AF_INET, &a->sin_addr, text, sizeof(text))) return false;
    *port = ntohs(a->sin_port);
  } else if (peer.ss_family == AF_INET6) {
    const auto *a = reinterpret_cast<const sockaddr_in6 *>(&peer);
    if (!inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof(text))) return false;
    *port = ntohs(a->sin6_port);
  } else {
    return false;
  }
  *address = text;
  return true;
}

// Whether an accepted socket already has TCP_NODELAY from its listener (Linux), or needs its own.
constexpr bool nodelay_inherited() {
#ifdef __linux__
  return true;
#else
  return false;
#endif
}

} // namespace uvhttp
